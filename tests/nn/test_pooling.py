import numpy as np
import pytest

import descend as ds
import descend.nn.functional as F
from descend import nn
from tests.nn.helpers import RNG


def distinct(*shape):
    return ds.tensor(RNG.permutation(int(np.prod(shape))).reshape(shape) / 7.0)


@pytest.mark.parametrize("cls", [nn.MaxPool2d, nn.AvgPool2d])
def test_pool_shapes_and_defaults(cls):
    pool = cls(2)
    assert pool.kernel_size == (2, 2) and pool.stride == (2, 2) and pool.padding == (0, 0)
    assert pool(ds.randn(3, 6, 28, 28)).shape == (3, 6, 14, 14)
    assert pool(ds.randn(6, 28, 28)).shape == (6, 14, 14)
    assert cls(3, stride=1, padding=1)(ds.randn(1, 2, 5, 5)).shape == (1, 2, 5, 5)


def test_pool_layers_are_the_functional_ops():
    x = ds.randn(2, 3, 8, 8)
    np.testing.assert_array_equal(nn.MaxPool2d(3, 2, 1)(x).data, F.max_pool2d(x, 3, 2, 1).data)
    np.testing.assert_array_equal(nn.AvgPool2d(2)(x).data, F.avg_pool2d(x, 2).data)


@pytest.mark.parametrize("cls", [nn.MaxPool2d, nn.AvgPool2d])
@pytest.mark.parametrize("args", [(2,), (3, 1, 1), (3, 2, 1), ((2, 3), (2, 1))])
def test_pool_gradients(cls, args):
    pool = cls(*args)
    assert ds.gradcheck(pool, distinct(2, 2, 7, 6))


def test_pool_repr():
    assert repr(nn.MaxPool2d(2)) == "MaxPool2d(2)"
    assert repr(nn.AvgPool2d(3, stride=2, padding=1)) == "AvgPool2d(3, stride=2, padding=1)"


def test_pool_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"MaxPool2d\(3\): kernel 3x3 is larger than the padded"):
        nn.MaxPool2d(3)(ds.zeros(1, 1, 2, 2))
    with pytest.raises(ValueError, match="padding"):
        nn.MaxPool2d(2, padding=2)
    with pytest.raises(ValueError, match=r"AvgPool2d\(2\) expected input of shape \(N, C, H, W\)"):
        nn.AvgPool2d(2)(ds.zeros(4, 4))


@pytest.mark.parametrize("cls", [nn.MaxPool1d, nn.AvgPool1d])
def test_pool1d_shapes_and_defaults(cls):
    pool = cls(2)
    assert pool.kernel_size == (2,) and pool.stride == (2,) and pool.padding == (0,)
    assert pool(ds.randn(3, 6, 41)).shape == (3, 6, 20)
    assert pool(ds.randn(6, 40)).shape == (6, 20)
    assert cls(3, stride=1, padding=1)(ds.randn(1, 2, 5)).shape == (1, 2, 5)


def test_pool1d_layers_are_the_functional_ops():
    x = ds.randn(2, 3, 17)
    np.testing.assert_array_equal(nn.MaxPool1d(3, 2, 1)(x).data, F.max_pool1d(x, 3, 2, 1).data)
    np.testing.assert_array_equal(nn.AvgPool1d(4)(x).data, F.avg_pool1d(x, 4).data)


@pytest.mark.parametrize("cls", [nn.MaxPool1d, nn.AvgPool1d])
@pytest.mark.parametrize("args", [(2,), (3, 1, 1), (3, 2, 1), (4, 3)])
def test_pool1d_gradients(cls, args):
    assert ds.gradcheck(cls(*args), distinct(2, 2, 13))


def test_pool1d_repr_and_errors():
    assert repr(nn.MaxPool1d(2)) == "MaxPool1d(2)"
    assert repr(nn.AvgPool1d(3, stride=2, padding=1)) == "AvgPool1d(3, stride=2, padding=1)"
    with pytest.raises(ValueError, match=r"MaxPool1d: padding 2 must be at most half the kernel"):
        nn.MaxPool1d(3, padding=2)
    with pytest.raises(ValueError, match=r"AvgPool1d\(2\) expected input of shape \(N, C, L\)"):
        nn.AvgPool1d(2)(ds.zeros(1, 1, 4, 4))
    with pytest.raises(ValueError, match=r"MaxPool1d\(3\): kernel 3 is larger than the padded"):
        nn.MaxPool1d(3)(ds.zeros(1, 1, 2))
