"""MNIST-1D: a small Conv1d network against the paper's MLP and logistic regression.

MNIST-1D (Greydanus & Kobak, 2020) turns each of the ten digits into a 1-D template,
then pads, shears, shifts and adds noise, giving signals of 40 samples: 4,000 to
train, 1,000 to test. The data is generated here by the package's own generator with
its default settings (no download). The paper reports test accuracies of about 32%
for logistic regression, 68% for an MLP and 94% for a CNN; the models below are the
paper's, trained as the paper trains them (Adam, learning rate 0.01, batches of 100,
6,000 steps = 150 epochs) through the one Trainer.

    pip install mnist1d
    python examples/mnist_1d.py [--epochs 150]
"""

import argparse
import sys
import time

import numpy as np

import descend as ds
from descend import nn, optim
from descend.metrics import accuracy

try:
    from mnist1d.data import get_dataset_args, make_dataset
except ImportError:
    sys.exit("examples/mnist_1d.py needs the mnist1d package: pip install mnist1d")


def logistic_regression() -> nn.Module:
    return nn.Linear(40, 10)


def mlp() -> nn.Module:
    return nn.Sequential(
        nn.Linear(40, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU(), nn.Linear(100, 10)
    )


def cnn() -> nn.Module:
    # Signal length 40 -> 19 -> 10 -> 5, with 25 channels: 125 features for the classifier.
    return nn.Sequential(
        nn.Conv1d(1, 25, 5, stride=2, padding=1), nn.ReLU(),
        nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(),
        nn.Linear(125, 10),
    )  # fmt: skip


def train(model, X, y, X_test, y_test, epochs):
    trainer = ds.Trainer(
        model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=1e-2), verbose=0
    )
    start = time.perf_counter()
    trainer.fit(X, y, epochs=epochs, batch_size=100, seed=0)
    return accuracy(y_test, trainer.predict(X_test)), time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=150)
    args = parser.parse_args()

    data = make_dataset(get_dataset_args())  # seeds NumPy's global generator with 42
    X, X_test = data["x"].astype(np.float32), data["x_test"].astype(np.float32)
    y, y_test = data["y"], data["y_test"]
    print(f"MNIST-1D: {len(X)} training and {len(X_test)} test signals of {X.shape[1]} samples")

    models = {
        "logistic regression": (logistic_regression, X, X_test, "32%"),
        "MLP 40-100-100-10": (mlp, X, X_test, "68%"),
        "CNN (3 x Conv1d, 25 channels)": (cnn, X[:, None, :], X_test[:, None, :], "94%"),
    }
    for name, (build, train_x, test_x, paper) in models.items():
        ds.manual_seed(0)
        model = build()
        score, seconds = train(model, train_x, y, test_x, y_test, args.epochs)
        print(
            f"{name:30s} test accuracy {score:.1%}  (paper {paper}; "
            f"{sum(p.size for p in model.parameters()):,} parameters, {seconds:.0f} s)"
        )


if __name__ == "__main__":
    main()
