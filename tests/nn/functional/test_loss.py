import numpy as np
import pytest

import descend as ds
import descend.nn.functional as F
from tests.nn.helpers import RNG, normal

REDUCE = {"mean": np.mean, "sum": np.sum, "none": lambda a: a}


def probabilities(*shape):
    return ds.tensor(RNG.uniform(0.05, 0.95, shape))


def numpy_losses(name, x, t, delta=1.0):
    d = x - t
    if name == "mse":
        return d * d
    if name == "l1":
        return np.abs(d)
    if name == "huber":
        return np.where(np.abs(d) < delta, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta))
    if name == "bce":
        return -(t * np.log(x) + (1 - t) * np.log(1 - x))
    if name == "bce_logits":
        p = 1 / (1 + np.exp(-x))
        return -(t * np.log(p) + (1 - t) * np.log(1 - p))
    raise KeyError(name)


FUNCTIONS = {
    "mse": F.mse_loss,
    "l1": F.l1_loss,
    "huber": F.huber_loss,
    "bce": F.binary_cross_entropy,
    "bce_logits": F.binary_cross_entropy_with_logits,
}


def inputs(name, shape):
    if name == "bce":
        return probabilities(*shape), ds.tensor(RNG.uniform(0, 1, shape))
    if name in ("l1", "huber"):
        # |input - target| away from 0 and from delta: no kink within eps.
        t = RNG.standard_normal(shape)
        gap = RNG.choice([0.3, 0.6, 1.5, 2.5], shape) * RNG.choice([-1.0, 1.0], shape)
        return ds.tensor(t + gap), ds.tensor(t)
    return normal(*shape), ds.tensor(RNG.uniform(0, 1, shape))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_values(name, reduction, float64):
    x, t = inputs(name, (4, 3))
    out = FUNCTIONS[name](x, t, reduction=reduction)
    expected = REDUCE[reduction](numpy_losses(name, x.data, t.data))
    np.testing.assert_allclose(out.data, expected, rtol=1e-10)
    assert out.shape == ((4, 3) if reduction == "none" else ())


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_gradients_for_input_and_target(name, reduction):
    x, t = inputs(name, (4, 3))
    assert ds.gradcheck(lambda a, b: FUNCTIONS[name](a, b, reduction=reduction), x, t)


def test_loss_takes_raw_array_targets_in_the_input_dtype():
    x = ds.zeros(3, requires_grad=True)
    loss = F.mse_loss(x, np.array([1.0, 2.0, 3.0]))
    assert loss.dtype == np.float32
    loss.backward()
    np.testing.assert_allclose(x.grad, [-2 / 3, -4 / 3, -2])


def test_huber_delta(float64):
    x, t = ds.tensor([0.0, 0.0, 0.0]), ds.tensor([0.5, 2.0, -4.0])
    out = F.huber_loss(x, t, reduction="none", delta=2.0)
    np.testing.assert_allclose(out.data, [0.125, 2.0, 6.0])
    assert ds.gradcheck(lambda a: F.huber_loss(a, t, delta=2.0), ds.tensor([0.3, -1.1, 2.7]))
    with pytest.raises(ValueError, match="delta must be positive"):
        F.huber_loss(x, t, delta=0)


def test_bce_clamps_log_at_minus_100():
    p = ds.tensor([0.0, 1.0, 1.0, 0.0], requires_grad=True)
    t = ds.tensor([1.0, 0.0, 1.0, 0.0])
    loss = F.binary_cross_entropy(p, t, reduction="none")
    np.testing.assert_allclose(loss.data, [100.0, 100.0, 0.0, 0.0])
    loss.sum().backward()
    assert np.all(np.isfinite(p.grad))


def test_bce_rejects_values_outside_0_1():
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\], got values from -0.5 to 2"):
        F.binary_cross_entropy(ds.tensor([-0.5, 2.0]), ds.tensor([0.0, 1.0]))


def test_bce_weight(float64):
    p, t = probabilities(3, 2), ds.tensor(RNG.uniform(0, 1, (3, 2)))
    w = np.array([1.0, 3.0])
    out = F.binary_cross_entropy(p, t, weight=w, reduction="sum")
    np.testing.assert_allclose(out.data, (numpy_losses("bce", p.data, t.data) * w).sum())
    assert ds.gradcheck(lambda a: F.binary_cross_entropy(a, t, weight=w), p)


def test_bce_with_logits_is_finite_for_huge_logits():
    x = ds.tensor([1000.0, -1000.0, 1000.0, -1000.0], requires_grad=True)
    t = ds.tensor([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    assert loss.dtype == np.float32
    np.testing.assert_allclose(loss.data, [0.0, 0.0, 1000.0, 1000.0])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad, [0.0, 0.0, 1.0, -1.0])


def test_bce_with_logits_weight_and_pos_weight(float64):
    x, t = normal(4, 3), ds.tensor(RNG.uniform(0, 1, (4, 3)))
    w, pw = RNG.uniform(0.5, 2, (4, 1)), np.array([1.0, 2.0, 0.5])
    p = 1 / (1 + np.exp(-x.data))
    expected = -w * (pw * t.data * np.log(p) + (1 - t.data) * np.log(1 - p))
    out = F.binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=pw, reduction="none")
    np.testing.assert_allclose(out.data, expected, rtol=1e-10)
    assert ds.gradcheck(
        lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight=w, pos_weight=pw), x, t
    )


def test_weight_that_does_not_broadcast():
    with pytest.raises(ValueError, match=r"weight of shape \(3,\) does not broadcast"):
        F.binary_cross_entropy_with_logits(ds.zeros(2, 2), ds.zeros(2, 2), weight=np.ones(3))


def test_shape_mismatch_names_both_shapes_and_hints_at_reshape():
    with pytest.raises(ValueError, match=r"input shape \(4, 1\) and target shape \(4,\) differ; "):
        F.mse_loss(ds.zeros(4, 1), ds.zeros(4))
    with pytest.raises(ValueError, match=r"input shape \(4, 2\) and target shape \(3, 2\) differ$"):
        F.l1_loss(ds.zeros(4, 2), ds.zeros(3, 2))


def test_bad_reduction():
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        F.mse_loss(ds.zeros(2), ds.zeros(2), reduction="avg")


def test_float_dtypes_are_never_mixed():
    with pytest.raises(TypeError, match="dtype mismatch"):
        F.mse_loss(ds.zeros(2), ds.zeros(2, dtype=np.float64))
