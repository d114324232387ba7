import math

import numpy as np
import pytest

import descend as ds
from descend import nn
from descend.nn import init


def test_fills_are_in_place_and_return_the_tensor():
    w = nn.Parameter(np.ones((3, 4)))
    array = w.data
    assert init.zeros_(w) is w and w.data is array and not w.data.any()
    assert (init.ones_(w).data == 1).all()
    assert (init.constant_(w, 2.5).data == 2.5).all()
    raw = np.zeros(3)
    assert init.ones_(raw) is raw and (raw == 1).all()
    with pytest.raises(TypeError, match="expected a Tensor or ndarray"):
        init.zeros_([1, 2])


def test_uniform_and_normal():
    w = ds.zeros(200, 200)
    init.uniform_(w, -2, 3)
    assert w.data.min() >= -2 and w.data.max() < 3
    np.testing.assert_allclose(w.data.mean(), 0.5, atol=0.05)
    init.normal_(w, 1.0, 0.5)
    np.testing.assert_allclose([w.data.mean(), w.data.std()], [1.0, 0.5], atol=0.01)
    assert w.dtype == np.float32


def test_fans():
    assert init.fans(ds.zeros(10, 20)) == (20, 10)
    assert init.fans(ds.zeros(16, 6, 5, 5)) == (150, 400)
    with pytest.raises(ValueError, match=">= 2 dimensions"):
        init.fans(ds.zeros(5))


def test_xavier():
    w = ds.zeros(300, 200)
    bound = math.sqrt(6 / 500)
    init.xavier_uniform_(w)
    assert np.abs(w.data).max() <= bound
    np.testing.assert_allclose(w.data.std(), bound / math.sqrt(3), rtol=0.02)
    init.xavier_normal_(w, gain=2.0)
    np.testing.assert_allclose(w.data.std(), 2 * math.sqrt(2 / 500), rtol=0.02)


def test_kaiming():
    w = ds.zeros(256, 400)
    init.kaiming_uniform_(w, nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / 400)
    assert np.abs(w.data).max() <= bound
    init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    np.testing.assert_allclose(w.data.std(), math.sqrt(2 / 256), rtol=0.02)
    # PyTorch's layer default: a = sqrt(5) gives the bound 1 / sqrt(fan_in).
    init.kaiming_uniform_(w, a=math.sqrt(5))
    assert np.abs(w.data).max() <= 1 / math.sqrt(400)
    with pytest.raises(ValueError, match="mode must be"):
        init.kaiming_uniform_(w, mode="fan")


def test_calculate_gain():
    assert init.calculate_gain("relu") == math.sqrt(2)
    assert init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    with pytest.raises(ValueError, match="unknown nonlinearity 'swish'"):
        init.calculate_gain("swish")


def test_generators():
    a, b = ds.zeros(5), ds.zeros(5)
    init.normal_(a, generator=np.random.default_rng(1))
    init.normal_(b, generator=np.random.default_rng(1))
    np.testing.assert_array_equal(a.data, b.data)
    ds.manual_seed(4)
    init.uniform_(a)
    ds.manual_seed(4)
    init.uniform_(b)
    np.testing.assert_array_equal(a.data, b.data)
