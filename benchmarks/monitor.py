"""What a GradientMonitor costs: one epoch of an MLP 784-256-128-10 at batch 128, trained
by ``Trainer.fit`` without a monitor, with ``GradientMonitor()`` (its default: the first
update of every epoch) and with ``GradientMonitor(every=1)`` (every update: the price of
one record). The configurations take turns in one process, rotating which goes first;
the script prints the median seconds per epoch, the ratios to the run without in the
same round (median and quartiles over the rounds, wall and CPU time), and the time of
the monitor's work on one recording step alone.

    flock /tmp/descend-bench.lock python benchmarks/monitor.py [--rounds 11] [--samples 60000]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import descend as ds
from descend import nn, optim
from descend.data import DataLoader, TensorDataset
from descend.models import MLP
from descend.train import GradientMonitor

SIZES = [784, 256, 128, 10]
CONFIGS = {
    "no monitor": lambda: [],
    "GradientMonitor()": lambda: [GradientMonitor(print_warnings=False)],
    "GradientMonitor(every=1)": lambda: [GradientMonitor(every=1, print_warnings=False)],
}


def epoch_seconds(X, y, callbacks) -> tuple[float, float]:
    """Wall and CPU seconds of one epoch (CPU time is less disturbed by other processes)."""
    ds.manual_seed(0)
    model = MLP(SIZES)
    trainer = ds.Trainer(
        model,
        nn.CrossEntropyLoss(),
        optim.Adam(model.parameters(), lr=1e-3),
        callbacks=callbacks,
        verbose=0,
    )
    loader = DataLoader(TensorDataset(X, y), batch_size=128, shuffle=True, seed=0)
    start, cpu = time.perf_counter(), time.process_time()
    trainer.fit(loader, epochs=1)
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--samples", type=int, default=60000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    # Standard-normal inputs: no denormals to drift the timings.
    X = rng.standard_normal((args.samples, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, SIZES[-1], args.samples)
    epoch_seconds(X[:2048], y[:2048], [])  # warm up allocator and BLAS
    times = {name: [] for name in CONFIGS}
    names = list(CONFIGS)
    for round_ in range(args.rounds):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            times[name].append(epoch_seconds(X, y, CONFIGS[name]()))
    updates = -(-args.samples // 128)
    print(f"MLP {'-'.join(map(str, SIZES))}, batch 128, {args.samples} samples "
          f"({updates} updates per epoch), {args.rounds} rounds")  # fmt: skip
    base = times["no monitor"]
    for name, values in times.items():
        # Each round's ratio compares epochs run one after the other: slow changes in the
        # load of a shared machine cancel; the median and quartiles of the rounds remain.
        wall = quartiles([v[0] / b[0] for v, b in zip(values, base)])
        cpu = quartiles([v[1] / b[1] for v, b in zip(values, base)])
        print(
            f"  {name:26s} median {statistics.median(v[0] for v in values):6.3f} s/epoch;"
            f" ratio wall {wall}, CPU {cpu}"
        )
    best = min(v[0] for v in base)
    record = record_seconds(X[:128], y[:128])
    step = best / updates
    print(
        f"  one record (copy weights, norms, checks): {record * 1e3:.2f} ms = "
        f"{record / step:.2f} updates; at every='epoch' {record / best:.2%} of an epoch"
    )


def quartiles(ratios: list) -> str:
    """``median [25%, 75%]`` of per-round ratios."""
    q1, q2, q3 = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
    return f"{q2:.3f} [{q1:.3f}, {q3:.3f}]"


def record_seconds(X, y, repeats: int = 50) -> float:
    """The fastest time of the monitor's work on one recording step, hooks only."""
    ds.manual_seed(0)
    model = MLP(SIZES)
    monitor = GradientMonitor(every=1, print_warnings=False)
    trainer = ds.Trainer(
        model,
        nn.CrossEntropyLoss(),
        optim.Adam(model.parameters()),
        callbacks=[monitor],
        verbose=0,
    )
    trainer.fit(X, y, epochs=1, batch_size=len(X))  # gradients in place, records made
    times = []
    for step in range(2, repeats + 2):
        start = time.perf_counter()
        monitor.on_batch_begin(step, {})
        monitor.on_batch_end(step, {})
        times.append(time.perf_counter() - start)
    return min(times)


if __name__ == "__main__":
    main()
