import numpy as np
import pytest

import descend as ds
from descend.data import (
    check_batch_size,
    check_finite,
    check_labels,
    check_not_empty,
    check_same_length,
)
from descend.data.validation import as_features, as_targets, to_numpy


def test_check_finite_counts_and_first_row():
    X = np.zeros((30, 4))
    X[17, 2] = np.nan
    X[20, 0] = np.inf
    X[25, 1] = -np.inf
    with pytest.raises(ValueError, match=r"^X has 3 NaN or infinite values; the first in row 17$"):
        check_finite(X)


def test_check_finite_singular_and_tensor_and_name():
    y = ds.tensor([1.0, float("nan"), 2.0])
    with pytest.raises(ValueError, match=r"y_val has 1 NaN or infinite value; the first in row 1"):
        check_finite(y, "y_val")


def test_check_finite_passes_and_returns_input():
    X = np.ones((3, 2))
    assert check_finite(X) is X
    ints = np.array([1, 2])
    assert check_finite(ints) is ints


def test_check_labels_names_classes_and_bad_labels():
    with pytest.raises(ValueError, match=r"in \[0, 3\) for 3 classes; got -1, 3, 7 \(4 of 6"):
        check_labels([0, 3, 1, 7, -1, 7], n_classes=3)


def test_check_labels_accepts_whole_floats_and_rejects_fractions():
    out = check_labels(np.array([0.0, 2.0, 1.0]), 3)
    assert out.dtype == np.int64 and out.tolist() == [0, 2, 1]
    with pytest.raises(ValueError, match="integer class labels, got 0.5"):
        check_labels([0.5, 1.0], 3)


def test_check_labels_without_n_classes_rejects_negative():
    with pytest.raises(ValueError, match="non-negative; got -2"):
        check_labels([1, -2])
    with pytest.raises(ValueError, match="n_classes must be a positive integer"):
        check_labels([1], 0)


def test_check_same_length_and_not_empty():
    with pytest.raises(ValueError, match="X has 3 samples but y has 2"):
        check_same_length(np.zeros((3, 1)), np.zeros(2))
    with pytest.raises(ValueError, match="y must be an array of samples, got a single value 3"):
        check_same_length(np.zeros((3, 1)), 3)
    with pytest.raises(ValueError, match="X is empty"):
        check_not_empty(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="single value"):
        check_not_empty(np.float64(3.0))


@pytest.mark.parametrize("bad", [0, -3, 2.5, "half", True, None, "FULL"])
def test_check_batch_size_rejects(bad):
    with pytest.raises(ValueError, match="batch_size must be a positive integer or 'full'"):
        check_batch_size(bad, 10)


def test_check_batch_size_resolves():
    assert check_batch_size("full", 17) == 17
    assert check_batch_size(np.int64(4), 17) == 4
    assert type(check_batch_size(np.int64(4))) is int


def test_to_numpy_errors_are_clear():
    with pytest.raises(ValueError, match="ragged list"):
        to_numpy([[1, 2], [3]])
    with pytest.raises(ValueError, match="must hold numbers; got an array of dtype <U1"):
        to_numpy(["a", "b"])
    assert to_numpy(["a"], numeric=False).dtype.kind == "U"
    t = ds.tensor([1.0, 2.0])
    assert to_numpy(t) is t.data


def test_as_features_and_targets_dtypes():
    assert as_features(np.arange(6).reshape(3, 2)).dtype == np.float32
    assert as_features(np.zeros((2, 2)), dtype=np.float64).dtype == np.float64
    assert as_targets(np.array([True, False])).dtype == np.int64
    assert as_targets(np.array([1, 2], dtype=np.uint8)).dtype == np.int64
    assert as_targets(np.array([0.5])).dtype == np.float32
    with pytest.raises(ValueError, match="X has values too large for float32 .the first in row 1"):
        as_features(np.array([[1.0], [1e300]]))
