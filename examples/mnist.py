"""Real handwritten digits: an MLP and LeNet-5 on MNIST.

The folder holds MNIST's IDX files (gzip-compressed or not). With the four files of
the standard download, the 60,000 ``train`` images train and the 10,000 ``t10k``
images test; with the ``t10k`` pair alone, its first 8,000 images train and the last
2,000 test (the "mnist-10k" split). The MLP 784-256-128-10 and LeNet-5 train 10
epochs each, with Adam and the one Trainer.

    python examples/mnist.py [path/to/mnist] [--model mlp|lenet|both]
"""

import argparse
import time
from pathlib import Path

import descend as ds
from descend import nn, optim
from descend.data import load_mnist
from descend.data.mnist import mnist_kinds
from descend.metrics import accuracy
from descend.models import MLP, LeNet5

DEFAULT = Path("data/mnist")
FILES = "{train,t10k}-images-idx3-ubyte.gz and {train,t10k}-labels-idx1-ubyte.gz"


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

    kinds = mnist_kinds(args.path) if args.path.is_dir() else []
    if "t10k" not in kinds:
        parser.exit(
            2,
            f"no MNIST files in {args.path}: put {FILES} there (the t10k pair at least), "
            f"or pass the folder that holds them: python examples/mnist.py path/to/mnist\n",
        )
    if "train" in kinds:  # the standard split
        X_train, y_train = load_mnist(args.path, kind="train")
        X_test, y_test = load_mnist(args.path, kind="t10k")
    else:  # mnist-10k: the test set alone, split in two
        X, y = load_mnist(args.path, kind="t10k")  # (10000, 1, 28, 28) in [0, 1]
        X_train, y_train, X_test, y_test = X[:8000], y[:8000], X[8000:], y[8000:]
    print(f"MNIST from {args.path}: {len(X_train)} images to train on, {len(X_test)} to test")
    results = {}
    if args.model in ("mlp", "both"):
        ds.manual_seed(0)
        flat = (X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1))
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
