"""Data sets by name: a built-in set, a folder of MNIST IDX files or a CSV file, with its task
inferred, split into train/validation/test and scaled. The recipe ``descend train`` uses.

A folder with MNIST's standard four files (``train-*`` and ``t10k-*``) keeps its own split:
``train`` to learn from (the validation share is taken from it), ``t10k`` to test on.

A folder of ``.npy`` files (``X.npy`` and ``y.npy``, or ``train_X.npy``, ``train_y.npy``
and ``test_X.npy``, ``test_y.npy``) stays on disk: its arrays are memory-mapped
(``LoadedData.disk``), only the targets are read whole, and rows are read as batches
need them (``descend.runs`` splits and scales such data without loading it).

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
import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from descend.data import builtin
from descend.data.csv_file import csv_header, load_csv
from descend.data.mnist import load_mnist, mnist_kinds
from descend.data.preprocessing import StandardScaler
from descend.data.split import train_test_split
from descend.names import closest

if TYPE_CHECKING:
    from descend.data.npy import NpyDataset

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
    test: tuple | None = None  # (X, y) of a test part of its own (MNIST's t10k files)
    disk: NpyDataset | None = None  # data too large for memory: X is memory-mapped
    disk_test: NpyDataset | None = None

    @property
    def n_classes(self) -> int:
        return len(self.class_names) if self.class_names else 0


def load(spec: str, target=None, task: str | None = None) -> LoadedData:
    """A built-in set by name, a folder of MNIST IDX files, or a CSV file.

    Parameters
    ----------
    spec : str
        ``digits``, ``breast_cancer``, ``diabetes``, ``iris``, ``wine``; a folder of MNIST
        IDX files (one pair, or the standard ``train`` and ``t10k`` pairs: then ``X, y``
        are ``train`` and ``test`` holds ``t10k``); a folder of ``.npy`` files (``X.npy``
        and ``y.npy``, or ``train_X.npy``, ``train_y.npy``, ``test_X.npy``,
        ``test_y.npy``), memory-mapped; or a path ending in ``.csv``.
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
    elif path.is_dir() and any(path.glob("*X.npy")):
        return _npy_folder(path, task)
    elif path.is_dir():
        found = _mnist_folder(path)
    elif path.suffix.lower() == ".csv":
        if not path.is_file():
            raise ValueError(f"{spec}: no such file")
        _check_column(path, _column(target))
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
    return _check_classes(found, spec, task is None)


def _mnist_folder(path: Path) -> LoadedData:
    """One pair of MNIST files as the whole set, or the standard train and t10k pairs."""
    kinds = mnist_kinds(path)
    test_kind = next((k for k in ("t10k", "test") if k in kinds), None)
    if "train" in kinds and test_kind is not None:
        X, y = load_mnist(path, kind="train")
        test = load_mnist(path, kind=test_kind)
    elif len(kinds) == 1:
        (X, y), test = load_mnist(path, kind=kinds[0]), None
    elif kinds:
        raise ValueError(
            f"{path} holds MNIST files of {', '.join(kinds)}: expected one pair, or the "
            "train and t10k pairs of the standard download"
        )
    else:
        names = sorted(f.name for f in path.iterdir())
        raise ValueError(
            f"{path}: expected MNIST IDX files (train-images-idx3-ubyte[.gz], "
            f"train-labels-idx1-ubyte[.gz], and the same for t10k), found "
            + (", ".join(names[:6]) + (", ..." if len(names) > 6 else "") if names else "nothing")
        )
    return LoadedData(
        path.name,
        X,
        y,
        "classify",
        [f"pixel{i}" for i in range(X[0].size)],
        [str(d) for d in range(10)],
        tuple(X.shape[1:]),
        standardize=False,
        test=test,
    )


