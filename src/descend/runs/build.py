"""A run's parts from its settings and the table of model kinds: the model, its loss and
metrics, optimizer and schedule, inputs and targets shaped for them, and how a trained
model is scored."""

from __future__ import annotations

import math

import numpy as np

from descend import metrics, nn, optim
from descend.data import DataLoader
from descend.data.sets import LoadedData, require_two_classes, unscale_targets
from descend.runs.config import RunConfig
from descend.runs.kinds import KINDS, ModelKind
from descend.tensor import get_default_dtype, manual_seed

_TASK_WORDS = {"classify": "classification", "regress": "regression"}


def check_model_fits(config: RunConfig, found: LoadedData) -> None:
    """A ValueError saying which model to use when ``config.model`` cannot learn ``found``."""
    require_two_classes(found, config.data)  # also when the task was given, not inferred
    kind = KINDS[config.model]
    if found.task not in kind.tasks:
        what = "is a classification set" if found.task == "classify" else "has a regression target"
        said = f"is for {_TASK_WORDS[kind.tasks[0]]}, but {found.name} {what}"
    elif not _fits_classes(kind, found):
        said = f"needs {kind.classes} classes, {found.name} has {found.n_classes}"
    elif not _fits_images(kind, found):
        shape = "x".join(map(str, found.image_shape[1:])) if found.image_shape else "no"
        wanted = "x".join(map(str, kind.images))
        said = f"needs {wanted} images, {found.name} has {shape} images"
    else:
        return
    others = [k.name for k in KINDS.values() if _can_learn(k, found)]
    instead = ", ".join(others[:-1]) + (" or " if len(others) > 1 else "") + others[-1]
    raise ValueError(f"--model {kind.name} {said}; use --model {instead}")


def _can_learn(kind: ModelKind, found: LoadedData) -> bool:
    return found.task in kind.tasks and _fits_classes(kind, found) and _fits_images(kind, found)


def _fits_classes(kind: ModelKind, found: LoadedData) -> bool:
    return kind.classes is None or found.task != "classify" or kind.classes == found.n_classes


def _fits_images(kind: ModelKind, found: LoadedData) -> bool:
    shape = found.image_shape
    return kind.images is None or (shape is not None and tuple(shape[1:]) == kind.images)


def build_model(config: RunConfig, task: str, input_shape: tuple, n_classes: int) -> nn.Module:
    """The model named in ``config`` for inputs of ``input_shape``, seeded by ``config.seed``."""
    outputs = n_classes if task == "classify" else 1
    _check_size(config, math.prod(input_shape), outputs)
    manual_seed(config.seed)
    return KINDS[config.model].build(config, tuple(input_shape), outputs)


# The most weights a run may ask for: 2**27 float32 weights take 512 MiB, 2 GiB with
# their gradients and an optimizer's two moments (LeNet-5 has 61,706; an MNIST MLP 0.1M).
MAX_WEIGHTS = 2**27


def _check_size(config: RunConfig, n_features: int, outputs: int) -> None:
    """A ValueError, before anything is allocated, for a model too large to hold: its
    layers of sizes features, hidden (for a model that reads ``hidden``), outputs."""
    hidden = list(config.hidden) if "hidden" in KINDS[config.model].defaults else []
    sizes = [n_features, *hidden, outputs]
    weights = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    if weights > MAX_WEIGHTS:
        layers = f" --hidden {','.join(map(str, hidden))}" if hidden else ""
        raise ValueError(
            f"--model {config.model}{layers} with {n_features} input features asks for "
            f"{weights:.3g} weights ({4 * weights / 2**30:.3g} GiB), more than the "
            f"{MAX_WEIGHTS:.3g} a run may hold"
        )


def build_loss(config: RunConfig, task: str) -> nn.Module:
    """The loss the model kind trains with for ``task``."""
    return KINDS[config.model].losses[task]()


def build_training(config: RunConfig, found: LoadedData, updates_per_epoch: int) -> tuple:
    """``(model, loss, optimizer, scheduler)`` of a run whose epochs have that many updates."""
    model = build_model(config, found.task, found.X.shape[1:], found.n_classes)
    optimizer = optim.get(config.optimizer, model.parameters(), lr=config.learning_rate)
    name, setting = config.schedule()
    scheduler = optim.get_scheduler(
        name, optimizer, epochs=config.epochs, updates_per_epoch=updates_per_epoch, **setting
    )
    return model, build_loss(config, found.task), optimizer, scheduler


def metric_names(task: str) -> list[str]:
    return ["accuracy", "f1"] if task == "classify" else ["r2", "mae"]


def prepare_inputs(model_name: str, image_shape: tuple | None, X: np.ndarray) -> np.ndarray:
    """Shape the features as the model wants them: images, or rows of features."""
    if KINDS[model_name].images is not None:
        return X.reshape(len(X), *image_shape)
    return X.reshape(len(X), -1)


def prepare_targets(task: str, model_name: str, y: np.ndarray) -> np.ndarray:
    """Targets as the loss wants them: 0./1. for a binary loss, a column for a model
    whose regression output is one."""
    kind = KINDS[model_name]
    if getattr(kind.losses[task], "task", None) == "binary":
        return y.astype(get_default_dtype())  # BCEWithLogits takes 0./1. targets
    if task == "regress" and kind.column_output:
        return y.reshape(-1, 1)
    return y


def score(trainer, data, target_scaler=None, truth=None) -> dict:
    """Loss and metrics of a trained model on ``data``: prepared ``(X, y)`` or a loader.

    A regressor trained on standardised targets is judged in the target's own units:
    loss (mean squared error), r2 and mae of its predictions turned back into them,
    against ``truth`` (default: the targets of ``data`` turned back).
    """
    if target_scaler is None:
        return trainer.evaluate(data)
    inputs = data if isinstance(data, DataLoader) else data[0]
    predicted = unscale_targets(trainer.predict(inputs), target_scaler)
    if truth is None:
        truth = unscale_targets(data[1], target_scaler)
    return regression_scores(truth, predicted)


def regression_scores(truth, predicted) -> dict:
    """Mean squared error (the loss), r2 and mae, in the units of ``truth``."""
    truth = np.asarray(truth, dtype=np.float64)
    return {
        "loss": metrics.mse(truth, predicted),
        "r2": metrics.r2(truth, predicted),
        "mae": metrics.mae(truth, predicted),
    }
