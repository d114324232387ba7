"""Metrics that judge predictions, with scikit-learn's definitions and argument order.

Every function takes ``(y_true, y_pred)`` as ndarrays, lists or descend Tensors and
returns a Python float (or an ndarray for per-class results).

Classification metrics take class labels. A 2-D ``(N, C)`` array of scores,
probabilities or one-hot rows is read as the labels of its largest entries (argmax),
so a model's logits can be passed as they are. ``log_loss`` takes probabilities, as
scikit-learn's does.
"""

from __future__ import annotations

import numpy as np

from descend.data.validation import check_finite, check_not_empty, check_same_length, to_numpy

__all__ = [
    "accuracy",
    "confusion_matrix",
    "f1",
    "log_loss",
    "mae",
    "mse",
    "precision",
    "r2",
    "recall",
]

_AVERAGES = ("binary", "macro", "micro", "weighted", None)


# -- classification ------------------------------------------------------------------
def accuracy(y_true, y_pred) -> float:
    """The fraction of samples whose predicted class is the true class.

    Examples
    --------
    >>> accuracy([0, 1, 2, 2], [0, 1, 1, 2])
    0.75
    """
    t, p = _label_pair(y_true, y_pred)
    return float(np.mean(t == p))


def confusion_matrix(y_true, y_pred, labels=None, normalize: str | None = None) -> np.ndarray:
    """Counts of (true class, predicted class) pairs: row i, column j counts samples of
    class ``labels[i]`` predicted as ``labels[j]``.

    Parameters
    ----------
    labels : array_like, optional
        The classes in row/column order; the sorted classes of both inputs unless given.
        Samples whose classes are not listed are left out.
    normalize : {'true', 'pred', 'all'}, optional
        Divide by the row sums (recall per class), column sums or the total.

    Returns
    -------
    ndarray, shape (C, C): int64 counts, or float64 when normalized
    """
    t, p = _label_pair(y_true, y_pred)
    labels = _classes(t, p) if labels is None else to_numpy(labels, "labels", numeric=False)
    size = len(labels)
    ti, pi = _positions(t, labels), _positions(p, labels)
    keep = (ti >= 0) & (pi >= 0)
    counts = np.bincount(ti[keep] * size + pi[keep], minlength=size * size)
    matrix = counts.reshape(size, size).astype(np.int64)
    if normalize is None:
        return matrix
    axes = {"true": 1, "pred": 0, "all": None}
    if normalize not in axes:
        raise ValueError(f"normalize must be 'true', 'pred', 'all' or None, got {normalize!r}")
    totals = matrix.sum(axis=axes[normalize], keepdims=normalize != "all")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num(matrix / totals)


def precision(
    y_true,
    y_pred,
    average: str | None = "binary",
    pos_label: int | str = 1,
    labels=None,
    zero_division: float = 0.0,
) -> float | np.ndarray:
    """Of the samples predicted as a class, the fraction that belong to it: TP / (TP + FP).

    Parameters
    ----------
    average : {'binary', 'macro', 'micro', 'weighted'} or None
        'binary': the score of ``pos_label`` alone (two classes at most); 'macro': the
        unweighted mean over classes; 'weighted': the mean weighted by each class's
        number of true samples; 'micro': from the counts summed over classes;
        None: one score per class.
    pos_label : int or str
        The positive class for ``average='binary'``.
    labels : array_like, optional
        The classes to average over; those of both inputs unless given.
    zero_division : float
        The score when nothing was predicted as the class (0/0).

    Examples
    --------
    >>> precision([0, 1, 1, 0], [1, 1, 1, 0])
    0.6666666666666666
    """
    return _score("precision", y_true, y_pred, average, pos_label, labels, zero_division)


def recall(
    y_true,
    y_pred,
    average: str | None = "binary",
    pos_label: int | str = 1,
    labels=None,
    zero_division: float = 0.0,
) -> float | np.ndarray:
    """Of the samples of a class, the fraction predicted as it: TP / (TP + FN).

    Arguments as :func:`precision`.
    """
    return _score("recall", y_true, y_pred, average, pos_label, labels, zero_division)


def f1(
    y_true,
    y_pred,
    average: str | None = "binary",
    pos_label: int | str = 1,
    labels=None,
    zero_division: float = 0.0,
) -> float | np.ndarray:
    """The harmonic mean of precision and recall: 2 TP / (2 TP + FP + FN).

    Arguments as :func:`precision`.
    """
    return _score("f1", y_true, y_pred, average, pos_label, labels, zero_division)


