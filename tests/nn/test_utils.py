"""Gradient clipping by total norm and by value."""

import math

import numpy as np
import pytest

import descend as ds
from descend.nn.utils import clip_grad_norm_, clip_grad_value_


def with_grads(*grads):
    tensors = []
    for g in grads:
        t = ds.tensor(np.zeros_like(g), requires_grad=True)
        t.grad = np.array(g, dtype=np.float64)
        tensors.append(t)
    return tensors


def test_norm_above_max_scales_every_gradient_by_the_same_factor():
    a, b = with_grads([3.0, 0.0], [[0.0], [4.0]])  # total 2-norm 5
    norm = clip_grad_norm_([a, b], max_norm=1.0)
    assert isinstance(norm, ds.Tensor) and norm.item() == 5.0
    factor = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(a.grad, [3.0 * factor, 0.0], rtol=1e-15)
    np.testing.assert_allclose(b.grad, [[0.0], [4.0 * factor]], rtol=1e-15)


def test_norm_below_max_leaves_gradients_alone():
    (a,) = with_grads([0.3, -0.4])
    grad = a.grad
    assert clip_grad_norm_(a, max_norm=1.0).item() == pytest.approx(0.5)
    assert a.grad is grad
    np.testing.assert_array_equal(a.grad, [0.3, -0.4])


@pytest.mark.parametrize(
    ("norm_type", "expected"),
    [(1.0, 10.0), (2, math.sqrt(30.0)), ("inf", 4.0), (float("inf"), 4.0), (3, 100.0 ** (1 / 3))],
)
def test_norm_types(norm_type, expected):
    a, b = with_grads([1.0, -2.0], [3.0, -4.0])
    norm = clip_grad_norm_([a, b], max_norm=1e9, norm_type=norm_type)
    assert norm.item() == pytest.approx(expected, rel=1e-14)


def test_skips_parameters_without_gradient_and_handles_none_at_all():
    (a,) = with_grads([3.0, 4.0])
    b = ds.tensor([1.0], requires_grad=True)
    assert clip_grad_norm_([a, b], max_norm=10.0).item() == 5.0
    assert clip_grad_norm_([b], max_norm=1.0).item() == 0.0
    assert clip_grad_norm_(iter([a]), max_norm=10.0).item() == 5.0


def test_float32_norm_and_gradients_stay_float32():
    t = ds.tensor([0.0, 0.0], requires_grad=True)
    t.grad = np.array([30.0, 40.0], dtype=np.float32)
    norm = clip_grad_norm_([t], max_norm=5.0)
    assert norm.dtype == np.float32 and t.grad.dtype == np.float32
    np.testing.assert_allclose(t.grad, [3.0, 4.0], rtol=1e-6)


def test_non_finite_norm():
    (a,) = with_grads([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="total norm of order 2.0 of the gradients is inf"):
        clip_grad_norm_([a], 1.0, error_if_nonfinite=True)
    norm = clip_grad_norm_([a], 1.0)  # as PyTorch: scales by the non-finite norm
    assert math.isinf(norm.item())
    np.testing.assert_array_equal(a.grad, [np.nan, 0.0])  # inf * 0 and 1 * 0


def test_bad_max_norm():
    with pytest.raises(TypeError, match="max_norm must be a number, got str"):
        clip_grad_norm_(with_grads([1.0]), "one")


def test_clip_grad_value():
    a, b = with_grads([-3.0, 0.2, 0.7], [[0.5]])
    c = ds.tensor([1.0], requires_grad=True)
    grad = a.grad
    assert clip_grad_value_([a, b, c], 0.5) is None
    assert a.grad is grad  # in place
    np.testing.assert_array_equal(a.grad, [-0.5, 0.2, 0.5])
    np.testing.assert_array_equal(b.grad, [[0.5]])
    assert c.grad is None
    clip_grad_value_(a, 0.1)
    np.testing.assert_array_equal(a.grad, [-0.1, 0.1, 0.1])
