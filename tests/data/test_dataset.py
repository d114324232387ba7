import numpy as np
import pytest

import descend as ds
from descend.data import Dataset, TensorDataset


def test_dtypes_follow_the_default_dtype():
    data = TensorDataset(np.zeros((5, 3)), np.arange(5))
    assert data.X.dtype == np.float32 and data.y.dtype == np.int64
    assert TensorDataset(np.zeros((5, 3)), np.zeros(5)).y.dtype == np.float32
    ds.set_default_dtype(np.float64)
    data = TensorDataset(np.zeros((5, 3), dtype=np.float32), np.zeros(5))
    assert data.X.dtype == np.float64 and data.y.dtype == np.float64


def test_explicit_dtype_and_no_copy_when_already_right():
    X = np.zeros((4, 2), dtype=np.float32)
    assert TensorDataset(X).X is X
    assert TensorDataset(X, dtype=np.float64).X.dtype == np.float64


def test_accepts_tensors_and_lists():
    data = TensorDataset(ds.tensor([[1.0, 2.0], [3.0, 4.0]]), [0, 1])
    assert data.X.shape == (2, 2) and data.y.tolist() == [0, 1]


def test_indexing_int_slice_array_mask_tensor():
    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    data = TensorDataset(X, np.arange(10))
    x, y = data[3]
    assert x.tolist() == [6.0, 7.0] and y == 3
    x, y = data[-1]
    assert y == 9
    x, y = data[2:5]
    assert y.tolist() == [2, 3, 4] and np.shares_memory(x, data.X)
    x, y = data[np.array([7, 1, 1])]
    assert y.tolist() == [7, 1, 1] and x[0].tolist() == [14.0, 15.0]
    x, y = data[np.arange(10) % 3 == 0]
    assert y.tolist() == [0, 3, 6, 9]
    x, y = data[ds.tensor(np.array([4, 5]))]
    assert y.tolist() == [4, 5]
    x, y = data[[0, 2]]
    assert y.tolist() == [0, 2]


def test_without_targets_y_is_none():
    data = TensorDataset(np.zeros((3, 2)))
    x, y = data[0:2]
    assert y is None and x.shape == (2, 2)
    assert "no targets" in repr(data)


def test_index_errors():
    data = TensorDataset(np.zeros((4, 2)), np.arange(4))
    with pytest.raises(IndexError, match="index 4 is out of range for a dataset of 4 samples"):
        data[4]
    with pytest.raises(IndexError, match=r"indices \[9\] are out of range"):
        data[np.array([0, 9])]
    with pytest.raises(IndexError, match=r"boolean mask must have shape \(4,\)"):
        data[np.array([True, False])]
    with pytest.raises(TypeError, match="got float"):
        data[1.5]


def test_construction_errors():
    with pytest.raises(ValueError, match="X has 3 samples but y has 2"):
        TensorDataset(np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="X is empty"):
        TensorDataset(np.zeros((0, 2)))
    X = np.zeros((6, 2))
    X[4, 1] = np.nan
    with pytest.raises(ValueError, match="X has 1 NaN or infinite value; the first in row 4"):
        TensorDataset(X, np.zeros(6))
    with pytest.raises(ValueError, match="y has 1 NaN"):
        TensorDataset(np.zeros((2, 2)), [0.0, np.inf])
    with pytest.raises(ValueError, match="must hold numbers"):
        TensorDataset(np.array([["a", "b"]]))


def test_base_dataset_says_what_to_write():
    with pytest.raises(NotImplementedError, match="must define __len__"):
        len(Dataset())
    with pytest.raises(NotImplementedError, match="must define __getitem__"):
        Dataset()[0]
