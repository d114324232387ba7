"""Data sets by name: a built-in set, a folder of MNIST IDX files or a CSV file, with its task
inferred, split into train/validation/test and scaled. The recipe ``descend train`` uses.

>>> import descend as ds
>>> iris = ds.data.load("iris")
>>> iris.task, iris.n_classes, iris.X.shape
('classify', 3, (150, 4))
>>> splits = ds.data.scale(ds.data.holdout(iris, val_fraction=0.2, test_fraction=0.2), iris)
>>> len(splits.X_train), len(splits.X_val), len(splits.X_test)
(90, 30, 30)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from descend.data import builtin
from descend.data.csv_file import load_csv
from descend.data.mnist import load_mnist
from descend.data.preprocessing import StandardScaler
from descend.data.split import train_test_split
from descend.names import closest

BUILTIN_DATA = {
    "digits": builtin.load_digits,
    "breast_cancer": builtin.load_breast_cancer,
    "diabetes": builtin.load_diabetes,
    "iris": builtin.load_iris,
    "wine": builtin.load_wine,
}
TASKS = ("classify", "regress")


@dataclass
class LoadedData:
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


def load(spec: str, target=None, task: str | None = None) -> LoadedData:
    """A built-in set by name, a folder of MNIST IDX files, or a CSV file.

    Parameters
    ----------
    spec : str
        ``digits``, ``breast_cancer``, ``diabetes``, ``iris``, ``wine``; a folder of MNIST
        IDX files; or a path ending in ``.csv``.
    target : str or int, optional
        The CSV file's target column, by name or position (default: the last column).
    task : {'classify', 'regress'}, optional
        What to learn; by default inferred from the target (text labels or at most 20
        distinct whole numbers mean classes).

    Raises
    ------
    ValueError
        For a name, file or column that is not there, with the nearest known name.
    """
    path = Path(spec)
    if spec in BUILTIN_DATA:
        X, y, features, classes = BUILTIN_DATA[spec](return_names=True)
        image_shape = (1, 8, 8) if spec == "digits" else None
        found = LoadedData(
            spec, X, y, "classify" if classes else "regress", features, classes, image_shape
        )
    elif path.is_dir():
        X, y = load_mnist(path, flatten=False)
        found = LoadedData(
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
            raise ValueError(f"{spec}: no such file")
        X, y, features, classes = load_csv(path, target=_column(target), return_classes=True)
        found = LoadedData(path.stem, X, y, _infer_task(y, classes), features, classes)
    elif path.exists():
        raise ValueError(f"{spec}: expected a .csv file or a folder of MNIST IDX files")
    else:
        if "/" in spec or "." in spec:
            raise ValueError(f"{spec}: no such file or folder")
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


def _as_task(found: LoadedData, task: str) -> LoadedData:
    if task == "regress":
        return dataclasses.replace(found, task=task, y=found.y.astype(np.float64), class_names=None)
    if found.class_names is not None and found.y.dtype.kind in "iu":
        return dataclasses.replace(found, task=task)
    values, codes = np.unique(found.y, return_inverse=True)
    if len(values) > 100:
        raise ValueError(
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
    scaler: StandardScaler | None
    target_scaler: StandardScaler | None = None


def holdout(
    found: LoadedData, val_fraction: float = 0.2, test_fraction: float = 0.2, seed: int = 0
) -> Splits:
    """Test and validation sets held out (stratified for classes), deterministic by seed."""
    stratify = found.task == "classify"
    X, y = found.X, found.y
    X_test = y_test = X_val = y_val = None
    if test_fraction:
        X, X_test, y, y_test = train_test_split(
            X,
            y,
            test_size=test_fraction,
            stratify=y if stratify else None,
            random_state=seed,
        )
    if val_fraction:
        share = val_fraction / (1 - test_fraction)
        X, X_val, y, y_val = train_test_split(
            X, y, test_size=share, stratify=y if stratify else None, random_state=seed + 1
        )
    return Splits(X, y, X_val, y_val, X_test, y_test, None)


def scale(splits: Splits, found: LoadedData) -> Splits:
    """Features standardised with statistics of the training set alone (pixels in [0, 1]
    are left as they are); regression targets too, so that one learning rate suits any
    target's units (predictions are turned back into those units)."""
    if found.standardize:
        scaler = StandardScaler().fit(splits.X_train)
        splits = dataclasses.replace(
            splits,
            X_train=scaler.transform(splits.X_train),
            X_val=None if splits.X_val is None else scaler.transform(splits.X_val),
            X_test=None if splits.X_test is None else scaler.transform(splits.X_test),
            scaler=scaler,
        )
    if found.task != "regress":
        return splits
    target_scaler = StandardScaler().fit(splits.y_train.reshape(-1, 1))

    def standard(y):
        return None if y is None else target_scaler.transform(y.reshape(-1, 1))[:, 0]

    return dataclasses.replace(
        splits,
        y_train=standard(splits.y_train),
        y_val=standard(splits.y_val),
        y_test=standard(splits.y_test),
        target_scaler=target_scaler,
    )


def unscale_targets(values: np.ndarray, target_scaler: StandardScaler | None) -> np.ndarray:
    """Standardised predictions or targets back in the target's own units, shape (N,)."""
    values = np.asarray(values, dtype=np.float64).reshape(len(values), -1)[:, 0]
    if target_scaler is None:
        return values
    return target_scaler.inverse_transform(values.reshape(-1, 1))[:, 0]
