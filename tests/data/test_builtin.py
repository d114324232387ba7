import numpy as np
import pytest

from descend.data import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine

SETS = [
    (load_digits, (1797, 64), 10),
    (load_breast_cancer, (569, 30), 2),
    (load_iris, (150, 4), 3),
    (load_wine, (178, 13), 3),
]


@pytest.mark.parametrize(("loader", "shape", "n_classes"), SETS)
def test_classification_sets(loader, shape, n_classes):
    X, y = loader()
    assert X.shape == shape and X.dtype == np.float64 and X.flags.c_contiguous
    assert y.shape == (shape[0],) and y.dtype == np.int64
    assert sorted(np.unique(y).tolist()) == list(range(n_classes))
    assert np.isfinite(X).all()


@pytest.mark.parametrize(("loader", "shape", "n_classes"), SETS)
def test_names(loader, shape, n_classes):
    X, y, features, classes = loader(return_names=True)
    assert len(features) == shape[1] and all(isinstance(f, str) for f in features)
    assert len(classes) == n_classes and all(isinstance(c, str) for c in classes)


def test_diabetes_is_regression():
    X, y = load_diabetes()
    assert X.shape == (442, 10) and y.dtype == np.float64
    assert y.min() >= 25 and y.max() <= 346
    _, _, features, classes = load_diabetes(return_names=True)
    assert features[:3] == ["age", "sex", "bmi"] and classes is None


def test_known_names():
    *_, classes = load_iris(return_names=True)
    assert classes == ["setosa", "versicolor", "virginica"]
    *_, classes = load_breast_cancer(return_names=True)
    assert classes == ["malignant", "benign"]
