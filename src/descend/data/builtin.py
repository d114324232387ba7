"""Small classic data sets, shipped with descend (no network, no scikit-learn).

The files in ``builtin_data/`` are scikit-learn's own copies (its README names their
sources and licences), read with NumPy: the arrays are the ones scikit-learn's loaders give.
Each loader returns ``(X, y)`` ndarrays: ``X`` float64, ``y`` int64 class labels (float64
for the diabetes regression target). With ``return_names=True`` it returns
``(X, y, feature_names, class_names)``, where ``class_names`` is None for regression.
"""

from __future__ import annotations

import gzip
from importlib import resources

import numpy as np

_CANCER = [
    "radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
    "concave points", "symmetry", "fractal dimension",
]  # fmt: skip
FEATURES = {
    "digits.csv.gz": [f"pixel_{row}_{column}" for row in range(8) for column in range(8)],
    "breast_cancer.csv": [f"mean {f}" for f in _CANCER]
    + [f"{f} error" for f in _CANCER]
    + [f"worst {f}" for f in _CANCER],
    "iris.csv": ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"],
    "wine_data.csv": [
        "alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols",
        "flavanoids", "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue",
        "od280/od315_of_diluted_wines", "proline",
    ],
    "diabetes_data_raw.csv.gz": ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"],
}  # fmt: skip


def _open(name: str):
    path = resources.files("descend.data") / "builtin_data" / name
    return gzip.open(path.open("rb"), "rt") if name.endswith(".gz") else path.open()


def _classes(name: str, return_names: bool, class_names: list[str] | None = None):
    """A set whose rows end with their class index. Its first line is
    ``n_samples,n_features,class names...``, unless ``class_names`` are given."""
    with _open(name) as file:
        header = None if class_names else file.readline().strip().split(",")
        table = np.loadtxt(file, delimiter=",", ndmin=2)
    if header is not None:
        shape, class_names = (int(header[0]), int(header[1]) + 1), header[2:]
        if table.shape != shape:
            raise ValueError(
                f"{name}: expected {shape[0]} rows of {shape[1]} numbers, got {table.shape}"
            )
    X, y = np.ascontiguousarray(table[:, :-1]), table[:, -1].astype(np.int64)
    return (X, y, FEATURES[name], class_names) if return_names else (X, y)


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
    return _classes("digits.csv.gz", return_names, [str(digit) for digit in range(10)])


def load_breast_cancer(return_names: bool = False):
    """Breast cancer Wisconsin (diagnostic): 569 tumours, 30 features, 2 classes.

    Returns
    -------
    X : ndarray of float64, shape (569, 30)
    y : ndarray of int64, shape (569,): 0 malignant, 1 benign
    feature_names, class_names : list of str, only with ``return_names=True``
    """
    return _classes("breast_cancer.csv", return_names)


def load_diabetes(return_names: bool = False):
    """Diabetes progression: 442 patients, 10 features (centred and scaled), regression.

    Returns
    -------
    X : ndarray of float64, shape (442, 10)
    y : ndarray of float64, shape (442,): disease progression one year later (25-346)
    feature_names : list of str, and class_names None, only with ``return_names=True``
    """
    with _open("diabetes_data_raw.csv.gz") as file:
        X = np.loadtxt(file)
    with _open("diabetes_target.csv.gz") as file:
        y = np.loadtxt(file)
    # As scikit-learn scales it: each column centred, divided by its standard deviation
    # and by the square root of the number of samples (each column's norm is then 1).
    mean, std = X.mean(axis=0), X.std(axis=0)
    X -= mean
    X /= std
    X /= len(X) ** 0.5
    return (X, y, FEATURES["diabetes_data_raw.csv.gz"], None) if return_names else (X, y)


def load_iris(return_names: bool = False):
    """Iris flowers: 150 samples, 4 measurements in cm, 3 species.

    Returns
    -------
    X : ndarray of float64, shape (150, 4)
    y : ndarray of int64, shape (150,): 0 setosa, 1 versicolor, 2 virginica
    feature_names, class_names : list of str, only with ``return_names=True``
    """
    return _classes("iris.csv", return_names)


def load_wine(return_names: bool = False):
    """Wine recognition: 178 wines, 13 chemical measurements, 3 cultivars.

    Returns
    -------
    X : ndarray of float64, shape (178, 13)
    y : ndarray of int64, shape (178,), labels 0-2
    feature_names, class_names : list of str, only with ``return_names=True``
    """
    return _classes("wine_data.csv", return_names)
