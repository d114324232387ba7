"""Runs: building a model, loss, optimizer and schedule from a RunConfig; run folders."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

import descend as ds
from descend import data, metrics, models, nn, optim
from descend.cli.datasets import (
    Dataset,
    Splits,
    load_dataset,
    prepare_inputs,
    prepare_targets,
    scale,
    split_data,
    unscale_targets,
)
from descend.cli.settings import DEFAULT_LR, RunConfig, UsageError
from descend.optim import lr_scheduler


# -- model, loss, optimizer, schedule ----------------------------------------------
def check_model_fits(config: RunConfig, found: Dataset) -> None:
    model, task, classes = config.model, found.task, found.n_classes
    if model == "linear" and task != "regress":
        raise UsageError(
            f"--model linear is for regression, but {found.name} is a "
            f"classification set; use --model softmax, logistic or mlp"
        )
    if model in ("logistic", "softmax") and task != "classify":
        raise UsageError(
            f"--model {model} is for classification, but {found.name} has a "
            f"regression target; use --model linear or mlp"
        )
    if model == "logistic" and classes != 2:
        raise UsageError(
            f"--model logistic needs 2 classes, {found.name} has {classes}; use --model softmax"
        )
    if model == "lenet" and (found.image_shape is None or found.image_shape[1:] != (28, 28)):
        shape = "x".join(map(str, found.image_shape[1:])) if found.image_shape else "no"
        raise UsageError(
            f"--model lenet needs 28x28 images (MNIST), {found.name} has {shape} "
            f"images; use --model mlp"
        )


def build_model(config: RunConfig, task: str, input_shape: tuple, n_classes: int) -> nn.Module:
    """The model named in ``config`` for inputs of ``input_shape``, seeded by ``config.seed``."""
    n_features = int(np.prod(input_shape))
    outputs = n_classes if task == "classify" else 1
    ds.manual_seed(config.seed)
    if config.model == "linear":
        return models.LinearRegression(n_features)
    if config.model == "logistic":
        return models.LogisticRegression(n_features)
    if config.model == "softmax":
        return models.SoftmaxRegression(n_features, outputs)
    if config.model == "lenet":
        return models.LeNet5(input_shape[0], outputs)
    return models.MLP([n_features, *config.hidden, outputs])


def build_loss(config: RunConfig, task: str) -> nn.Module:
    if task == "regress":
        return nn.MSELoss()
    return nn.BCEWithLogitsLoss() if config.model == "logistic" else nn.CrossEntropyLoss()


def learning_rate(config: RunConfig) -> float:
    return config.lr if config.lr is not None else DEFAULT_LR[config.optimizer]


def build_optimizer(config: RunConfig, parameters) -> optim.Optimizer:
    lr, name = learning_rate(config), config.optimizer
    if name in ("sgd", "momentum", "nesterov"):
        momentum = 0.0 if name == "sgd" else 0.9
        return optim.SGD(parameters, lr=lr, momentum=momentum, nesterov=name == "nesterov")
    kinds = {
        "adagrad": optim.Adagrad,
        "rmsprop": optim.RMSprop,
        "adam": optim.Adam,
        "adamw": optim.AdamW,
    }
    return kinds[name](parameters, lr=lr)


def build_scheduler(config: RunConfig, optimizer, updates_per_epoch: int):
    name, epochs = config.scheduler, config.epochs
    if name == "none":
        return None
    if name == "step":
        return lr_scheduler.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1)
    if name == "exponential":
        return lr_scheduler.ExponentialLR(optimizer, gamma=0.95)
    if name == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    if name == "linear":
        return lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=min(5, epochs))
    if name == "onecycle":
        return lr_scheduler.OneCycleLR(
            optimizer, max_lr=learning_rate(config), total_steps=epochs * updates_per_epoch
        )
    return lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=3)


def metric_names(task: str) -> list[str]:
    return ["accuracy", "f1"] if task == "classify" else ["r2", "mae"]


@dataclass
class Run:
    """A configured run: data split and scaled, model, loss, optimizer, loader, scheduler."""

    config: RunConfig
    dataset: Dataset
    splits: Splits
    model: nn.Module
    loss: nn.Module
    optimizer: optim.Optimizer
    loader: data.DataLoader
    scheduler: object
    val: tuple | None
    test: tuple | None


def prepare_run(config: RunConfig, found: Dataset | None = None) -> Run:
    """Build everything a run needs from its configuration, deterministically from its seed."""
    found = found or load_dataset(config.data, config.target, config.task)
    check_model_fits(config, found)
    splits = scale(split_data(found, config), found)

    def part(X, y):
        if X is None or len(X) == 0:
            return None
        return prepare_inputs(found, config.model, X), prepare_targets(found.task, config.model, y)

    train = part(splits.X_train, splits.y_train)
    model = build_model(config, found.task, found.X.shape[1:], found.n_classes)
    optimizer = build_optimizer(config, model.parameters())
    loader = data.DataLoader(
        data.TensorDataset(*train), batch_size=config.batch_size, shuffle=True, seed=config.seed
    )
    scheduler = build_scheduler(config, optimizer, len(loader))
    return Run(
        config,
        found,
        splits,
        model,
        build_loss(config, found.task),
        optimizer,
        loader,
        scheduler,
        part(splits.X_val, splits.y_val),
        part(splits.X_test, splits.y_test),
    )


# -- run folders -------------------------------------------------------------------
RUN_MARKERS = ("config.toml", "model.safetensors", "checkpoint.safetensors")


def holds_run(folder: Path) -> bool:
    return any((folder / name).exists() for name in RUN_MARKERS)


def new_run_folder(config: RunConfig, runs: Path = Path("runs")) -> Path:
    """``runs/<data>-<model>``, numbered ``-2``, ``-3``... when taken."""
    stem = f"{Path(config.data).stem}-{config.model}"
    folder, n = runs / stem, 1
    while folder.exists() and any(folder.iterdir()):
        n += 1
        folder = runs / f"{stem}-{n}"
    return folder


def open_run(folder: Path) -> RunConfig:
    """The configuration of the run saved in ``folder``."""
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such run folder")
    if not (folder / "config.toml").is_file():
        raise UsageError(f"{folder}: not a run folder (no config.toml)")
    return RunConfig.from_toml(folder / "config.toml").validate()


@dataclass
class SavedRun:
    """A finished run read back from its folder: the trained model and how to feed it."""

    folder: Path
    config: RunConfig
    model: nn.Module
    loss: nn.Module
    scaler: data.StandardScaler | None
    task: str
    class_names: list[str] | None
    feature_names: list[str]
    input_shape: tuple
    target_scaler: data.StandardScaler | None = None

    def trainer(self):
        from descend.train import Trainer

        return Trainer(self.model, self.loss, None, metrics=metric_names(self.task), verbose=0)

    def inputs(self, X: np.ndarray) -> np.ndarray:
        """Raw features scaled as in training and shaped for the model."""
        n_features = int(np.prod(self.input_shape))
        if X.ndim == 2 and X.shape[1] != n_features:
            raise UsageError(f"expected {n_features} features, got {X.shape[1]}")
        X = X.reshape(len(X), *self.input_shape).astype(ds.get_default_dtype())
        if self.scaler is not None:
            X = self.scaler.transform(X.reshape(len(X), -1)).reshape(X.shape)
        return X.reshape(len(X), -1) if self.config.model != "lenet" else X

    def targets(self, y: np.ndarray) -> np.ndarray:
        return prepare_targets(self.task, self.config.model, y)

    def predict_values(self, X: np.ndarray) -> np.ndarray:
        """A regressor's predictions for raw features, in the target's own units."""
        return unscale_targets(self.trainer().predict(self.inputs(X)), self.target_scaler)

    def score(self, X: np.ndarray, y: np.ndarray) -> dict:
        """Loss and metrics for raw features and targets (a regressor's in the target's units)."""
        return score(self.trainer(), self.inputs(X), self.targets(y), self.target_scaler, y)


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


def load_run(folder: Path) -> SavedRun:
    """Rebuild the trained model of the run in ``folder`` (weights, scaler, metadata)."""
    from descend import io

    config = open_run(folder)
    path = folder / "model.safetensors"
    if not path.is_file():
        raise UsageError(
            f"{folder}: no model.safetensors; the run has not finished "
            f"(resume it with: descend train --resume {folder})"
        )
    state, meta = io.load(path), io.load_metadata(path)
    try:
        task, classes = meta["task"], meta["class_names"]
        features, shape = meta["feature_names"], tuple(meta["input_shape"])
    except KeyError as missing:
        raise UsageError(f"{path}: model metadata lacks {missing}") from None
    model = build_model(config, task, shape, len(classes or []))
    try:
        model.load_state_dict(state)
    except (KeyError, ValueError) as error:
        raise UsageError(
            f"{path} does not fit the {config.model} of its config.toml: {error}"
        ) from None
    model.eval()
    scalers = {}
    for name in ("scaler", "target_scaler"):
        if (folder / f"{name}.safetensors").is_file():
            state = io.load(folder / f"{name}.safetensors")
            scalers[name] = data.StandardScaler().load_state_dict(state)
    return SavedRun(
        folder,
        config,
        model,
        build_loss(config, task),
        scalers.get("scaler"),
        task,
        classes,
        features,
        shape,
        scalers.get("target_scaler"),
    )
