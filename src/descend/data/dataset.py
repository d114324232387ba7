"""Datasets: things with a length that give samples by index."""

from __future__ import annotations

import numbers

import numpy as np

from descend.data.validation import as_features, as_targets, check_same_length
from descend.tensor import Tensor


class Dataset:
    """A collection of samples: subclass it and write ``__len__`` and ``__getitem__``.

    ``dataset[i]`` returns one sample, usually a tuple ``(x, y)`` of arrays or numbers
    (or ``(x,)`` / ``x`` alone when there are no targets). A DataLoader stacks the
    samples of a batch with ``np.stack``; for data already held in arrays, use
    :class:`TensorDataset`, which builds whole batches at once.

    Examples
    --------
    >>> class Squares(Dataset):
    ...     def __len__(self):
    ...         return 100
    ...     def __getitem__(self, i):
    ...         return np.array([i], dtype=np.float32), np.float32(i * i)
    """

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")


class TensorDataset(Dataset):
    """Features ``X`` and optional targets ``y`` held in arrays, one sample per row.

    Parameters
    ----------
    X : array_like or Tensor, shape (N, ...)
        Features; stored as the default float dtype (``descend.get_default_dtype()``
        when the dataset is made, float32 unless changed) or as ``dtype``.
    y : array_like or Tensor, shape (N, ...), optional
        Targets: integer or boolean class labels are stored as int64, floating
        targets (regression, probabilities) in the default float dtype.
    dtype : numpy dtype, optional
        The dtype of the features, instead of the default float dtype.

    Indexing with an int, a slice, an integer array or a boolean mask returns
    ``(X[index], y[index])`` as ndarrays, built by one NumPy indexing operation (no
    per-sample Python work); ``y[index]`` is None when there are no targets. A slice
    gives views that share memory with the dataset.

    Raises
    ------
    ValueError
        If X is empty, if X and y hold different numbers of samples, or if either holds
        NaN or infinite values.

    Examples
    --------
    >>> data = TensorDataset(np.zeros((100, 3)), np.arange(100) % 2)
    >>> len(data), data.X.dtype, data.y.dtype
    (100, dtype('float32'), dtype('int64'))
    >>> x, y = data[np.array([4, 7])]
    >>> x.shape, y.shape
    ((2, 3), (2,))
    """

    def __init__(self, X, y=None, dtype=None):
        self.X = as_features(X, "X", dtype)
        self.y = None
        if y is not None:
            self.y = as_targets(y, "y")
            check_same_length(self.X, self.y)

    def __len__(self) -> int:
        return len(self.X)

    def __getitem__(self, index) -> tuple[np.ndarray, np.ndarray | None]:
        index = _index(index, len(self.X))
        try:
            x = self.X[index]
            y = None if self.y is None else self.y[index]
        except IndexError:
            n = len(self.X)
            bad = index[(index < -n) | (index >= n)]
            raise IndexError(
                f"indices {bad[:5].tolist()} are out of range for a dataset of {n} samples"
            ) from None
        return x, y

    def __repr__(self) -> str:
        targets = "no targets" if self.y is None else f"y {self.y.shape} {self.y.dtype}"
        return f"TensorDataset({len(self)} samples: X {self.X.shape} {self.X.dtype}, {targets})"


def _index(index, n: int):
    """An index NumPy can apply to axis 0, or a TypeError/IndexError naming what came."""
    if isinstance(index, Tensor):
        index = index.data
    if isinstance(index, numbers.Integral) and not isinstance(index, bool):
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of range for a dataset of {n} samples")
        return index
    if isinstance(index, slice):
        return index
    if isinstance(index, list | tuple):
        index = np.asarray(index)
    if isinstance(index, np.ndarray):
        if index.dtype.kind == "b":
            if index.shape != (n,):
                raise IndexError(
                    f"a boolean mask must have shape ({n},) for {n} samples, got {index.shape}"
                )
            return index
        if index.dtype.kind in "iu" or index.size == 0:
            return index.astype(np.intp, copy=False)
    raise TypeError(
        f"dataset index must be an int, a slice, an integer array or a boolean mask, "
        f"got {type(index).__name__}"
        + (f" of dtype {index.dtype}" if isinstance(index, np.ndarray) else "")
    )
