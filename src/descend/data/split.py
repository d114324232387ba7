"""Holding out a test set: random and stratified train/test splits."""

from __future__ import annotations

import math
import numbers

import numpy as np

from descend.data.validation import check_not_empty, check_same_length, to_numpy
from descend.tensor import generator


def train_test_split(
    X,
    y=None,
    test_size: float | int = 0.2,
    stratify=None,
    random_state: int | np.random.Generator | None = None,
    shuffle: bool = True,
    *,
    name: str = "test",
):
    """Split samples into a training and a test set, as scikit-learn's function.

    Parameters
    ----------
    X : array_like or Tensor, shape (N, ...)
    y : array_like or Tensor, shape (N, ...), optional
    test_size : float or int
        The fraction of samples for the test set (rounded up), or their number.
    stratify : array_like, shape (N,), optional
        Class labels (usually ``y``) whose proportions both sets keep.
    random_state : int, numpy Generator or None
        Seed of the shuffle; the library's generator (``descend.manual_seed``) if None.
    shuffle : bool
        Shuffle before splitting; without it the last samples form the test set.
    name : str
        What to call the held-out set in error messages (``'validation'``).

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray
        (only ``X_train, X_test`` without ``y``)

    Examples
    --------
    >>> X, y = np.arange(20.0).reshape(10, 2), np.array([0] * 5 + [1] * 5)
    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     X, y, test_size=0.2, stratify=y, random_state=0)
    >>> X_train.shape, X_test.shape, np.bincount(y_test).tolist()  # one of each class
    ((8, 2), (2, 2), [1, 1])
    """
    X = to_numpy(X, "X", numeric=False)
    check_not_empty(X, "X")
    arrays = [X]
    if y is not None:
        arrays.append(to_numpy(y, "y", numeric=False))
        check_same_length(X, arrays[1])
    n = len(X)
    n_test = _test_count(test_size, n, name)
    if stratify is not None:
        if not shuffle:
            raise ValueError("stratify needs shuffle=True: a stratified split is random")
        labels = to_numpy(stratify, "stratify", numeric=False)
        check_same_length(X, labels, ("X", "stratify"))
        train, test = _stratified(labels, n_test, _rng(random_state), name)
    elif shuffle:
        order = _rng(random_state).permutation(n)
        train, test = order[n_test:], order[:n_test]
    else:
        train, test = np.arange(n - n_test), np.arange(n - n_test, n)
    return [part for array in arrays for part in (array[train], array[test])]


def _test_count(test_size, n: int, name: str) -> int:
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise ValueError(f"test_size must be a fraction or a count, got {test_size!r}")
    if isinstance(test_size, numbers.Integral):
        n_test = int(test_size)
    elif 0 < test_size < 1:
        n_test = math.ceil(test_size * n)
    else:
        raise ValueError(f"test_size must be a fraction in (0, 1) or a count, got {test_size}")
    if not 0 < n_test < n:
        raise ValueError(
            f"test_size={test_size} with {n} samples gives {n_test} {name} and "
            f"{n - n_test} training samples; both sets need at least one"
        )
    return n_test


def _rng(random_state) -> np.random.Generator:
    if random_state is None:
        return generator()
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return np.random.default_rng(int(random_state))
    raise ValueError(
        f"random_state must be an int, a numpy Generator or None, got {random_state!r}"
    )


def _stratified(labels: np.ndarray, n_test: int, rng: np.random.Generator, name: str):
    """Train and test indices with every class split in the proportion of the whole."""
    if labels.ndim != 1:
        raise ValueError(f"stratify must be class labels of shape (N,), got shape {labels.shape}")
    classes, codes = np.unique(labels, return_inverse=True)
    counts = np.bincount(codes)
    n = len(labels)
    if counts.min() < 2:
        raise ValueError(
            f"class {classes[np.argmin(counts)].item()!r} has only 1 sample; a stratified split "
            f"needs at least 2 of each class"
        )
    if min(n_test, n - n_test) < len(classes):
        raise ValueError(
            f"a stratified split of {len(classes)} classes needs at least {len(classes)} "
            f"samples in each set; got {n - n_test} training and {n_test} {name} samples"
        )
    # Largest remainder: floor of each class's share, the rest to the largest fractions
    # (ties broken at random so no class is favoured).
    share = counts * n_test / n
    per_class = np.floor(share).astype(np.int64)
    left = n_test - per_class.sum()
    fractions = share - per_class
    ties = rng.random(len(classes))
    per_class[np.lexsort((ties, -fractions))[:left]] += 1
    # Random order within each class, then grouped by class (stable sort keeps the order).
    order = rng.permutation(n)
    grouped = order[np.argsort(codes[order], kind="stable")]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    is_test = np.zeros(n, dtype=bool)
    for start, size in zip(starts, per_class, strict=True):
        is_test[start : start + size] = True
    return rng.permutation(grouped[~is_test]), rng.permutation(grouped[is_test])
