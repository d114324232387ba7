"""LeNet-5 training on 28x28 images: seconds per 10,000 samples, descend vs PyTorch.

LeNet-5 here: conv 1->6 5x5 (padding 2), ReLU, max-pool 2, conv 6->16 5x5, ReLU,
max-pool 2, flatten, fully connected 400-120-84-10. Each step at batch 128 is a
forward pass, cross-entropy, backward pass and an Adam step (lr 1e-3). descend and
PyTorch (when installed) run alternately in one process, both with ``--threads``
threads (default 2), on the same standard-normal inputs; the script prints the median
seconds per 10,000 samples of each and their ratio. On a machine other programs keep
busy, compare with ``--threads 1``: spinning BLAS threads then cost more than they give.

    python benchmarks/conv.py [--rounds 7] [--samples 10240] [--threads 2] [--profile]

``--profile`` runs descend alone under cProfile and prints where the time goes.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import descend as ds
from descend import nn, optim
from descend.allocator import keep_freed_memory

BATCH = 128


def descend_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )  # fmt: skip


def descend_trainer(X: np.ndarray, y: np.ndarray):
    model = descend_model()
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.Adam(model.parameters(), lr=1e-3)

    def epoch() -> float:
        start = time.perf_counter()
        for i in range(0, len(X), BATCH):
            loss = loss_fn(model(X[i : i + BATCH]), y[i : i + BATCH])
            opt.zero_grad()
            loss.backward()
            opt.step()
        return time.perf_counter() - start

    return epoch


def torch_trainer(X: np.ndarray, y: np.ndarray):
    import torch

    tnn = torch.nn
    model = tnn.Sequential(
        tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(),
        tnn.Linear(400, 120), tnn.ReLU(), tnn.Linear(120, 84), tnn.ReLU(), tnn.Linear(84, 10),
    )  # fmt: skip
    loss_fn = tnn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

    def epoch() -> float:
        start = time.perf_counter()
        for i in range(0, len(X), BATCH):
            loss = loss_fn(model(Xt[i : i + BATCH]), yt[i : i + BATCH])
            opt.zero_grad()
            loss.backward()
            opt.step()
        return time.perf_counter() - start

    return epoch


PAUSE = 1.0  # seconds between timed runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--samples", type=int, default=10240)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    ds.set_num_threads(args.threads)
    keep_freed_memory()  # as a Trainer does when training starts: descend/allocator.py

    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.samples, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, args.samples)
    ds.manual_seed(0)
    per_10k = 10_000 / args.samples

    if args.profile:
        import cProfile
        import pstats

        epoch = descend_trainer(X, y)
        epoch()
        cProfile.runctx("epoch()", globals(), {"epoch": epoch}, "/tmp/descend_conv.prof")
        pstats.Stats("/tmp/descend_conv.prof").sort_stats("tottime").print_stats(20)
        return

    runners = {"descend": descend_trainer(X, y)}
    try:
        import torch

        torch.set_num_threads(args.threads)
        torch.manual_seed(0)
        runners["pytorch"] = torch_trainer(X, y)
    except ImportError:
        print("PyTorch not installed: timing descend only")

    for epoch in runners.values():  # warm-up: caches, allocator, lazy state
        epoch()
    times = {name: [] for name in runners}
    names = list(runners)
    for r in range(args.rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            # Let the other library's worker threads stop spinning before timing.
            time.sleep(PAUSE)
            times[name].append(runners[name]() * per_10k)

    print(
        f"LeNet-5, batch {BATCH}, Adam, {args.threads} threads; median of {args.rounds} "
        "rounds, seconds per 10k samples"
    )
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, median in medians.items():
        spread = ", ".join(f"{t:.2f}" for t in times[name])
        print(f"  {name:8s} {median:6.3f} s   ({spread})")
    if "pytorch" in medians:
        print(f"  ratio descend / pytorch: {medians['descend'] / medians['pytorch']:.2f}x")


if __name__ == "__main__":
    main()
