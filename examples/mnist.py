"""Real handwritten digits: an MLP and LeNet-5 on MNIST ("mnist-10k" split).

The first 8,000 images of the MNIST test set train, the last 2,000 test. The MLP
784-256-128-10 trains 10 epochs; LeNet-5 trains 10 epochs. Both use Adam and the
one Trainer.

    python examples/mnist.py [path/to/mnist] [--model mlp|lenet|both]
"""

import argparse
import time
from pathlib import Path

import descend as ds
from descend import nn, optim
from descend.data import load_mnist
from descend.metrics import accuracy
from descend.models import MLP, LeNet5

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"


def train(model, X_train, y_train, X_test, y_test, epochs, lr):
    trainer = ds.Trainer(
        model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=lr), metrics=["accuracy"]
    )
    start = time.perf_counter()
    trainer.fit((X_train, y_train), epochs=epochs, batch_size=64, seed=0, val=(X_test, y_test))
    score = accuracy(y_test, trainer.predict(X_test))
    return score, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=DEFAULT, type=Path)
    parser.add_argument("--model", choices=["mlp", "lenet", "both"], default="both")
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()

    X, y = load_mnist(args.path, kind="t10k")  # (10000, 1, 28, 28) in [0, 1]
    X_train, y_train, X_test, y_test = X[:8000], y[:8000], X[8000:], y[8000:]
    results = {}
    if args.model in ("mlp", "both"):
        ds.manual_seed(0)
        flat = (X_train.reshape(8000, -1), X_test.reshape(2000, -1))
        results["MLP 784-256-128-10"] = train(
            MLP([784, 256, 128, 10]), flat[0], y_train, flat[1], y_test, args.epochs, 1e-3
        )
    if args.model in ("lenet", "both"):
        ds.manual_seed(0)
        results["LeNet-5"] = train(LeNet5(), X_train, y_train, X_test, y_test, args.epochs, 2e-3)
    for name, (score, seconds) in results.items():
        print(f"{name}: test accuracy {score:.4f} after {args.epochs} epochs ({seconds:.1f} s)")


if __name__ == "__main__":
    main()
