import numpy as np
import pytest

import descend as ds
from descend import nn
from tests.nn.helpers import check_module, normal


def test_linear_forward_and_shapes():
    layer = nn.Linear(4, 3)
    assert layer.weight.shape == (3, 4) and layer.bias.shape == (3,)
    x = ds.randn(5, 4)
    np.testing.assert_allclose(
        layer(x).data, x.data @ layer.weight.data.T + layer.bias.data, rtol=1e-6
    )
    assert layer(ds.randn(2, 7, 4)).shape == (2, 7, 3)
    assert layer(np.ones((2, 4))).dtype == np.float32


def test_linear_default_init_is_uniform_within_one_over_sqrt_fan_in():
    layer = nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    for p in (layer.weight.data, layer.bias.data):
        assert p.dtype == np.float32
        assert np.abs(p).max() <= bound
        assert np.abs(p).max() > 0.9 * bound
    # U(-b, b) has standard deviation b / sqrt(3).
    np.testing.assert_allclose(layer.weight.data.std(), bound / np.sqrt(3), rtol=0.02)


def test_linear_init_follows_manual_seed():
    ds.manual_seed(5)
    a = nn.Linear(3, 2)
    ds.manual_seed(5)
    b = nn.Linear(3, 2)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)


def test_linear_gradients():
    assert check_module(nn.Linear(4, 3), normal(5, 4))
    assert check_module(nn.Linear(4, 3, bias=False), normal(2, 4))


def test_linear_without_bias():
    layer = nn.Linear(4, 3, bias=False)
    assert layer.bias is None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    assert repr(layer).startswith("Linear(4, 3, bias=False)")


def test_linear_feature_count_error_names_the_layer():
    with pytest.raises(
        ValueError, match=r"^Linear\(784, 10\) expected input with 784 features, got 785$"
    ):
        nn.Linear(784, 10)(ds.zeros(2, 785))
    with pytest.raises(ValueError, match="got a scalar"):
        nn.Linear(3, 1)(ds.tensor(1.0))


@pytest.mark.parametrize("args", [(0, 3), (3, -1), (2.5, 3)])
def test_linear_rejects_bad_sizes(args):
    with pytest.raises(ValueError, match="must be a positive int"):
        nn.Linear(*args)


def test_the_weight_is_column_major_and_its_gradient_too():
    # x @ weight.T is then BLAS's untransposed product; values and files are unchanged.
    layer = nn.Linear(4, 3)
    assert layer.weight.shape == (3, 4) and layer.weight.data.flags.f_contiguous
    layer(ds.randn(2, 4)).sum().backward()
    assert layer.weight.grad.flags.f_contiguous
    saved = layer.state_dict()["weight"]
    np.testing.assert_array_equal(saved, layer.weight.data)
    assert saved.flags.c_contiguous  # what files hold
