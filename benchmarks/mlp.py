"""One epoch of an MLP 784-256-128-10 on 60,000 MNIST-shaped samples: descend vs peers.

descend runs through ``Trainer.fit`` with a shuffled DataLoader and as a plain loop;
PyTorch eager (same layers, same default init, 2 threads) as a plain loop; and
scikit-learn's MLPClassifier (same layers, adam, same batch) for one epoch. Each
configuration runs alternately with the others in one process; the script prints
the median seconds per epoch and the ratios.

    python benchmarks/mlp.py [--rounds 3] [--samples 60000]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np

import descend as ds
from descend import nn, optim
from descend.data import DataLoader, TensorDataset
from descend.models import MLP

SIZES = [784, 256, 128, 10]


def descend_optimizer(kind, params):
    if kind == "adam":
        return optim.Adam(params, lr=1e-3)
    return optim.SGD(params, lr=0.01, momentum=0.9)


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
    start = time.perf_counter()
    for xb, yb in loader:
        loss = loss_fn(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
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
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.samples, 784), dtype=np.float32)
    y = rng.integers(0, 10, args.samples)
    runners = {"descend Trainer": descend_trainer, "descend loop": descend_loop}
    try:
        import torch

        torch.set_num_threads(2)
        runners["pytorch loop"] = torch_loop
    except ImportError:
        print("PyTorch not installed: no PyTorch column")
    runners["sklearn"] = sklearn_epoch
    settings = (
        [(128, "adam")]
        if args.quick
        else [(128, "adam"), (32, "adam"), (512, "adam"), (128, "momentum")]
    )

    times = {(s, name): [] for s in settings for name in runners}
    for _ in range(args.rounds):
        for setting in settings:
            for name, fn in runners.items():
                if name == "sklearn" and setting != (128, "adam"):
                    continue
                times[(setting, name)].append(fn(X, y, *setting))

    for setting in settings:
        batch, kind = setting
        medians = {n: statistics.median(t) for (s, n), t in times.items() if s == setting and t}
        print(f"\nbatch {batch}, {kind}: median seconds per epoch over {args.rounds} rounds")
        for name, value in medians.items():
            print(f"  {name:16s} {value:7.3f} s")
        for peer in ("pytorch loop", "sklearn"):
            if peer in medians:
                for ours in ("descend loop", "descend Trainer"):
                    print(f"  {ours} / {peer}: {medians[ours] / medians[peer]:.2f}x")


if __name__ == "__main__":
    main()
