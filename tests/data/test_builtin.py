import subprocess
import sys

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


@pytest.mark.parametrize("name", ["digits", "breast_cancer", "diabetes", "iris", "wine"])
def test_same_arrays_and_names_as_scikit_learn(name):
    # descend reads scikit-learn's files itself: the arrays are bit for bit the ones
    # scikit-learn gives (diabetes scaled the same way), and so are the names.
    datasets = pytest.importorskip("sklearn.datasets")
    import descend.data.builtin as builtin

    X, y, features, classes = getattr(builtin, f"load_{name}")(return_names=True)
    theirs = getattr(datasets, f"load_{name}")()
    np.testing.assert_array_equal(X, theirs.data, strict=False)
    np.testing.assert_array_equal(y, theirs.target)
    assert features == [str(f) for f in theirs.feature_names]
    assert classes == (None if name == "diabetes" else [str(c) for c in theirs.target_names])


def test_loading_a_set_imports_no_scikit_learn():
    code = (
        "import sys; import descend as ds; ds.data.load('digits'); ds.data.load_diabetes()\n"
        "print(sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
