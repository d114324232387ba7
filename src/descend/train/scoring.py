"""How a Trainer judges a model: its metrics, found by name, and its outputs over a loader."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

import numpy as np

from descend import backend, threads
from descend import metrics as metric_module
from descend.tensor import no_grad

# Metrics that score labels or values with one number (log_loss needs probabilities).
NAMED_METRICS = ("accuracy", "precision", "recall", "f1", "r2", "mse", "mae")


def metric_functions(metrics: Iterable, task: str) -> dict[str, Callable]:
    """``{name: fn(y_true, y_pred)}`` for names from :data:`NAMED_METRICS` and functions;
    precision, recall and F1 of a multiclass task are macro averages."""
    return {_name(m): _function(m, task) for m in metrics}


def _name(metric) -> str:
    return metric if isinstance(metric, str) else getattr(metric, "__name__", repr(metric))


def _function(metric, task: str) -> Callable:
    if callable(metric):
        return metric
    if metric not in NAMED_METRICS:
        known = ", ".join(NAMED_METRICS)
        raise ValueError(f"unknown metric {metric!r}; known: {known}")
    function = getattr(metric_module, metric)
    if task == "multiclass" and metric in ("precision", "recall", "f1"):
        return functools.partial(function, average="macro")
    return function


def outputs(model, loader, count: int, to_device: Callable) -> tuple:
    """The model's outputs over ``loader`` in eval mode, on ``count`` threads, as one host
    array, with the targets (None when the loader has none); ``(None, None)`` for a
    loader without batches (a process's part of a validation set smaller than the job).
    """
    was_training = model.training
    model.eval()
    results, targets = [], []
    try:
        with no_grad(), threads.limited(count):
            for X, y in loader:
                results.append(model(to_device(X)).data)
                if y is not None:
                    targets.append(backend.to_host(y.data))
    finally:
        model.train(was_training)
    if not results:
        return None, None
    joined = backend.to_host(backend.xp_of(results[0]).concatenate(results))
    return joined, (np.concatenate(targets) if targets else None)