def _npy_folder(path: Path, task: str | None) -> LoadedData:
    """``X.npy`` and ``y.npy``, or ``train_*`` and ``test_*`` pairs, memory-mapped."""
    from descend.data.npy import NpyDataset

    pairs = {p: (path / f"{p}X.npy", path / f"{p}y.npy") for p in ("", "train_", "test_")}
    for X_path, y_path in pairs.values():
        if X_path.exists() != y_path.exists():
            there, missing = (X_path, y_path) if X_path.exists() else (y_path, X_path)
            raise ValueError(f"{path} has {there.name} but no {missing.name}")
    whole, train, test = (pairs[p][0].exists() for p in ("", "train_", "test_"))
    if whole == train or test and not train:
        raise ValueError(
            f"{path}: expected X.npy and y.npy, or train_X.npy and train_y.npy (with "
            f"test_X.npy and test_y.npy), found "
            + ", ".join(sorted(f.name for f in path.glob("*.npy")))
        )
    data = NpyDataset(*pairs["" if whole else "train_"])
    tested = NpyDataset(*pairs["test_"]) if test else None
    if tested is not None and tested.X.shape[1:] != data.X.shape[1:]:
        raise ValueError(
            f"{path}: train_X.npy has samples of shape {data.X.shape[1:]}, test_X.npy "
            f"{tested.X.shape[1:]}"
        )
    for part in (data, tested):
        if part is not None and part.X.ndim == 3:  # (N, H, W): images of one channel
            part.X = part.X.reshape(len(part.X), 1, *part.X.shape[1:])
    y = data.targets()
    if y.ndim != 1:
        raise ValueError(f"{data.y_path}: expected one target per sample, got shape {y.shape}")
    inferred = task is None
    task = closest("task", task, TASKS) if task is not None else _infer_task(y, None)
    classes, test_y = None, None if tested is None else tested.targets()
    if task == "classify":
        values = np.unique(y)
        if len(values) > 100:
            raise ValueError(
                f"{data.y_path}: {len(values)} distinct targets, too many for classes; "
                "use --task regress"
            )
        for part in (data, tested):
            if part is not None and not np.isin(part.targets(), values).all():
                raise ValueError(f"{part.y_path} has labels that train_y.npy does not have")
            if part is not None and not np.array_equal(values, np.arange(len(values))):
                part.target_transform = lambda raw, values=values: np.searchsorted(values, raw)
        y = np.searchsorted(values, y)
        test_y = None if tested is None else np.searchsorted(values, test_y)
        classes = [str(v.item()) for v in values]
    else:
        y = y.astype(np.float64)
    shape = data.X.shape[1:]
    image = shape if len(shape) == 3 else None
    found = LoadedData(
        path.name,
        data.X,
        y,
        task,
        [f"x{i}" for i in range(int(np.prod(shape)))],
        classes,
        image,
        test=None if tested is None else (tested.X, test_y),
        disk=data,
        disk_test=tested,
    )
    return _check_classes(found, data.y_path, inferred)


def _check_column(path: Path, target) -> None:
    """A ValueError with the nearest column name when the target column is not there."""
    header = csv_header(path)
    if isinstance(target, str) and header and target not in header:
        near = difflib.get_close_matches(target, header, n=1, cutoff=0.5)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise ValueError(
            f"{path} has no column {target!r}{hint} (its columns: "
            + ", ".join(repr(name) for name in header)
            + ")"
        )


def _column(target):
    if target is None:
        return None
    return int(target) if str(target).lstrip("-").isdigit() else target


def _infer_task(y: np.ndarray, classes) -> str:
    """Text labels, booleans or few whole numbers (at most 20 distinct) mean classes."""
    if classes is not None:
        return "classify"
    if y.dtype.kind in "biu" and len(np.unique(y)) <= 20:
        return "classify"
    return "regress"


def _check_classes(found: LoadedData, source, inferred: bool) -> LoadedData:
    """Classes inferred from the target need two at least (a file to evaluate on may
    hold one class of a given task); regression targets a finite spread (their variance
    is what standardising them divides by)."""
    if inferred:
        require_two_classes(found, source)
    if found.task == "regress":
        with np.errstate(over="ignore", invalid="ignore"):
            spread = np.var(found.y, dtype=np.float64)
        if not np.isfinite(spread):
            row = int(np.argmax(np.abs(found.y)))
            raise ValueError(
                f"{source}: the target value {found.y[row]:g} (row {row}) is too large to "
                f"standardise (its square overflows); rescale the target, e.g. to other units"
            )
    return found


def require_two_classes(found: LoadedData, source) -> None:
    """A ValueError when ``found`` is a classification set of fewer than two classes:
    nothing a classifier could learn."""
    if found.task == "classify" and found.n_classes < 2:
        only = found.class_names[0] if found.class_names else "none"
        raise ValueError(
            f"{source}: only one class ({only}) in the target; a classifier needs at least "
            f"two (--task regress to fit the values)"
        )


def _as_task(found: LoadedData, task: str) -> LoadedData:
    if task == "regress":
        test = None if found.test is None else (found.test[0], found.test[1].astype(np.float64))
        return dataclasses.replace(
            found, task=task, y=found.y.astype(np.float64), class_names=None, test=test
        )
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
    """Test and validation sets held out (stratified for classes), deterministic by seed.

    A data set with a test part of its own (``found.test``) is tested on that, and
    ``test_fraction`` is not used; the validation share is then a share of the rest.
    """
    stratify = found.task == "classify"
    X, y = found.X, found.y
    X_test = y_test = X_val = y_val = None
    if found.test is not None:
        (X_test, y_test), test_fraction = found.test, 0.0
    elif test_fraction:
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
            X,
            y,
            test_size=share,
            stratify=y if stratify else None,
            random_state=seed + 1,
            name="validation",
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
