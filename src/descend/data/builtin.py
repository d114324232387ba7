"""Small classic data sets, read from the files bundled with scikit-learn (no network).

Each loader returns ``(X, y)`` ndarrays: ``X`` float64 as scikit-learn gives it,
``y`` int64 class labels (float64 for the diabetes regression target). With
``return_names=True`` it returns ``(X, y, feature_names, class_names)``, where
``class_names`` is None for regression.
"""

from __future__ import annotations

import numpy as np


def _load(name: str, return_names: bool, classes: bool):
    # scikit-learn takes a second to import: only pay for it when a set is asked for.
    from sklearn import datasets

    bunch = getattr(datasets, name)()
    X = np.ascontiguousarray(bunch.data, dtype=np.float64)
    y = np.asarray(bunch.target, dtype=np.int64 if classes else np.float64)
    if not return_names:
        return X, y
    feature_names = [str(f) for f in bunch.feature_names]
    class_names = [str(c) for c in bunch.target_names] if classes else None
    return X, y, feature_names, class_names


def load_digits(return_names: bool = False):
    """Handwritten digits: 1,797 images of 8x8 pixels (values 0-16), 10 classes.

    Returns
    -------
    X : ndarray of float64, shape (1797, 64)
    y : ndarray of int64, shape (1797,), labels 0-9
    feature_names, class_names : list of str, only with ``return_names=True``

    Examples
    --------
    >>> X, y = load_digits()
    >>> X.shape, int(y.max())
    ((1797, 64), 9)
    """
    return _load("load_digits", return_names, classes=True)


def load_breast_cancer(return_names: bool = False):
    """Breast cancer Wisconsin (diagnostic): 569 tumours, 30 features, 2 classes.

    Returns
    -------
    X : ndarray of float64, shape (569, 30)
    y : ndarray of int64, shape (569,): 0 malignant, 1 benign
    feature_names, class_names : list of str, only with ``return_names=True``
    """
    return _load("load_breast_cancer", return_names, classes=True)


def load_diabetes(return_names: bool = False):
    """Diabetes progression: 442 patients, 10 features (centred and scaled), regression.

    Returns
    -------
    X : ndarray of float64, shape (442, 10)
    y : ndarray of float64, shape (442,): disease progression one year later (25-346)
    feature_names : list of str, and class_names None, only with ``return_names=True``
    """
    return _load("load_diabetes", return_names, classes=False)


def load_iris(return_names: bool = False):
    """Iris flowers: 150 samples, 4 measurements in cm, 3 species.

    Returns
    -------
    X : ndarray of float64, shape (150, 4)
    y : ndarray of int64, shape (150,): 0 setosa, 1 versicolor, 2 virginica
    feature_names, class_names : list of str, only with ``return_names=True``
    """
    return _load("load_iris", return_names, classes=True)


def load_wine(return_names: bool = False):
    """Wine recognition: 178 wines, 13 chemical measurements, 3 cultivars.

    Returns
    -------
    X : ndarray of float64, shape (178, 13)
    y : ndarray of int64, shape (178,), labels 0-2
    feature_names, class_names : list of str, only with ``return_names=True``
    """
    return _load("load_wine", return_names, classes=True)
