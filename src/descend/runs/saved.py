"""A finished run read back from its folder: the trained model with the pipeline that feeds
it raw inputs (the scaler of training, the model's input shape, the target's units).

>>> saved = ds.load_run("runs/iris-softmax")          # doctest: +SKIP
>>> saved.predict(X_raw), saved.predict_proba(X_raw)  # doctest: +SKIP
>>> saved.evaluate(X_raw, y)                          # doctest: +SKIP
{'loss': 0.09..., 'accuracy': 0.96..., 'f1': 0.96...}
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from descend import backend, io, nn
from descend.data.preprocessing import StandardScaler
from descend.data.sets import BUILTIN_DATA, unscale_targets
from descend.runs.build import (
    build_loss,
    build_model,
    metric_names,
    prepare_targets,
    score,
)
from descend.runs.config import RunConfig
from descend.tensor import get_default_dtype
from descend.train import Trainer


def open_run(folder: Path) -> RunConfig:
    """The configuration of the run saved in ``folder``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder}: no such run folder")
    if not (folder / "config.toml").is_file():
        raise ValueError(f"{folder}: not a run folder (no config.toml)")
    return RunConfig.from_toml(folder / "config.toml").validate()


@dataclass
class SavedRun:
    """A trained run: its model and how to feed it raw inputs.

    ``predict``, ``predict_proba`` and ``evaluate`` take raw features (as in the data set
    or CSV file, one row per sample) and do what ``descend predict`` and ``descend
    evaluate`` do: scale them as in training, shape them for the model, and give a
    regressor's predictions in the target's own units. Class predictions are indices
    into ``class_names``. ``diverged`` is the DivergenceGuard's message when training
    diverged (the weights are then the last good ones, which may be the untrained start).
    """

    folder: Path
    config: RunConfig
    model: nn.Module
    loss: nn.Module
    scaler: StandardScaler | None
    task: str
    class_names: list[str] | None
    feature_names: list[str]
    input_shape: tuple
    target_scaler: StandardScaler | None = None
    diverged: str | None = None

    def trainer(self) -> Trainer:
        return Trainer(self.model, self.loss, None, metrics=metric_names(self.task), verbose=0)

    def inputs(self, X: np.ndarray) -> np.ndarray:
        """Raw features scaled as in training and shaped for the model."""
        X = np.asarray(X)
        n_features, given = int(np.prod(self.input_shape)), int(np.prod(X.shape[1:]))
        if X.ndim < 2 or given != n_features:
            shape = "x".join(map(str, X.shape[1:]))
            raise ValueError(
                f"expected {n_features} features, got {given}"
                + (f" ({shape} images)" if X.ndim > 2 else "")
            )
        X = X.reshape(len(X), *self.input_shape).astype(get_default_dtype())
        if self.scaler is not None:
            X = self.scaler.transform(X.reshape(len(X), -1)).reshape(X.shape)
        return X.reshape(len(X), -1) if self.config.model != "lenet" else X

    def targets(self, y: np.ndarray) -> np.ndarray:
        return prepare_targets(self.task, self.config.model, np.asarray(y))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class indices, or a regressor's values in the target's own units, shape (N,)."""
        predicted = self.trainer().predict(self.inputs(X))
        if self.task == "classify":
            return predicted
        return unscale_targets(predicted, self.target_scaler)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Each class's probability, shape (N, number of classes)."""
        if self.task != "classify":
            raise ValueError(f"{self.folder} is a regression run: it has no class probabilities")
        return self.trainer().predict_proba(self.inputs(X))

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> dict:
        """Loss and metrics for raw features and targets (a regressor's in the target's units)."""
        return score(self.trainer(), self.inputs(X), self.targets(y), self.target_scaler, y)


def load_run(folder: str | Path, device: str = "cpu") -> SavedRun:
    """The trained run in ``folder`` (written by ``descend train`` or ``Run.save``), its
    model on ``device`` ('cpu', 'cuda', 'cuda:N', 'auto'): files hold host arrays, so a
    run trained on either device loads on either.

    Raises ValueError when the folder is not a finished run, and io.ModelFileError when
    its model file is damaged; nothing in the folder can execute code.
    """
    folder = Path(folder)
    config = open_run(folder)
    path = folder / "model.safetensors"
    if not path.is_file():
        raise ValueError(
            f"{folder}: no model.safetensors; the run has not finished "
            f"(resume it with: descend train --resume {folder})"
        )
    state, meta = io.load(path), io.load_metadata(path)
    try:
        task, classes = meta["task"], meta["class_names"]
        features, shape = meta["feature_names"], tuple(meta["input_shape"])
    except KeyError as missing:
        raise ValueError(f"{path}: model metadata lacks {missing}") from None
    model = build_model(config, task, shape, len(classes or []))
    try:
        model.load_state_dict(state)
    except (KeyError, ValueError) as error:
        raise ValueError(
            f"{path} does not fit the {config.model} of its config.toml: {error}"
        ) from None
    model.eval().to(backend.choose(device))
    scalers = {}
    for name in meta.get("scalers", _scalers_of(config, task)):
        scaler_path = folder / f"{name}.safetensors"
        if not scaler_path.is_file():
            raise ValueError(
                f"{scaler_path}: missing; the model was trained on standardised "
                f"{'inputs' if name == 'scaler' else 'targets'} and needs this file to predict"
            )
        state = io.load(scaler_path)  # a damaged file: a ModelFileError naming it
        try:
            scaler = StandardScaler().load_state_dict(state)
        except ValueError as error:
            raise ValueError(f"{scaler_path}: not a saved StandardScaler ({error})") from None
        expected = int(np.prod(shape)) if name == "scaler" else 1
        if scaler.mean_.size != expected:
            raise ValueError(
                f"{scaler_path} scales {scaler.mean_.size} values, expected {expected}: "
                f"it belongs to another run"
            )
        scalers[name] = scaler
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
        _diverged(folder),
    )


def _scalers_of(config: RunConfig, task: str) -> list[str]:
    """The scaler files of a run saved before its metadata listed them: inputs are
    standardised but for image folders (pixels in [0, 1]), regression targets always."""
    standardised = config.data in BUILTIN_DATA or config.data.lower().endswith(".csv")
    names = ["scaler"] if standardised else []
    return names + (["target_scaler"] if task == "regress" else [])


def _diverged(folder: Path) -> str | None:
    """The divergence message kept in ``metrics.json``, if training diverged."""
    try:
        return json.loads((folder / "metrics.json").read_text()).get("diverged")
    except (OSError, ValueError, AttributeError):
        return None
