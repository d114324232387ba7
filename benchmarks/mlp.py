"""One epoch of an MLP 784-256-128-10 on 60,000 MNIST-shaped samples: descend vs peers.

descend runs through ``Trainer.fit`` with a shuffled DataLoader and as a plain loop;
PyTorch eager (same layers, same default init) as a plain loop; and
scikit-learn's MLPClassifier (same layers, adam, same batch) for one epoch. "numpy by
hand" is the floor descend can reach on this machine: the same forward, backward and
in-place update written out in NumPy, with no graph and no modules. Each
configuration runs alternately with the others in one process, after one warm-up
epoch of each on a slice of the data (first touches of memory, BLAS buffers, lazy
state); the script prints the median seconds per epoch, the ratios of the medians,
and the median over rounds of the Trainer's epoch over the loop's in the same round
(both at the same threads: the Trainer chooses its own by ``descend.threads``, so the
loop runs at the same count).

    python benchmarks/mlp.py [--rounds 3] [--samples 60000] [--quick] [--threads N]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np

import descend as ds
from descend import nn, optim, threads
from descend.allocator import keep_freed_memory
from descend.data import DataLoader, TensorDataset
from descend.models import MLP

SIZES = [784, 256, 128, 10]


def descend_optimizer(kind, params):
    if kind == "adam":
        return optim.Adam(params, lr=1e-3)
    return optim.SGD(params, lr=0.01, momentum=0.9)


def same_threads(batch: int) -> int:
    """The threads a Trainer picks for this MLP and batch: every runner uses as many."""
    return threads.for_model(MLP(SIZES), batch)


def descend_trainer(X, y, batch, kind):
    model = MLP(SIZES)
    trainer = ds.Trainer(
        model, nn.CrossEntropyLoss(), descend_optimizer(kind, model.parameters()), verbose=0
    )
    loader = DataLoader(TensorDataset(X, y), batch_size=batch, shuffle=True, seed=0)
    start = time.perf_counter()
    trainer.fit(loader, epochs=1)
    return time.perf_counter() - start


def descend_loop(X, y, batch, kind):
    model = MLP(SIZES)
    loss_fn = nn.CrossEntropyLoss()
    opt = descend_optimizer(kind, model.parameters())
    loader = DataLoader(TensorDataset(X, y), batch_size=batch, shuffle=True, seed=0)
    with threads.limited(same_threads(batch)):
        start = time.perf_counter()
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return time.perf_counter() - start


def numpy_by_hand(X, y, batch, kind):
    """The floor for descend: the same MLP written out in NumPy, with in-place updates."""
    model = MLP(SIZES)  # only for its initial weights
    weights = [p.data for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p.data for name, p in model.named_parameters() if name.endswith("bias")]
    params = weights + biases
    rng = np.random.default_rng(0)
    with threads.limited(same_threads(batch)):
        return _by_hand(X, y, batch, kind, params, weights, biases, rng)


def _by_hand(X, y, batch, kind, params, weights, biases, rng):
    first = [np.zeros_like(p) for p in params]  # Adam's m, or the momentum buffer
    second = [np.zeros_like(p) for p in params]  # Adam's v
    work = [np.empty_like(p) for p in params]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    lr = 1e-3 if kind == "adam" else 0.01
    start = time.perf_counter()
    order = rng.permutation(len(X))
    for step, i in enumerate(range(0, len(X), batch), 1):
        index = order[i : i + batch]
        xb, yb, n = X[index], y[index], len(index)
        h1 = xb @ weights[0].T
        h1 += biases[0]
        a1 = np.maximum(h1, 0)
        h2 = a1 @ weights[1].T
        h2 += biases[1]
        a2 = np.maximum(h2, 0)
        z = a2 @ weights[2].T
        z += biases[2]
        z -= z.max(axis=1, keepdims=True)  # softmax minus one-hot, over n
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        z[np.arange(n), yb] -= 1
        z /= n
        d2 = z @ weights[2]
        d2 *= h2 > 0
        d1 = d2 @ weights[1]
        d1 *= h1 > 0
        grads = [d1.T @ xb, d2.T @ a1, z.T @ a2, d1.sum(0), d2.sum(0), z.sum(0)]
        c1, c2 = 1 - beta1**step, (1 - beta2**step) ** 0.5
        for p, g, m, v, w in zip(params, grads, first, second, work):
            if kind == "adam":
                m *= beta1
                m += np.multiply(g, 1 - beta1, out=w)
                v *= beta2
                v += np.multiply(np.square(g, out=w), 1 - beta2, out=w)
                np.add(np.sqrt(v, out=w), c2 * eps, out=w)
                p -= np.multiply(np.divide(m, w, out=w), lr * c2 / c1, out=w)
            else:
                m *= 0.9
                m += g
                p -= np.multiply(m, lr, out=w)
    return time.perf_counter() - start


def torch_loop(X, y, batch, kind):
    import torch

    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, 10),
    )
    if kind == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    torch.set_num_threads(same_threads(batch))
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    order = torch.from_numpy(rng.permutation(len(X)))
    for i in range(0, len(X), batch):
        index = order[i : i + batch]
        loss = loss_fn(model(Xt[index]), yt[index])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - start


def sklearn_epoch(X, y, batch, kind):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    solver = {"adam": "adam", "momentum": "sgd"}[kind]
    clf = MLPClassifier(
        hidden_layer_sizes=(256, 128),
        solver=solver,
        batch_size=batch,
        learning_rate_init=1e-3 if kind == "adam" else 0.01,
        momentum=0.9,
        nesterovs_momentum=False,
        max_iter=1,
        shuffle=True,
        random_state=0,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--quick", action="store_true", help="batch 128 with Adam only")
    parser.add_argument(
        "--threads",
        type=int,
        help="threads for every runner (default: what a Trainer picks); on a machine that "
        "others keep busy, 1 keeps BLAS threads from waiting on each other",
    )
    args = parser.parse_args()
    if args.threads:
        ds.set_num_threads(args.threads)  # the Trainer, and same_threads() for the others
    keep_freed_memory()  # as a Trainer does when training starts: descend/allocator.py

    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.samples, 784), dtype=np.float32)
    y = rng.integers(0, 10, args.samples)
    runners = {
        "descend Trainer": descend_trainer,
        "descend loop": descend_loop,
        "numpy by hand": numpy_by_hand,
    }
    try:
        import torch  # noqa: F401 - is it installed?

        runners["pytorch loop"] = torch_loop
    except ImportError:
        print("PyTorch not installed: no PyTorch column")
    runners["sklearn"] = sklearn_epoch
    settings = (
        [(128, "adam")]
        if args.quick
        else [(128, "adam"), (32, "adam"), (512, "adam"), (128, "momentum")]
    )

    for name, run in runners.items():  # warm-up
        if name != "sklearn":
            run(X[:2048], y[:2048], *settings[0])
    times = {(s, name): [] for s in settings for name in runners}
    names = list(runners)
    for r in range(args.rounds):
        for setting in settings:
            # A different runner goes first in each round, so none always runs in the
            # wake of the same neighbour.
            for name in names[r % len(names) :] + names[: r % len(names)]:
                if name == "sklearn" and setting != (128, "adam"):
                    continue
                times[(setting, name)].append(runners[name](X, y, *setting))

    for setting in settings:
        batch, kind = setting
        medians = {n: statistics.median(t) for (s, n), t in times.items() if s == setting and t}
        print(f"\nbatch {batch}, {kind}: median seconds per epoch over {args.rounds} rounds")
        for name, value in medians.items():
            print(f"  {name:16s} {value:7.3f} s")
        for peer in ("pytorch loop", "sklearn"):
            if peer in medians:
                for ours in ("descend loop", "descend Trainer", "numpy by hand"):
                    print(f"  {ours} / {peer}: {medians[ours] / medians[peer]:.2f}x")
        trainer, loop = times[(setting, "descend Trainer")], times[(setting, "descend loop")]
        per_round = statistics.median(t / s for t, s in zip(trainer, loop))
        print(f"  descend Trainer / descend loop, median per round: {per_round:.2f}x")


if __name__ == "__main__":
    main()
