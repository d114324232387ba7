"""One optimizer step over the parameters of an MLP 784-256-128-10, against its memory floor.

A step must at least read every array its rule reads and write every array it writes
(Adam: read p, g, m, v; write p, m, v), once. That many bytes divided by this machine's
memory bandwidth is the step's floor. The bandwidth is measured here twice, as the
time of ``np.copyto`` counting bytes read and written: on 256 MB arrays (main memory,
the usual meaning), and on arrays as large as the step's own (the MLP's 0.9 MB
tensors fit in the caches, which are faster). The script prints, per optimizer, the
median microseconds per step, both floors and the ratios; for Adam also PyTorch's
default and fused steps, run alternately in the same process (float32, random
gradients, standard-normal weights: no denormals). Each descend optimizer runs twice:
tensor by tensor, as after a backward pass that made new gradient arrays, and
"flat", on gradients gathered into one buffer (``Optimizer.gradient_buffers``, what a
data-parallel step does before its all-reduce; see descend/optim/flat.py).

    python benchmarks/optim.py [--rounds 15] [--steps 50]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import descend as ds
from descend import optim

SHAPES = [(256, 784), (256,), (128, 256), (128,), (10, 128), (10,)]

# name: (factory, arrays the rule reads, arrays it writes), p and g included.
OPTIMIZERS = {
    "SGD": (lambda p: optim.SGD(p, lr=1e-3), 2, 1),
    "SGD momentum": (lambda p: optim.SGD(p, lr=1e-3, momentum=0.9), 3, 2),
    "Adagrad": (lambda p: optim.Adagrad(p, lr=1e-3), 3, 2),
    "RMSprop": (lambda p: optim.RMSprop(p, lr=1e-3), 3, 2),
    "Adam": (lambda p: optim.Adam(p, lr=1e-3), 4, 3),
    "AdamW": (lambda p: optim.AdamW(p, lr=1e-3), 4, 3),
}


def per_step(step, steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps * 1e6


def bandwidth(nbytes: int, repeats: int = 30) -> float:
    """Bytes per second of ``np.copyto`` on float32 arrays of ``nbytes``, read + write."""
    source = np.ones(nbytes // 4, dtype=np.float32)
    target = np.empty_like(source)
    best = min(per_step(lambda: np.copyto(target, source), 1) for _ in range(repeats))
    return 2 * source.nbytes / (best * 1e-6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    weights = [rng.standard_normal(s, dtype=np.float32) * 0.05 for s in SHAPES]
    grads = [rng.standard_normal(s, dtype=np.float32) for s in SHAPES]
    size = sum(w.size for w in weights)
    runners = {}
    for name, (make, _, _) in OPTIMIZERS.items():
        for flat in (False, True):
            params = [ds.tensor(w, requires_grad=True) for w in weights]
            for p, g in zip(params, grads):
                p.grad = g.copy()
            opt = make(params)
            if flat:
                opt.gradient_buffers()
            runners[name + " flat" * flat] = opt.step
    try:
        import torch

        torch.set_num_threads(1)
        for name, kwargs in [("torch Adam", {}), ("torch Adam fused", {"fused": True})]:
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
            times[name].append(per_step(step, args.steps))
    medians = {name: statistics.median(t) for name, t in times.items()}

    memory = bandwidth(256 << 20)
    print(
        f"one step over {size:,} float32 parameters in {len(SHAPES)} arrays, median of "
        f"{args.rounds} rounds x {args.steps} steps; copy bandwidth (read + write): "
        f"main memory {memory / 1e9:.1f} GB/s"
    )
    print(f"  {'':18s} {'us/step':>8s} {'bytes':>9s} {'floor':>14s} {'in-cache floor':>22s}")
    for name, (_, reads, writes) in OPTIMIZERS.items():
        moved = (reads + writes) * 4 * size
        cached = bandwidth(moved // 2)  # arrays as large as the step's working set
        floor, floor_cached = moved / memory * 1e6, moved / cached * 1e6
        for row in (name, name + " flat"):
            t = medians[row]
            print(
                f"  {row:18s} {t:8.1f} {moved / 1e6:7.2f}MB {floor:7.1f}us {t / floor:4.2f}x "
                f"{floor_cached:7.1f}us {t / floor_cached:4.2f}x ({cached / 1e9:.0f} GB/s)"
            )
    for name in ("torch Adam", "torch Adam fused"):
        if name in medians:
            print(
                f"  {name:18s} {medians[name]:8.1f}   descend Adam / it: "
                f"{medians['Adam'] / medians[name]:.2f}"
            )


if __name__ == "__main__":
    main()