def log_loss(y_true, y_prob, labels=None) -> float:
    """Mean negative log-likelihood of the true classes (cross-entropy), natural log.

    Parameters
    ----------
    y_true : array_like, shape (N,)
        Class labels.
    y_prob : array_like, shape (N, C) or (N,)
        Probabilities, rows summing to 1; a 1-D array is the probability of the
        larger of two classes. Columns follow ``labels`` or, for integer labels, the
        class numbers 0..C-1, else the sorted classes of ``y_true``. Values are clipped
        to ``[eps, 1 - eps]`` with ``eps`` the machine epsilon of their dtype.
    labels : array_like, optional

    Examples
    --------
    >>> round(log_loss([0, 1], [[0.9, 0.1], [0.2, 0.8]]), 6)  # -(log 0.9 + log 0.8) / 2
    0.164252
    """
    t = _labels(y_true, "y_true")
    prob = to_numpy(y_prob, "y_prob")
    check_not_empty(prob, "y_prob")
    check_same_length(t, prob, ("y_true", "y_prob"))
    if prob.dtype.kind != "f":
        prob = prob.astype(np.float64)
    check_finite(prob, "y_prob")
    if prob.ndim == 2 and prob.shape[1] == 1:
        prob = prob[:, 0]
    if prob.ndim == 1:
        prob = np.stack([1 - prob, prob], axis=1)
    if prob.ndim != 2:
        raise ValueError(f"y_prob must have shape (N, C) or (N,), got {prob.shape}")
    low, high = prob.min(), prob.max()
    if low < 0 or high > 1:
        raise ValueError(
            f"y_prob must hold probabilities in [0, 1], got values from {low:.4g} to "
            f"{high:.4g}; for logits apply softmax (or sigmoid) first"
        )
    eps = np.finfo(prob.dtype).eps
    sums = prob.sum(axis=1)
    off = ~np.isclose(sums, 1, rtol=np.sqrt(eps), atol=0)
    if off.any():
        i = int(np.argmax(off))
        raise ValueError(f"y_prob rows must sum to 1, row {i} sums to {sums[i]:.6g}")
    columns = _columns(t, prob.shape[1], labels)
    picked = np.clip(prob[np.arange(len(t)), columns], eps, 1 - eps)
    return float(-np.mean(np.log(picked.astype(np.float64))))


# -- regression ----------------------------------------------------------------------
def mse(y_true, y_pred) -> float:
    """Mean squared error: the mean of ``(y_true - y_pred) ** 2`` over all values."""
    t, p = _value_pair(y_true, y_pred)
    return float(np.mean((t - p) ** 2))


def mae(y_true, y_pred) -> float:
    """Mean absolute error: the mean of ``|y_true - y_pred|`` over all values."""
    t, p = _value_pair(y_true, y_pred)
    return float(np.mean(np.abs(t - p)))


def r2(y_true, y_pred, multioutput: str = "uniform_average"):
    """Coefficient of determination: ``1 - SS_res / SS_tot`` per output.

    1 is a perfect fit, 0 is no better than predicting the mean, and it can be
    negative. A constant ``y_true`` scores 1 if predicted exactly, else 0; fewer than
    two samples give NaN (as scikit-learn).

    Parameters
    ----------
    multioutput : {'uniform_average', 'raw_values'}
        Average the scores of several outputs (columns), or return each.
    """
    t, p = _value_pair(y_true, y_pred)
    if multioutput not in ("uniform_average", "raw_values"):
        raise ValueError(
            f"multioutput must be 'uniform_average' or 'raw_values', got {multioutput!r}"
        )
    if len(t) < 2:
        return float("nan") if multioutput == "uniform_average" else np.full(t.shape[1:], np.nan)
    residual = np.sum((t - p) ** 2, axis=0)
    total = np.sum((t - t.mean(axis=0)) ** 2, axis=0)
    constant = total == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.where(constant, np.where(residual == 0, 1.0, 0.0), 1 - residual / total)
    return float(np.mean(scores)) if multioutput == "uniform_average" else scores


