"""Histories the picture tests draw."""

import numpy as np

from descend import nn, optim
from descend.models import LogisticRegression
from descend.train import EarlyStopping, History, Trainer


def blobs(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(0, 0.7, n) > 0).astype(np.float32)
    return X.astype(np.float32), y


def classifier_history(epochs=25, callbacks=None) -> History:
    """A logistic regression on noisy blobs (by default stopped early, 25 epochs at most)."""
    X, y = blobs()
    model = LogisticRegression(2)
    trainer = Trainer(
        model,
        nn.BCEWithLogitsLoss(),
        optim.SGD(model.parameters(), lr=0.5),
        metrics=["accuracy"],
        callbacks=[EarlyStopping(patience=3)] if callbacks is None else callbacks,
        verbose=0,
    )
    return trainer.fit((X[:90], y[:90]), epochs=epochs, val=(X[90:], y[90:]), batch_size=10, seed=0)
