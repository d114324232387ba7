"""A finished run read back from its folder: the trained model inside the pipeline that feeds
it raw inputs, as one Module (``SavedRun.forward``).

>>> saved = ds.load_run("runs/iris-softmax")          # doctest: +SKIP
>>> saved.predict(X_raw), saved.predict_proba(X_raw)  # doctest: +SKIP
(array(['setosa', ...]), array([[0.97, 0.02, 0.01], ...]))
>>> saved.evaluate(X_raw, names)                      # doctest: +SKIP
{'loss': 0.09..., 'accuracy': 0.96..., 'f1': 0.96...}
>>> saved.export("iris.onnx")                         # doctest: +SKIP
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from descend import backend, io, nn
from descend.data.preprocessing import StandardScaler
from descend.data.sets import BUILTIN_DATA
from descend.nn.loss import task_of
from descend.runs.build import (
    build_loss,
    build_model,
    metric_names,
    prepare_targets,
    regression_scores,
)
from descend.runs.config import RunConfig
from descend.runs.kinds import KINDS
from descend.tensor import Tensor, concat, no_grad
from descend.train import Trainer

SCALERS = ("scaler", "target_scaler")  # the scaler files a run may hold, by name
_BATCH = 1024  # rows per forward pass when predicting


def open_run(folder: Path) -> RunConfig:
    """The configuration of the run saved in ``folder``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder}: no such run folder")
    if not (folder / "config.toml").is_file():
        raise ValueError(f"{folder}: not a run folder (no config.toml)")
    return RunConfig.from_toml(folder / "config.toml").validate()


class Standardize(nn.Module):
    """``(x - mean_) / scale_`` as a fitted StandardScaler computes it, in tensor ops; with
    ``inverse``, its inverse (predictions back into the target's units).

    The statistics are float64 buffers: they move with the module and keep their names
    (``scaler.mean_``) in an ONNX export.
    """

    def __init__(self, scaler: StandardScaler, inverse: bool = False):
        super().__init__()
        self.with_mean, self.with_std, self.inverse = scaler.with_mean, scaler.with_std, inverse
        mean, scale = (np.asarray(a, np.float64).reshape(-1) for a in (scaler.mean_, scaler.scale_))
        if inverse:  # one target: 0-d statistics for values of shape (N,)
            mean, scale = mean.reshape(()), scale.reshape(())
        self.register_buffer("mean_", mean)
        self.register_buffer("scale_", scale)

    def forward(self, x: Tensor) -> Tensor:
        if self.inverse:
            x = x * self.scale_ if self.with_std else x
            return x + self.mean_ if self.with_mean else x
        x = x - self.mean_ if self.with_mean else x
        return x / self.scale_ if self.with_std else x


