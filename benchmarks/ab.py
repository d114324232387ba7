"""In-process A/B of two descend source trees: is a change faster or slower?

Loads descend from tree A, builds its runners, then loads descend from tree B (the
runners keep their own modules), and times them alternately in one process: an MLP
784-256-128-10 and LeNet-5 epoch, each as a raw loop and through the Trainer. Runs a
minute apart on a shared machine differ by up to 1.5x; runs side by side do not.

    git worktree add /tmp/before HEAD~3
    python benchmarks/ab.py /tmp/before/src src [--rounds 9] [--optimizer adam|momentum]

Prints, per runner, the median seconds of each tree and the median of the per-round
ratios B/A (below 1: B is faster).
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import time
from pathlib import Path

import numpy as np

BATCH = 128
BENCHES = ("mlp loop", "mlp Trainer", "lenet loop", "lenet Trainer")


def load(src: str):
    """descend from the tree ``src``, with malloc set as a Trainer sets it."""
    src = str(Path(src).resolve())
    for name in [m for m in sys.modules if m == "descend" or m.startswith("descend.")]:
        del sys.modules[name]
    sys.path.insert(0, src)
    ds = importlib.import_module("descend")
    sys.path.remove(src)
    if not ds.__file__.startswith(src):
        raise SystemExit(f"descend came from {ds.__file__}, not from {src}")
    importlib.import_module("descend.allocator").keep_freed_memory()
    return ds


def mlp(ds):
    nn = ds.nn
    return nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)
    )


def lenet(ds):
    nn = ds.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    )  # fmt: skip


def optimizer(ds, model, name: str):
    if name == "momentum":
        return ds.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return ds.optim.Adam(model.parameters(), lr=1e-3)


def loop(ds, make, X, y, opt_name):
    model = make(ds)
    loss_fn, opt = ds.nn.CrossEntropyLoss(), optimizer(ds, model, opt_name)

    def epoch() -> float:
        start = time.perf_counter()
        for i in range(0, len(X), BATCH):
            loss = loss_fn(model(X[i : i + BATCH]), y[i : i + BATCH])
            opt.zero_grad()
            loss.backward()
            opt.step()
        return time.perf_counter() - start

    return epoch


def trainer(ds, make, X, y, opt_name):
    model = make(ds)
    opt = optimizer(ds, model, opt_name)
    fit = ds.Trainer(model, ds.nn.CrossEntropyLoss(), opt, metrics=["accuracy"], verbose=0).fit

    def epoch() -> float:
        start = time.perf_counter()
        fit((X, y), epochs=1, batch_size=BATCH, shuffle=False)
        return time.perf_counter() - start

    return epoch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="the src folder of tree A (e.g. before the change)")
    parser.add_argument("b", help="the src folder of tree B")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--optimizer", choices=("adam", "momentum"), default="adam")
    parser.add_argument("--batch", type=int, default=128, help="batch size (default 128)")
    args = parser.parse_args()
    global BATCH
    BATCH = args.batch

    rng = np.random.default_rng(0)
    X_mlp = rng.standard_normal((15360, 784), dtype=np.float32)
    y_mlp = rng.integers(0, 10, len(X_mlp))
    X_cnn = rng.standard_normal((5120, 1, 28, 28), dtype=np.float32)
    y_cnn = rng.integers(0, 10, len(X_cnn))
    runners = {}
    for tree, src in (("A", args.a), ("B", args.b)):
        ds = load(src)
        ds.manual_seed(0)
        for bench, make, X, y in (("mlp", mlp, X_mlp, y_mlp), ("lenet", lenet, X_cnn, y_cnn)):
            runners[(f"{bench} loop", tree)] = loop(ds, make, X, y, args.optimizer)
            runners[(f"{bench} Trainer", tree)] = trainer(ds, make, X, y, args.optimizer)
    for run in runners.values():  # warm-up: caches, allocator, lazy state
        run()
    times = {key: [] for key in runners}
    for r in range(args.rounds):
        for bench in BENCHES:
            for tree in ("A", "B") if r % 2 == 0 else ("B", "A"):
                times[(bench, tree)].append(runners[(bench, tree)]())

    print(f"{args.optimizer}, batch {BATCH}; medians of {args.rounds} alternating rounds")
    for bench in BENCHES:
        a, b = times[(bench, "A")], times[(bench, "B")]
        ratio = statistics.median(y / x for x, y in zip(a, b))
        print(
            f"  {bench:14s} A {statistics.median(a):.3f} s  B {statistics.median(b):.3f} s  "
            f"B/A per round {ratio:.3f}"
        )


if __name__ == "__main__":
    main()
