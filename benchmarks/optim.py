"""One Adam step over the parameters of an MLP 784-256-128-10 (float32, random gradients).

descend's Adam and PyTorch's (the default single-tensor path, and fused=True) run
alternately in one process on the same starting weights and gradients; the script
prints the median microseconds per step of each and the ratios descend / PyTorch.

    python benchmarks/optim.py [--rounds 30] [--steps 50]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import descend as ds
from descend import optim

SHAPES = [(256, 784), (256,), (128, 256), (128,), (10, 128), (10,)]


def time_per_step(step, steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()

    # Standard-normal data: moments that decay towards zero would turn denormal and slow.
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal(s, dtype=np.float32) * 0.05 for s in SHAPES]
    grads = [rng.standard_normal(s, dtype=np.float32) for s in SHAPES]

    params = [ds.tensor(w, requires_grad=True) for w in weights]
    for p, g in zip(params, grads):
        p.grad = g.copy()
    runners = {"descend": optim.Adam(params, lr=1e-3).step}
    try:
        import torch

        torch.set_num_threads(2)
        for name, kwargs in [("torch", {}), ("torch fused", {"fused": True})]:
            tensors = [torch.tensor(w, requires_grad=True) for w in weights]
            for t, g in zip(tensors, grads):
                t.grad = torch.tensor(g)
            runners[name] = torch.optim.Adam(tensors, lr=1e-3, **kwargs).step
    except ImportError:
        print("PyTorch not installed: timing descend only")

    for step in runners.values():  # state and scratch buffers exist before timing
        step()
    times = {name: [] for name in runners}
    for _ in range(args.rounds):
        for name, step in runners.items():
            times[name].append(time_per_step(step, args.steps))

    size = sum(w.size for w in weights)
    print(
        f"Adam step over {size:,} float32 parameters in {len(SHAPES)} arrays, median of "
        f"{args.rounds} rounds x {args.steps} steps:"
    )
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, median in medians.items():
        print(f"  {name:12s} {median:8.1f} us/step")
    for name in ("torch", "torch fused"):
        if name in medians:
            print(f"  descend / {name}: {medians['descend'] / medians[name]:.2f}")


if __name__ == "__main__":
    main()
