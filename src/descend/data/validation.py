"""Checks on user data, shared by the data pipeline, the metrics and the Trainer.

Each check either passes silently or raises a ``ValueError`` that names the bad value
and what was expected, so no NumPy traceback from deep inside reaches the user.
"""

from __future__ import annotations

import numbers

import numpy as np

from descend import backend
from descend.checks import positive_int
from descend.tensor import Tensor, get_default_dtype


def to_numpy(data, name: str = "X", numeric: bool = True) -> np.ndarray:
    """``data`` (ndarray, Tensor, list or number) as an ndarray, without copying ndarrays
    (device arrays, such as a GPU tensor's, are copied to the host).

    Parameters
    ----------
    data : array_like or Tensor
    name : str
        What to call the data in an error message.
    numeric : bool
        Require numbers (bool, integer or floating); otherwise text labels pass too.
    """
    if isinstance(data, Tensor):
        data = data.data
        if type(data) is np.ndarray:
            return data
    if not isinstance(data, np.ndarray) and backend.is_array(data):
        data = backend.to_host(data)
    if isinstance(data, np.ndarray):
        array = data
    else:
        try:
            array = np.asarray(data)
        except ValueError:
            raise ValueError(
                f"{name} must be a rectangular array; got a ragged {type(data).__name__} "
                f"(rows of different lengths)"
            ) from None
    allowed = "biuf" if numeric else "biufUS"
    if array.dtype.kind not in allowed:
        what = "numbers" if numeric else "numbers or text labels"
        raise ValueError(f"{name} must hold {what}; got an array of dtype {array.dtype}")
    return array


def check_not_empty(X, name: str = "X") -> None:
    """Raise ValueError when ``X`` has no samples (no rows along axis 0)."""
    if np.ndim(X) == 0:
        raise ValueError(f"{name} must be an array of samples, got a single value {X!r}")
    if len(X) == 0:
        raise ValueError(f"{name} is empty: a dataset needs at least one sample")


def check_same_length(X, y, names: tuple[str, str] = ("X", "y")) -> None:
    """Raise ValueError unless ``X`` and ``y`` hold the same number of samples."""
    for array, name in zip((X, y), names, strict=True):
        if np.ndim(array) == 0:
            raise ValueError(f"{name} must be an array of samples, got a single value {array!r}")
    if len(X) != len(y):
        raise ValueError(
            f"{names[0]} has {len(X)} samples but {names[1]} has {len(y)}; "
            f"they must have one {names[1]} per row of {names[0]}"
        )


def check_finite(X, name: str = "X"):
    """Raise ValueError if ``X`` holds NaN or infinite values; return ``X`` otherwise.

    The message counts the bad values and gives the first row holding one:
    ``X has 3 NaN or infinite values; the first in row 17``.
    """
    array = X.data if isinstance(X, Tensor) else np.asarray(X)
    if array.dtype.kind not in "fc":
        return X
    finite = np.isfinite(array)
    if finite.all():
        return X
    bad = ~finite
    count = int(bad.sum())
    values = "value" if count == 1 else "values"
    if array.ndim == 0:
        raise ValueError(f"{name} is {array.item()}: expected a finite number")
    rows = bad.reshape(len(array), -1).any(axis=1)
    first = int(np.argmax(rows))
    raise ValueError(f"{name} has {count} NaN or infinite {values}; the first in row {first}")


def check_labels(y, n_classes: int | None = None, name: str = "y") -> np.ndarray:
    """Class labels ``y`` as an int64 array, checked to lie in ``[0, n_classes)``.

    Floating labels are accepted when they hold whole numbers (``1.0``).

    Raises
    ------
    ValueError
        For non-integer labels, or labels outside ``[0, n_classes)``; the message
        names C and the bad labels.

    Examples
    --------
    >>> check_labels([0, 2, 1], n_classes=3)
    array([0, 2, 1])
    """
    array = to_numpy(y, name)
    if array.dtype.kind == "f":
        check_finite(array, name)
        whole = array == np.round(array)
        if not whole.all():
            bad = array[~whole][:5].tolist()
            raise ValueError(f"{name} must hold integer class labels, got {_listed(bad)}")
    labels = array.astype(np.int64, copy=False)
    if n_classes is None:
        outside = labels < 0
        expected = "non-negative"
    else:
        positive_int(n_classes, "n_classes")
        outside = (labels < 0) | (labels >= n_classes)
        expected = f"in [0, {n_classes}) for {n_classes} classes"
    if outside.any():
        bad = np.unique(labels[outside])
        raise ValueError(
            f"{name} labels must be {expected}; got {_listed(bad.tolist())} "
            f"({int(outside.sum())} of {labels.size} values)"
        )
    return labels


def check_batch_size(batch_size, n_samples: int | None = None) -> int:
    """The batch size as a positive int; ``'full'`` means all ``n_samples`` at once.

    Raises
    ------
    ValueError
        For anything but a positive integer or ``'full'``.
    """
    if isinstance(batch_size, str):
        if batch_size != "full":
            raise ValueError(f"batch_size must be a positive integer or 'full', got {batch_size!r}")
        if n_samples is None:
            raise ValueError("batch_size='full' needs the number of samples")
        return int(n_samples)
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
        raise ValueError(
            f"batch_size must be a positive integer or 'full', got {batch_size!r} "
            f"({type(batch_size).__name__})"
        )
    if batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer or 'full', got {batch_size}")
    return int(batch_size)


def as_features(X, name: str = "X", dtype=None) -> np.ndarray:
    """Features as a finite array of ``dtype`` (the default float dtype unless given)."""
    array = to_numpy(X, name)
    check_not_empty(array, name)
    return _cast(array, np.dtype(dtype or get_default_dtype()), name)


def as_targets(y, name: str = "y") -> np.ndarray:
    """Targets: integer or boolean labels as int64, floating values in the default dtype."""
    array = to_numpy(y, name)
    if np.ndim(array) == 0:
        raise ValueError(f"{name} must be an array of targets, got a single value {y!r}")
    if array.dtype.kind in "biu":
        return array.astype(np.int64, copy=False)
    return _cast(array, get_default_dtype(), name)


def _cast(array: np.ndarray, dtype: np.dtype, name: str) -> np.ndarray:
    """``array`` finite and in ``dtype``, or a ValueError saying which value does not fit."""
    check_finite(array, name)
    with np.errstate(over="ignore"):
        out = array.astype(dtype, copy=False)
    if out is not array and array.dtype.kind == "f" and not np.isfinite(out).all():
        row = int(np.argmax(~np.isfinite(out).reshape(len(out), -1).all(axis=1)))
        raise ValueError(
            f"{name} has values too large for {dtype} (the first in row {row}); "
            f"use ds.set_default_dtype(np.float64) or rescale the data"
        )
    return out


def _listed(values: list, limit: int = 5) -> str:
    shown = ", ".join(str(v) for v in values[:limit])
    return shown + (", ..." if len(values) > limit else "")