# -- helpers -------------------------------------------------------------------------
def _score(kind, y_true, y_pred, average, pos_label, labels, zero_division):
    if average not in _AVERAGES:
        raise ValueError(f"average must be one of {_AVERAGES}, got {average!r}")
    t, p = _label_pair(y_true, y_pred)
    present = _classes(t, p)
    if average == "binary":
        if len(present) > 2:
            raise ValueError(
                f"average='binary' needs two classes, the labels hold {len(present)}: "
                f"{present.tolist()}; use average='macro' (or 'weighted', 'micro')"
            )
        if pos_label not in present.tolist():
            if len(present) == 2:
                raise ValueError(
                    f"pos_label={pos_label!r} is not one of the classes {present.tolist()}"
                )
            return float(zero_division)  # no positive sample, none predicted: 0/0
        labels = [pos_label]
    elif labels is None:
        labels = present
    labels = to_numpy(labels, "labels", numeric=False)
    ti, pi = _positions(t, labels), _positions(p, labels)
    size = len(labels)
    hits = ti[(ti == pi) & (ti >= 0)]
    tp = np.bincount(hits, minlength=size).astype(np.float64)
    n_pred = np.bincount(pi[pi >= 0], minlength=size).astype(np.float64)
    n_true = np.bincount(ti[ti >= 0], minlength=size).astype(np.float64)
    if average == "micro":
        tp, n_pred, n_true = (c.sum(keepdims=True) for c in (tp, n_pred, n_true))
    numerator, denominator = {
        "precision": (tp, n_pred),
        "recall": (tp, n_true),
        "f1": (2 * tp, n_pred + n_true),
    }[kind]
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.where(denominator > 0, numerator / denominator, zero_division)
    if average is None:
        return scores
    if average == "weighted":
        if n_true.sum() == 0:
            return float(zero_division)
        return float(np.average(scores, weights=n_true))
    return float(np.mean(scores))


def _labels(y, name: str) -> np.ndarray:
    """Class labels, shape (N,): 2-D scores or one-hot rows become their argmax."""
    array = to_numpy(y, name, numeric=False)
    check_not_empty(array, name)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    elif array.ndim == 2:
        if array.dtype.kind not in "biuf":
            raise ValueError(f"{name} of shape {array.shape} must hold numbers to take argmax")
        check_finite(array, name)
        return np.argmax(array, axis=1)
    if array.ndim != 1:
        raise ValueError(f"{name} must be labels (N,) or scores (N, C), got shape {array.shape}")
    if array.dtype.kind == "f":
        check_finite(array, name)
        whole = array == np.round(array)
        if not whole.all():
            i = int(np.argmin(whole))
            raise ValueError(
                f"{name} must hold class labels, got {array[i]} in row {i}; "
                f"threshold scores of a positive class first: (y_prob >= 0.5) for "
                f"probabilities, (logits > 0) for logits"
            )
        return array.astype(np.int64)
    return array


def _label_pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    t, p = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    check_same_length(t, p, ("y_true", "y_pred"))
    if (t.dtype.kind in "US") != (p.dtype.kind in "US"):
        raise ValueError(f"y_true and y_pred mix text and numeric labels ({t.dtype} and {p.dtype})")
    return t, p


def _classes(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    return np.union1d(t, p)


def _positions(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The index of each value in ``labels``, or -1 where it is not listed."""
    if (values.dtype.kind in "US") != (labels.dtype.kind in "US"):
        raise ValueError(
            f"labels {labels.tolist()} and the class labels of the data "
            f"({values.dtype}) must both be text or both be numbers"
        )
    order = np.argsort(labels, kind="stable")
    ranked = labels[order]
    at = np.clip(np.searchsorted(ranked, values), 0, len(ranked) - 1)
    found = ranked[at] == values
    return np.where(found, order[at], -1)


def _columns(t: np.ndarray, n_columns: int, labels) -> np.ndarray:
    """The column of ``y_prob`` that holds each sample's true class."""
    if labels is not None:
        classes = np.sort(to_numpy(labels, "labels", numeric=False))
    elif t.dtype.kind in "iu" and t.min() >= 0 and t.max() < n_columns:
        return t
    else:
        classes = np.unique(t)
    if len(classes) != n_columns:
        raise ValueError(
            f"y_prob has {n_columns} columns but the classes are {classes.tolist()}; "
            f"pass labels=... to say which class each column stands for"
        )
    columns = _positions(t, classes)
    if (columns < 0).any():
        raise ValueError(
            f"y_true holds {t[columns < 0][0].item()!r}, not one of labels {classes.tolist()}"
        )
    return columns


def _value_pair(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    """Numeric targets and predictions of one shape; (N,) and (N, 1) are matched."""
    t, p = to_numpy(y_true, "y_true"), to_numpy(y_pred, "y_pred")
    check_not_empty(t, "y_true")
    check_same_length(t, p, ("y_true", "y_pred"))
    if t.shape != p.shape and {t.ndim, p.ndim} == {1, 2} and t.size == p.size == len(t):
        t, p = t.reshape(-1), p.reshape(-1)  # a model's (N, 1) column against targets (N,)
    if t.shape != p.shape:
        raise ValueError(f"y_true has shape {t.shape} but y_pred has shape {p.shape}")
    t, p = t.astype(np.float64, copy=False), p.astype(np.float64, copy=False)
    check_finite(t, "y_true")
    check_finite(p, "y_pred")
    return t, p