class SavedRun(nn.Module):
    """A trained run: raw features in, what ``descend predict`` gives out.

    ``forward`` is the whole pipeline in tensor ops: scale the raw features (N, F) as in
    training, shape them for the model (images for a model that takes them), run the
    model, and give each class's probability (N, C), or a regressor's values (N,) in the
    target's units (float64). ``predict``, ``predict_proba``, ``evaluate`` and ``export``
    all go through it, on the device the run lives on. Class predictions are names from
    ``class_names``, and ``evaluate`` takes them. ``diverged`` is the DivergenceGuard's
    message when training diverged (the weights are then the last good ones, which may
    be the untrained start).
    """

    def __init__(
        self,
        folder: Path,
        config: RunConfig,
        model: nn.Module,
        task: str,
        class_names: list[str] | None,
        feature_names: list[str],
        input_shape: tuple,
        scaler: StandardScaler | None = None,
        target_scaler: StandardScaler | None = None,
        diverged: str | None = None,
    ):
        super().__init__()
        self.folder, self.config, self.task = Path(folder), config, task
        self.class_names, self.feature_names = class_names, list(feature_names)
        self.input_shape, self.diverged = tuple(input_shape), diverged
        self.kind = KINDS[config.model]
        self.model = model
        self.scaler = None if scaler is None else Standardize(scaler)
        self.target_scaler = None if target_scaler is None else Standardize(target_scaler, True)
        self.head = task_of(self.loss)  # 'multiclass', 'binary' or 'regression'
        self.eval()

    @property
    def loss(self) -> nn.Module:
        """The loss the model was trained with."""
        return build_loss(self.config, self.task)

    # -- the pipeline ------------------------------------------------------------------
    def forward(self, x: Tensor) -> Tensor:
        """Probabilities (N, C) or values in the target's units (N,) for raw ``x`` (N, F)."""
        out = self.model(self.inputs(x))
        if self.head == "regression":
            values = out.reshape(out.shape[0], -1)[:, 0].to(np.float64)
            return values if self.target_scaler is None else self.target_scaler(values)
        if self.head == "binary":  # one logit: the probability of class 1
            p = out.reshape(out.shape[0], -1)[:, 0:1].sigmoid()
            return concat([1 - p, p], axis=1)
        return out.softmax(dim=1)

    def inputs(self, x: Tensor) -> Tensor:
        """Raw features (N, F) scaled in float64 as in training, then in the model's dtype
        and shape."""
        dtype = next(iter(self.model.parameters())).dtype
        if self.scaler is not None:
            x = self.scaler(x.to(np.float64))
        x = x.to(dtype)
        if self.kind.images is not None:
            x = x.reshape(x.shape[0], *self.input_shape)
        return x

    # -- on arrays -----------------------------------------------------------------------
    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class names (a classifier), or values in the target's own units, shape (N,)."""
        out = self._map(self, X)
        if self.task == "classify":
            return np.asarray(self.class_names)[out.argmax(axis=1)]
        return out

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Each class's probability, shape (N, number of classes)."""
        if self.task != "classify":
            raise ValueError(f"{self.folder} is a regression run: it has no class probabilities")
        return self._map(self, X)

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> dict:
        """Loss and metrics for raw features and targets: class names (of ``class_names``)
        or values in the target's units.

        A classifier's loss is the training loss of the model's outputs (its logits, as
        probabilities may round to 0); a regressor is judged in the target's units.
        """
        if self.task != "classify":
            return regression_scores(y, self.predict(X))
        targets = prepare_targets(self.task, self.config.model, self.class_indices(y))
        trainer = Trainer(self.model, self.loss, None, metrics=metric_names(self.task), verbose=0)
        return trainer.evaluate((self._map(self.inputs, X), targets))

    def class_indices(self, names, source: str = "y") -> np.ndarray:
        """The positions in ``class_names`` of the class names ``names`` (numbers count as
        their text: 3 is class ``'3'``); a ValueError names ``source`` and a class the run
        does not know."""
        index = {name: i for i, name in enumerate(self.class_names)}
        names = np.asarray(names).reshape(-1).tolist()
        unknown = next((n for n in names if str(n) not in index), None)
        if unknown is not None:
            raise ValueError(
                f"{source} has class {str(unknown)!r}, which the run does not know "
                f"(its classes: {', '.join(self.class_names)})"
            )
        return np.array([index[str(n)] for n in names], dtype=np.int64)

    def _map(self, stage, X: np.ndarray) -> np.ndarray:
        """``stage`` (a part of the pipeline) on the raw features ``X``, in batches on the
        run's device; the results come back as NumPy arrays."""
        X, device = self.features(X), self.device

        def run(rows):
            return stage(Tensor(rows, device=device)).cpu().numpy()

        with no_grad():
            parts = [run(X[i : i + _BATCH]) for i in range(0, len(X), _BATCH)]
            return np.concatenate(parts) if parts else run(X)

    def features(self, X: np.ndarray) -> np.ndarray:
        """Raw ``X`` as rows of the run's features (N, F), or a ValueError naming the count."""
        X = np.asarray(X)
        n_features, given = int(np.prod(self.input_shape)), int(np.prod(X.shape[1:]))
        if X.ndim < 2 or given != n_features:
            shape = "x".join(map(str, X.shape[1:]))
            raise ValueError(
                f"expected {n_features} features, got {given}"
                + (f" ({shape} images)" if X.ndim > 2 else "")
            )
        if X.dtype.kind not in "fiub":
            raise ValueError(f"expected numbers as features, got dtype {X.dtype}")
        return X.reshape(len(X), n_features).astype(np.float64, copy=False)

    # -- leaving descend ---------------------------------------------------------------
    def export(self, path, opset: int | None = None) -> Path:
        """Write the pipeline as an ONNX file (``descend export``): raw features (N, F)
        float32 in, what :meth:`forward` gives out; the task and the feature and class
        names are in the metadata."""
        from descend import onnx

        n_features = int(np.prod(self.input_shape))
        example = np.zeros((self._example_batch(), n_features), dtype=np.float32)
        return onnx.export(self, example, path, opset, metadata=self.metadata())

    def metadata(self) -> dict:
        """What an exported model says of itself (strings; lists as JSON)."""
        meta = {
            "task": self.task,
            "feature_names": json.dumps(self.feature_names),
            "output": "class probabilities (N, C)" if self.task == "classify" else "values (N,)",
        }
        if self.class_names is not None:
            meta["class_names"] = json.dumps([str(name) for name in self.class_names])
        return meta

    def _example_batch(self) -> int:
        """A batch size unlike every size of the model, so that no axis is taken for the
        batch by chance when the export is traced."""
        sizes = {*self.input_shape, int(np.prod(self.input_shape)), len(self.class_names or [])}
        sizes.update(n for p in self.model.parameters() for n in p.shape)
        return next(n for n in range(2, 1 << 20) if n not in sizes)


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
    except (KeyError, TypeError) as missing:
        raise ValueError(f"{path}: model metadata lacks {missing}") from None
    if not shape or not all(isinstance(n, int) and n > 0 for n in shape):
        raise io.ModelFileError(f"{path}: input_shape {list(shape)} is not a list of sizes")
    try:
        model = build_model(config, task, shape, len(classes or []))
    except ValueError as error:  # a model too large to hold
        raise io.ModelFileError(f"{path}: {error}") from None
    io.check_weights(state, dict(model.named_parameters()), path)
    try:
        model.load_state_dict(state)
    except (KeyError, ValueError) as error:
        raise ValueError(
            f"{path} does not fit the {config.model} of its config.toml: {error}"
        ) from None
    names = meta.get("scalers", _scalers_of(config, task))
    if not isinstance(names, list) or any(name not in SCALERS for name in names):
        raise ValueError(
            f"{path}: metadata 'scalers' must list names among {', '.join(SCALERS)}, got {names!r}"
        )
    scalers = {name: _scaler(folder / f"{name}.safetensors", name, shape) for name in names}
    return SavedRun(
        folder,
        config,
        model,
        task,
        classes,
        features,
        shape,
        scalers.get("scaler"),
        scalers.get("target_scaler"),
        _diverged(folder),
    ).to(backend.choose(device))


def _scaler(path: Path, name: str, input_shape: tuple) -> StandardScaler:
    if not path.is_file():
        raise ValueError(
            f"{path}: missing; the model was trained on standardised "
            f"{'inputs' if name == 'scaler' else 'targets'} and needs this file to predict"
        )
    state = io.load(path)  # a damaged file: a ModelFileError naming it
    try:
        scaler = StandardScaler().load_state_dict(state)
    except ValueError as error:
        raise ValueError(f"{path}: not a saved StandardScaler ({error})") from None
    expected = int(np.prod(input_shape)) if name == "scaler" else 1
    if scaler.mean_.size != expected:
        raise ValueError(
            f"{path} scales {scaler.mean_.size} values, expected {expected}: "
            f"it belongs to another run"
        )
    return scaler


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
