"""Where do more threads start to pay? Training steps of MLPs of growing width, timed with
one thread and with this process's share of the cores, alternately in one process.

    python benchmarks/threads.py [--rounds 7] [--batch 128]

Each row is a model [w, w, w, 10] trained with Adam at the given batch; ``work`` is
the batch times the largest layer's weights (``descend.threads`` compares it with
``SMALL_STEP``). Prints the median milliseconds per step and the ratio many/one: below 1,
more threads are faster. State the machine's load (``uptime``) with the numbers.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import descend as ds

WIDTHS = (32, 64, 100, 128, 192, 256, 384, 512, 768, 1024)


def steps(model, optimizer, X, y, loss, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        optimizer.zero_grad()
        loss(model(X), y).backward()
        optimizer.step()
    return (time.perf_counter() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    many = ds.threads.share()
    rng = np.random.default_rng(0)
    loss = ds.nn.CrossEntropyLoss()
    print(f"batch {args.batch}; 1 thread against {many}")
    print(f"{'width':>6} {'work':>12} {'1 thread ms':>12} {f'{many} threads ms':>14} {'ratio':>6}")
    for width in WIDTHS:
        ds.manual_seed(0)
        nn = ds.nn
        model = nn.Sequential(
            nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
            nn.Linear(width, 10),
        )  # fmt: skip
        optimizer = ds.optim.Adam(model.parameters())
        X = ds.tensor(rng.standard_normal((args.batch, width), dtype=np.float32))
        y = ds.tensor(rng.integers(0, 10, args.batch))
        n = max(3, int(3e7 / (args.batch * width * width)))
        times = {1: [], many: []}
        for _ in range(args.rounds):
            for threads in times:
                with ds.threads.limited(threads):
                    steps(model, optimizer, X, y, loss, 1)
                    times[threads].append(steps(model, optimizer, X, y, loss, n))
        one, more = statistics.median(times[1]), statistics.median(times[many])
        ratios = statistics.median(m / o for o, m in zip(times[1], times[many]))
        work = args.batch * width * width
        print(f"{width:>6} {work:>12,} {one * 1e3:>12.3f} {more * 1e3:>14.3f} {ratios:>6.2f}")


if __name__ == "__main__":
    main()
