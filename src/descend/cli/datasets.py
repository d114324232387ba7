"""Data for the commands: built-in sets, MNIST folders and CSV files; splits and scaling."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import descend as ds
from descend import data
from descend.cli.settings import TASKS, RunConfig, UsageError, closest

BUILTIN_DATA = {
    "digits": data.load_digits,
    "breast_cancer": data.load_breast_cancer,
    "diabetes": data.load_diabetes,
    "iris": data.load_iris,
    "wine": data.load_wine,
}


@dataclass
class Dataset:
    """Features and targets of a whole data set, with what is known about them."""

    name: str
    X: np.ndarray
    y: np.ndarray
    task: str
    feature_names: list[str]
    class_names: list[str] | None = None
    image_shape: tuple | None = None  # (channels, height, width) for images
    standardize: bool = True  # False for pixels already in [0, 1]

    @property
    def n_classes(self) -> int:
        return len(self.class_names) if self.class_names else 0


def load_dataset(spec: str, target=None, task: str | None = None) -> Dataset:
    """A built-in set by name, a folder of MNIST IDX files, or a CSV file."""
    path = Path(spec)
    if spec in BUILTIN_DATA:
        X, y, features, classes = BUILTIN_DATA[spec](return_names=True)
        image_shape = (1, 8, 8) if spec == "digits" else None
        found = Dataset(
            spec, X, y, "classify" if classes else "regress", features, classes, image_shape
        )
    elif path.is_dir():
        X, y = data.load_mnist(path, flatten=False)
        found = Dataset(
            path.name,
            X,
            y,
            "classify",
            [f"pixel{i}" for i in range(X[0].size)],
            [str(d) for d in range(10)],
            tuple(X.shape[1:]),
            standardize=False,
        )
    elif path.suffix.lower() == ".csv":
        if not path.is_file():
            raise UsageError(f"{spec}: no such file")
        X, y, features, classes = data.load_csv(path, target=_column(target), return_classes=True)
        found = Dataset(path.stem, X, y, _infer_task(y, classes), features, classes)
    elif path.exists():
        raise UsageError(f"{spec}: expected a .csv file or a folder of MNIST IDX files")
    else:
        if "/" in spec or "." in spec:
            raise UsageError(f"{spec}: no such file or folder")
        closest("data set", spec, list(BUILTIN_DATA))
    if task is not None:
        found = _as_task(found, closest("task", task, TASKS))
    elif found.task == "classify" and found.class_names is None:
        found = _as_task(found, "classify")
    return found


def _column(target):
    if target is None:
        return None
    return int(target) if str(target).lstrip("-").isdigit() else target


def _infer_task(y: np.ndarray, classes) -> str:
    """Text labels or few whole numbers (at most 20 distinct) mean classes."""
    if classes is not None:
        return "classify"
    if y.dtype.kind in "iu" and 2 <= len(np.unique(y)) <= 20:
        return "classify"
    return "regress"


def _as_task(found: Dataset, task: str) -> Dataset:
    if task == "regress":
        return dataclasses.replace(found, task=task, y=found.y.astype(np.float64), class_names=None)
    if found.class_names is not None and found.y.dtype.kind in "iu":
        return dataclasses.replace(found, task=task)
    values, codes = np.unique(found.y, return_inverse=True)
    if len(values) > 100:
        raise UsageError(
            f"--task classify: the target has {len(values)} distinct values; "
            "is it a regression target?"
        )
    names = [str(v.item() if hasattr(v, "item") else v) for v in values]
    names = [n[:-2] if n.endswith(".0") else n for n in names]
    return dataclasses.replace(found, task=task, y=codes.astype(np.int64), class_names=names)


@dataclass
class Splits:
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray | None
    y_val: np.ndarray | None
    X_test: np.ndarray | None
    y_test: np.ndarray | None
    scaler: data.StandardScaler | None
    target_scaler: data.StandardScaler | None = None


def split_data(found: Dataset, config: RunConfig) -> Splits:
    """Test and validation sets held out (stratified for classes), deterministic by seed."""
    stratify = found.task == "classify"
    X, y = found.X, found.y
    X_test = y_test = X_val = y_val = None
    if config.test_fraction:
        X, X_test, y, y_test = data.train_test_split(
            X,
            y,
            test_size=config.test_fraction,
            stratify=y if stratify else None,
            random_state=config.seed,
        )
    if config.val_fraction:
        share = config.val_fraction / (1 - config.test_fraction)
        X, X_val, y, y_val = data.train_test_split(
            X, y, test_size=share, stratify=y if stratify else None, random_state=config.seed + 1
        )
    return Splits(X, y, X_val, y_val, X_test, y_test, None)


def scale(splits: Splits, found: Dataset) -> Splits:
    """Features standardised with statistics of the training set alone (pixels in [0, 1]
    are left as they are); regression targets too, so that one learning rate suits any
    target's units (predictions are turned back into those units)."""
    if found.standardize:
        scaler = data.StandardScaler().fit(splits.X_train)
        splits = dataclasses.replace(
            splits,
            X_train=scaler.transform(splits.X_train),
            X_val=None if splits.X_val is None else scaler.transform(splits.X_val),
            X_test=None if splits.X_test is None else scaler.transform(splits.X_test),
            scaler=scaler,
        )
    if found.task != "regress":
        return splits
    target_scaler = data.StandardScaler().fit(splits.y_train.reshape(-1, 1))

    def standard(y):
        return None if y is None else target_scaler.transform(y.reshape(-1, 1))[:, 0]

    return dataclasses.replace(
        splits,
        y_train=standard(splits.y_train),
        y_val=standard(splits.y_val),
        y_test=standard(splits.y_test),
        target_scaler=target_scaler,
    )


def unscale_targets(values: np.ndarray, target_scaler: data.StandardScaler | None) -> np.ndarray:
    """Standardised predictions or targets back in the target's own units, shape (N,)."""
    values = np.asarray(values, dtype=np.float64).reshape(len(values), -1)[:, 0]
    if target_scaler is None:
        return values
    return target_scaler.inverse_transform(values.reshape(-1, 1))[:, 0]


def prepare_inputs(found: Dataset, model_name: str, X: np.ndarray) -> np.ndarray:
    """Shape the features as the model wants them: images for LeNet, rows otherwise."""
    if model_name == "lenet":
        return X.reshape(len(X), *found.image_shape)
    return X.reshape(len(X), -1)


def prepare_targets(task: str, model_name: str, y: np.ndarray) -> np.ndarray:
    if model_name == "logistic":
        return y.astype(ds.get_default_dtype())  # BCEWithLogits takes 0./1. targets
    if model_name == "mlp" and task == "regress":
        return y.reshape(-1, 1)
    return y
