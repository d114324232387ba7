"""A run's parts from its settings: the model, its loss and metrics, inputs and targets
shaped for them, and how a trained model is scored."""

from __future__ import annotations

import math

import numpy as np

from descend import metrics, models, nn
from descend.data.sets import LoadedData, unscale_targets
from descend.runs.config import RunConfig
from descend.tensor import get_default_dtype, manual_seed


def check_model_fits(config: RunConfig, found: LoadedData) -> None:
    """A ValueError saying which model to use when ``config.model`` cannot learn ``found``."""
    model, task, classes = config.model, found.task, found.n_classes
    if model == "linear" and task != "regress":
        raise ValueError(
            f"--model linear is for regression, but {found.name} is a "
            f"classification set; use --model softmax, logistic or mlp"
        )
    if model in ("logistic", "softmax") and task != "classify":
        raise ValueError(
            f"--model {model} is for classification, but {found.name} has a "
            f"regression target; use --model linear or mlp"
        )
    if model == "logistic" and classes != 2:
        raise ValueError(
            f"--model logistic needs 2 classes, {found.name} has {classes}; use --model softmax"
        )
    if model == "lenet" and (found.image_shape is None or found.image_shape[1:] != (28, 28)):
        shape = "x".join(map(str, found.image_shape[1:])) if found.image_shape else "no"
        raise ValueError(
            f"--model lenet needs 28x28 images (MNIST), {found.name} has {shape} "
            f"images; use --model mlp"
        )


def build_model(config: RunConfig, task: str, input_shape: tuple, n_classes: int) -> nn.Module:
    """The model named in ``config`` for inputs of ``input_shape``, seeded by ``config.seed``."""
    n_features = math.prod(input_shape)
    outputs = n_classes if task == "classify" else 1
    _check_size(config, n_features, input_shape, outputs)
    manual_seed(config.seed)
    if config.model == "linear":
        return models.LinearRegression(n_features)
    if config.model == "logistic":
        return models.LogisticRegression(n_features)
    if config.model == "softmax":
        return models.SoftmaxRegression(n_features, outputs)
    if config.model == "lenet":
        return models.LeNet5(input_shape[0], outputs)
    return models.MLP([n_features, *config.hidden, outputs], config.activation or "relu")


# The most weights a run may ask for: 2**27 float32 weights take 512 MiB, 2 GiB with
# their gradients and an optimizer's two moments (LeNet-5 has 61,706; an MNIST MLP 0.1M).
MAX_WEIGHTS = 2**27


def _check_size(config: RunConfig, n_features: int, input_shape: tuple, outputs: int) -> None:
    """A ValueError, before anything is allocated, for a model too large to hold."""
    if config.model == "lenet":
        weights = input_shape[0] * 6 * 25 + 61_706  # the first convolution grows with channels
    elif config.model == "mlp":
        sizes = [n_features, *config.hidden, outputs]
        weights = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    else:
        weights = (n_features + 1) * outputs
    if weights > MAX_WEIGHTS:
        hidden = f" --hidden {','.join(map(str, config.hidden))}" * (config.model == "mlp")
        raise ValueError(
            f"--model {config.model}{hidden} with {n_features} input features asks for "
            f"{weights:.3g} weights ({4 * weights / 2**30:.3g} GiB), more than the "
            f"{MAX_WEIGHTS:.3g} a run may hold"
        )


def build_loss(config: RunConfig, task: str) -> nn.Module:
    """Mean squared error for regression; cross-entropy on logits for classes."""
    if task == "regress":
        return nn.MSELoss()
    return nn.BCEWithLogitsLoss() if config.model == "logistic" else nn.CrossEntropyLoss()


def metric_names(task: str) -> list[str]:
    return ["accuracy", "f1"] if task == "classify" else ["r2", "mae"]


def prepare_inputs(model_name: str, image_shape: tuple | None, X: np.ndarray) -> np.ndarray:
    """Shape the features as the model wants them: images for LeNet, rows otherwise."""
    if model_name == "lenet":
        return X.reshape(len(X), *image_shape)
    return X.reshape(len(X), -1)


def prepare_targets(task: str, model_name: str, y: np.ndarray) -> np.ndarray:
    """Targets as the loss wants them: 0./1. for logistic, a column for an MLP regressor."""
    if model_name == "logistic":
        return y.astype(get_default_dtype())  # BCEWithLogits takes 0./1. targets
    if model_name == "mlp" and task == "regress":
        return y.reshape(-1, 1)
    return y


def score(trainer, X, y, target_scaler=None, y_raw=None) -> dict:
    """Loss and metrics of a trained model on prepared ``(X, y)``.

    A regressor trained on standardised targets is judged in the target's own units:
    loss (mean squared error), r2 and mae of its predictions turned back into them.
    """
    if target_scaler is None:
        return trainer.evaluate((X, y))
    predicted = unscale_targets(trainer.predict(X), target_scaler)
    truth = unscale_targets(y, target_scaler) if y_raw is None else np.asarray(y_raw, float)
    return {
        "loss": metrics.mse(truth, predicted),
        "r2": metrics.r2(truth, predicted),
        "mae": metrics.mae(truth, predicted),
    }
