"""The Trainer: the one training loop every model goes through."""

from __future__ import annotations

import functools
import math
import time

import numpy as np

from descend import metrics as metric_functions
from descend.data import as_loader
from descend.nn import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, NLLLoss
from descend.nn import functional as F
from descend.optim.lr_scheduler import OneCycleLR, ReduceLROnPlateau
from descend.tensor import Tensor, no_grad
from descend.tensor.elementwise import stable_sigmoid
from descend.train.callback import Callback
from descend.train.history import History
from descend.train.progress import ProgressBar

_CLASSIFICATION_LOSSES = (CrossEntropyLoss, NLLLoss)
_BINARY_LOSSES = (BCEWithLogitsLoss, BCELoss)


class Trainer:
    """Train any Module with any loss and optimizer, one batch at a time.

    Every update is the same seven steps: (1) the weights start where the model's
    initialisation put them; for each batch, (2) forward pass, (3) loss of each
    sample, (4) cost = their mean, (5) backpropagation, (6) optimizer step, all
    weights at once; (7) repeat for every batch of every epoch, until the epochs run
    out or a callback stops training (early stopping, convergence, divergence).

    Parameters
    ----------
    model : Module
    loss : Module or callable
        ``loss(output, target)`` returning a scalar Tensor, e.g. ``nn.CrossEntropyLoss()``.
    optimizer : Optimizer
    scheduler : optional
        A learning-rate scheduler; stepped once per epoch (``ReduceLROnPlateau`` with the
        monitored loss, ``OneCycleLR`` once per batch).
    metrics : sequence of str or callable
        Names from ``descend.metrics`` (``"accuracy"``, ``"f1"``, ``"r2"``, ...) or
        functions ``fn(y_true, y_pred) -> float``; ``y_pred`` holds class labels for
        classifiers and values for regressors.
    callbacks : sequence of Callback
        A ``History`` is always added; a ``ProgressBar`` too unless ``verbose=0``.
    verbose : int
        0 for silence.

    Examples
    --------
    >>> model = ds.models.MLP([64, 32, 10])
    >>> trainer = ds.Trainer(model, ds.nn.CrossEntropyLoss(),
    ...                      ds.optim.Adam(model.parameters()), metrics=["accuracy"])
    >>> history = trainer.fit((X_train, y_train), epochs=20, val=(X_val, y_val))
    >>> trainer.evaluate((X_test, y_test))
    {'loss': 0.09, 'accuracy': 0.97}
    """

    def __init__(
        self, model, loss, optimizer, scheduler=None, metrics=(), callbacks=(), verbose: int = 1
    ):
        self.model = model
        self.loss = loss
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.metrics = {_metric_name(m): _metric_function(m, self.task) for m in metrics}
        self.verbose = verbose
        self.history = History()
        extra = (
            [ProgressBar()]
            if verbose and not any(isinstance(c, ProgressBar) for c in callbacks)
            else []
        )
        self.callbacks: list[Callback] = [self.history, *callbacks, *extra]
        for callback in self.callbacks:
            callback.set_trainer(self)
        self.stop_training = False
        self.interrupted = False
        self.epoch = 0
        self.step = 0
        self._progress = None
        self._callback_states = None

    # -- training -------------------------------------------------------------
    def fit(self, train, epochs: int, val=None, batch_size=32, shuffle=True, seed=None) -> History:
        """Train for ``epochs`` more epochs (fewer if a callback stops it); return the History.

        ``train`` and ``val`` are DataLoaders or ``(X, y)`` pairs of arrays; arrays are
        batched with ``batch_size`` (an int, or ``'full'`` for batch gradient descent) and
        shuffled each epoch when ``shuffle``. Calling ``fit`` again continues where the
        last call ended, in the middle of an epoch after ``interrupt()``.
        """
        if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
        loader = as_loader(train, batch_size, shuffle, seed, "train")
        val_loader = None if val is None else as_loader(val, 1024, False, None, "val")
        plan = {
            "n_samples": loader.n_samples,
            "batch_size": loader.batch_size,
            "updates_per_epoch": len(loader),
            "epochs": epochs,
            "total_updates": len(loader) * epochs,
        }
        self.stop_training = False
        self.interrupted = False
        self._call("on_train_begin", plan)
        if self._callback_states:
            for key, callback in self._keyed_callbacks().items():
                if key in self._callback_states:
                    callback.load_state_dict(self._callback_states[key])
        self._callback_states = None
        last = self.epoch + epochs
        while self.epoch < last and not self.stop_training:
            epoch = self.epoch + 1
            self._call("on_epoch_begin", epoch, {})
            start = time.perf_counter()
            logs = self._train_epoch(loader, epoch)
            if self.interrupted:
                break
            self.epoch = epoch
            if val_loader is not None:
                logs.update({f"val_{k}": v for k, v in self.evaluate(val_loader).items()})
            logs["lr"] = self._lr()
            logs["updates"] = self.step
            logs["time"] = time.perf_counter() - start
            self._step_scheduler_per_epoch(logs)
            self._call("on_epoch_end", epoch, logs)
        self._call("on_train_end", {"epoch": self.epoch, "interrupted": self.interrupted})
        return self.history

    def interrupt(self) -> None:
        """Stop after the current batch, keeping the epoch's progress for an exact resume.

        Safe to call from a signal handler (it only sets a flag). ``state_dict()`` then
        holds the unfinished epoch, and the next ``fit`` finishes it.
        """
        self.interrupted = True

    def _train_epoch(self, loader, epoch: int) -> dict:
        progress = self._progress
        if progress is None or progress["epoch"] != epoch:
            # The shuffling state before this epoch's order is drawn, to redraw it on resume.
            shuffle_state = loader.state_dict() if hasattr(loader, "state_dict") else None
            progress = {
                "epoch": epoch,
                "loader": shuffle_state,
                "batches": 0,
                "total": 0.0,
                "count": 0,
                "targets": [],
                "predictions": [],
            }
        elif progress["loader"] is not None:
            loader.load_state_dict(progress["loader"])
        self._progress = progress
        self.model.train()
        for index, (X, y) in enumerate(loader):
            if index < progress["batches"]:
                continue  # done before the interruption
            output = self.model(X)
            cost = self.loss(output, y)
            self.optimizer.zero_grad()
            cost.backward()
            self.optimizer.step()
            self.step += 1
            value = cost.item()
            progress["batches"] += 1
            progress["total"] += value * len(X)
            progress["count"] += len(X)
            if self.metrics:
                progress["targets"].append(y.data)
                progress["predictions"].append(self._predictions(output.data))
            self._call(
                "on_batch_end",
                self.step,
                {"loss": value, "batch_size": len(X), "lr": self._lr(), "step": self.step},
            )
            if isinstance(self.scheduler, OneCycleLR):
                self.scheduler.step()
            if self.stop_training or self.interrupted:
                break
        if self.interrupted:
            return {}
        self._progress = None
        count = progress["count"]
        logs = {"loss": progress["total"] / count if count else math.nan}
        if self.metrics and progress["targets"]:
            targets = np.concatenate(progress["targets"])
            logs.update(self._score(targets, np.concatenate(progress["predictions"])))
        return logs

    # -- resuming --------------------------------------------------------------
    def state_dict(self) -> dict:
        """Everything but the model needed to continue training exactly where it stands.

        Epoch and step counters, the History, the optimizer's and scheduler's state, the
        callbacks' state, and the unfinished epoch after ``interrupt()``. The model's
        weights and the random generators are saved by the caller beside it.
        """
        return {
            "epoch": self.epoch,
            "step": self.step,
            "history": self.history.to_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
            "callbacks": {key: c.state_dict() for key, c in self._keyed_callbacks().items()},
            "progress": self._progress,
        }

    def load_state_dict(self, state: dict) -> None:
        self.epoch = int(state["epoch"])
        self.step = int(state["step"])
        self.history.restore(state["history"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        self._callback_states = state.get("callbacks") or {}  # applied once fit() starts them
        self._progress = state.get("progress")

    def _step_scheduler_per_epoch(self, logs: dict) -> None:
        if self.scheduler is None or isinstance(self.scheduler, OneCycleLR):
            return
        if isinstance(self.scheduler, ReduceLROnPlateau):
            self.scheduler.step(logs.get("val_loss", logs["loss"]))
        else:
            self.scheduler.step()

    # -- judging ---------------------------------------------------------------
    def evaluate(self, data, batch_size=1024) -> dict:
        """Mean loss and every metric on ``data`` (a DataLoader or ``(X, y)``), in eval mode."""
        loader = as_loader(data, batch_size, False, None, "data")
        outputs, targets = self._outputs(loader)
        with no_grad():
            loss = self.loss(Tensor(outputs), Tensor(targets)).item()
        return {"loss": loss, **self._score(targets, self._predictions(outputs))}

    def predict(self, X, batch_size=1024) -> np.ndarray:
        """Class labels for a classifier (by its loss), values for a regressor."""
        return self._predictions(self._forward(X, batch_size))

    def predict_proba(self, X, batch_size=1024) -> np.ndarray:
        """Class probabilities, shape (N, C); a binary classifier gives (N, 2)."""
        output = self._forward(X, batch_size)
        if isinstance(self.loss, CrossEntropyLoss):
            with no_grad():
                return F.softmax(Tensor(output), dim=1).data
        if isinstance(self.loss, NLLLoss):
            return np.exp(output)
        if isinstance(self.loss, _BINARY_LOSSES):
            p = output.reshape(-1)
            if isinstance(self.loss, BCEWithLogitsLoss):
                p = stable_sigmoid(p)
            return np.stack([1 - p, p], axis=1)
        raise TypeError(
            f"predict_proba needs a classification loss, not {type(self.loss).__name__}"
        )

    @property
    def task(self) -> str:
        """'multiclass', 'binary' or 'regression', read from the loss."""
        if isinstance(self.loss, _CLASSIFICATION_LOSSES):
            return "multiclass"
        if isinstance(self.loss, _BINARY_LOSSES):
            return "binary"
        return "regression"

    def _predictions(self, output: np.ndarray) -> np.ndarray:
        task = self.task
        if task == "multiclass":
            return output.argmax(axis=1)
        if task == "binary":
            threshold = 0.0 if isinstance(self.loss, BCEWithLogitsLoss) else 0.5
            return (output.reshape(len(output), -1)[:, 0] > threshold).astype(np.int64)
        return output

    def _score(self, y_true: np.ndarray, y_pred: np.ndarray) -> dict:
        return {name: float(fn(y_true, y_pred)) for name, fn in self.metrics.items()}

    def _forward(self, X, batch_size) -> np.ndarray:
        X = X.data if isinstance(X, Tensor) else X
        outputs, _ = self._outputs(as_loader((X, None), batch_size, False, None, "X"))
        return outputs

    def _outputs(self, loader) -> tuple[np.ndarray, np.ndarray | None]:
        was_training = self.model.training
        self.model.eval()
        outputs, targets = [], []
        try:
            with no_grad():
                for X, y in loader:
                    outputs.append(self.model(X).data)
                    if y is not None:
                        targets.append(y.data)
        finally:
            self.model.train(was_training)
        return np.concatenate(outputs), (np.concatenate(targets) if targets else None)

    # -- helpers ---------------------------------------------------------------
    def _keyed_callbacks(self) -> dict:
        """Callbacks by class name (``EarlyStopping``, ``EarlyStopping#2``, ...)."""
        keyed = {}
        for callback in self.callbacks:
            name = type(callback).__name__
            key, n = name, 1
            while key in keyed:
                n += 1
                key = f"{name}#{n}"
            keyed[key] = callback
        return keyed

    def _lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def _call(self, hook: str, *args) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(*args)


def _metric_name(metric) -> str:
    return metric if isinstance(metric, str) else getattr(metric, "__name__", repr(metric))


# Metrics that score labels or values with one number (log_loss needs probabilities).
_NAMED_METRICS = ("accuracy", "precision", "recall", "f1", "r2", "mse", "mae")


def _metric_function(metric, task: str):
    if callable(metric):
        return metric
    if metric not in _NAMED_METRICS:
        known = ", ".join(_NAMED_METRICS)
        raise ValueError(f"unknown metric {metric!r}; known: {known}")
    function = getattr(metric_functions, metric)
    if task == "multiclass" and metric in ("precision", "recall", "f1"):
        return functools.partial(function, average="macro")
    return function
