import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import descend as ds
from tests.tensor.helpers import away_from_zero, normal, positive

UNARY = {
    "exp": (lambda x: x.exp(), normal),
    "log": (lambda x: x.log(), positive),
    "sqrt": (lambda x: x.sqrt(), positive),
    "abs": (lambda x: x.abs(), away_from_zero),
    "tanh": (lambda x: x.tanh(), normal),
    "sigmoid": (lambda x: x.sigmoid(), normal),
    "relu": (lambda x: x.relu(), away_from_zero),
    "clip": (lambda x: x.clip(-0.5, 0.7), away_from_zero),
    "clip_min": (lambda x: x.clip(min=0.3), away_from_zero),
    "clip_max": (lambda x: x.clip(max=-0.3), away_from_zero),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("shape", [(), (1,), (5,), (2, 3), (2, 3, 4)])
def test_unary_gradients(name, shape):
    fn, make = UNARY[name]
    assert ds.gradcheck(fn, make(*shape))


@settings(max_examples=30, deadline=None)
@given(
    shape=hnp.array_shapes(min_dims=0, max_dims=4, max_side=3),
    name=st.sampled_from(sorted(UNARY)),
)
def test_unary_gradients_random_shapes(shape, name):
    fn, make = UNARY[name]
    x = make(*shape)
    assert fn(x).shape == shape
    assert ds.gradcheck(fn, x)


@settings(max_examples=30, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
def test_unary_of_broadcast_product(shapes):
    sa, sb = shapes.input_shapes
    assert ds.gradcheck(lambda a, b: (a * b).tanh() + (a - b).sigmoid(), normal(*sa), normal(*sb))


def test_values_match_numpy():
    x = np.linspace(-3, 3, 13)
    t = ds.tensor(x)
    np.testing.assert_allclose(t.exp().data, np.exp(x))
    np.testing.assert_allclose(t.tanh().data, np.tanh(x))
    np.testing.assert_allclose(t.sigmoid().data, 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(t.relu().data, np.maximum(x, 0))
    np.testing.assert_allclose(t.clip(-1, 2).data, np.clip(x, -1, 2))
    np.testing.assert_allclose(t.abs().data, np.abs(x))


def test_sigmoid_is_stable_for_huge_inputs():
    x = ds.tensor([-1000.0, -100.0, 0.0, 100.0, 1000.0], requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = x.sigmoid()
        y.sum().backward()
    np.testing.assert_allclose(y.data, [0, 3.7e-44, 0.5, 1, 1], atol=1e-30, rtol=1e-2)
    assert np.isfinite(x.grad).all()
    assert y.dtype == np.float32


def test_kinks_follow_pytorch_conventions():
    x = ds.tensor([0.0, 0.0, 1.0], requires_grad=True)
    (x.relu() + x.abs()).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 2.0])
    x = ds.tensor([-1.0, 1.0, 2.0], requires_grad=True)
    x.clip(-1.0, 1.0).sum().backward()  # gradient passes at the bounds themselves
    np.testing.assert_array_equal(x.grad, [1.0, 1.0, 0.0])


def test_to_changes_dtype_and_gradient_comes_back():
    x = ds.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(np.float64)
    assert y.dtype == np.float64
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, [2.0, 4.0])


def test_clip_needs_a_bound():
    with pytest.raises(ValueError, match="min, max"):
        ds.ones(2).clip()
