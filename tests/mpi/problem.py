"""The small training problem the MPI tests solve in P processes and in one.

Imported by the worker scripts (run by mpiexec) and by the tests (the single-process
reference), so both sides train exactly the same model on exactly the same data.
"""

from __future__ import annotations

import numpy as np

import descend as ds

N, FEATURES, CLASSES = 49, 5, 3
BATCH = 16  # batches of 16, 16, 16 and 1: shares 6/5/5 and an empty one with 3 processes


def data(n: int = N, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, FEATURES))
    y = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(int) + (X[:, 2] > 1)
    return X, y


def trainer(model_seed: int, loader_seed: int = 1, callbacks=(), lr: float = 0.1, dataset=None):
    """An MLP trained with momentum on shuffled batches of ``dataset`` (by default the
    arrays of :func:`data`), in float64; its loader."""
    ds.set_default_dtype(np.float64)
    ds.manual_seed(model_seed)
    model = ds.models.MLP([FEATURES, 8, CLASSES])
    dataset = dataset or ds.data.TensorDataset(*data())
    loader = ds.data.DataLoader(dataset, batch_size=BATCH, shuffle=True, seed=loader_seed)
    fit = ds.Trainer(
        model,
        ds.nn.CrossEntropyLoss(),
        ds.optim.SGD(model.parameters(), lr=lr, momentum=0.9),
        metrics=["accuracy", "f1"],
        callbacks=callbacks,
        verbose=0,
        parallel=ds.distributed.strategy(),
    )
    return fit, loader


def validation():
    return data(n=23, seed=5)


def weights(model) -> dict[str, np.ndarray]:
    return {name: p.data.copy() for name, p in model.named_parameters()}


def records(history) -> dict[str, list]:
    """The History's numbers that must not depend on the number of processes."""
    kept = {k: v for k, v in history.records.items() if k != "time"}
    return {**kept, "step_loss": list(history.step_loss), "epochs": list(history.epochs)}


class CountingNpy(ds.data.NpyDataset):
    """An NpyDataset that counts the rows it reads."""

    rows_read = 0

    def __getitem__(self, index):
        x, y = super().__getitem__(index)
        self.rows_read += len(x)
        return x, y


class At(ds.train.Callback):
    """Calls ``action(trainer)`` after update ``step``, in the process ``rank`` only."""

    def __init__(self, step: int, rank: int, action):
        self.step, self.rank, self.action = step, rank, action
        super().__init__()

    def on_batch_end(self, step, logs):
        if step == self.step and ds.distributed.rank() == self.rank:
            self.action(self.trainer)
