"""Per-op overhead: y = ((a*b)+c).relu().sum(); y.backward() on 2x2 float32 inputs.

descend and PyTorch (when installed) run alternately in one process; the script
prints the median microseconds per iteration of each and their ratio.

    python benchmarks/overhead.py [--rounds 30] [--iters 2000]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import descend as ds


def descend_step(a, b, c):
    y = ((a * b) + c).relu().sum()
    y.backward()


def numpy_step(a, b, c):
    # The floor: the same maths in raw NumPy with a hand-written backward.
    ab = a * b
    s = ab + c
    r = np.maximum(s, 0)
    _ = r.sum()
    gs = (s > 0).astype(np.float32)
    return gs * b, gs * a, gs


def time_per_iter(step, args, iters: int) -> float:
    start = time.perf_counter()
    for _ in range(iters):
        step(*args)
    return (time.perf_counter() - start) / iters * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--iters", type=int, default=2000)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((2, 2)).astype(np.float32) for _ in range(3)]
    ours = [ds.tensor(x, requires_grad=True) for x in arrays]
    runners = {"descend": (descend_step, ours), "numpy floor": (numpy_step, arrays)}
    try:
        import torch

        torch.set_num_threads(2)
        theirs = [torch.tensor(x, requires_grad=True) for x in arrays]
        runners["pytorch"] = (descend_step, theirs)
    except ImportError:
        print("PyTorch not installed: timing descend and the NumPy floor only")

    times = {name: [] for name in runners}
    for _ in range(args.rounds):
        for name, (step, inputs) in runners.items():
            times[name].append(time_per_iter(step, inputs, args.iters))

    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, value in medians.items():
        print(f"{name:12s} {value:8.1f} us per iteration (median of {args.rounds} rounds)")
    if "pytorch" in medians:
        ratio = medians["descend"] / medians["pytorch"]
        print(f"ratio descend / pytorch: {ratio:.2f}x (target <= 0.5x)")


if __name__ == "__main__":
    main()
