import numpy as np
import pytest

import descend as ds
import descend.nn.functional as F
from tests.nn.helpers import RNG, normal


def numpy_log_softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_values(reduction, float64):
    z, y = normal(5, 4), RNG.integers(0, 4, 5)
    losses = -numpy_log_softmax(z.data)[np.arange(5), y]
    expected = {"mean": losses.mean(), "sum": losses.sum(), "none": losses}[reduction]
    np.testing.assert_allclose(F.cross_entropy(z, y, reduction=reduction).data, expected)


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n(float64):
    z = ds.tensor(RNG.standard_normal((6, 3)), requires_grad=True)
    y = np.array([0, 2, 1, 1, 0, 2])
    F.cross_entropy(z, y).backward()
    softmax = np.exp(numpy_log_softmax(z.data))
    np.testing.assert_allclose(z.grad, (softmax - np.eye(3)[y]) / 6)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_gradients(reduction):
    y = RNG.integers(0, 4, 5)
    assert ds.gradcheck(lambda z: F.cross_entropy(z, y, reduction=reduction), normal(5, 4))


def test_cross_entropy_takes_tensor_targets():
    z = normal(3, 4)
    y = np.array([3, 0, 1])
    assert F.cross_entropy(z, ds.tensor(y)).item() == F.cross_entropy(z, y).item()


def test_cross_entropy_is_finite_for_logits_of_1000_in_float32():
    z = ds.tensor([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0]], requires_grad=True)
    y = np.array([1, 0])
    loss = F.cross_entropy(z, y)
    assert z.dtype == loss.dtype == np.float32
    np.testing.assert_allclose(loss.item(), (2000.0 + 2000.0 + np.log(2.0)) / 2, rtol=1e-6)
    loss.backward()
    assert np.all(np.isfinite(z.grad))
    np.testing.assert_allclose(z.grad, [[0.5, -0.5, 0.0], [-0.5, 0.25, 0.25]], atol=1e-6)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (np.array([0, 4, 1]), r"class targets must be in \[0, 4\) for 4 classes, got 4"),
        (np.array([0, -1, 1]), r"must be in \[0, 4\) for 4 classes, got -1"),
        (np.array([0, 1]), r"expected 3 class targets \(shape \(3,\)\)"),
    ],
)
def test_cross_entropy_target_errors(target, message):
    with pytest.raises(ValueError, match=message):
        F.cross_entropy(ds.zeros(3, 4), target)


def test_cross_entropy_rejects_float_class_labels():
    with pytest.raises(TypeError, match=r"class targets must be integers, got dtype float64"):
        F.cross_entropy(ds.zeros(3, 4), np.array([0.0, 1.0, 2.0]))


def test_cross_entropy_needs_2d_logits():
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C\), got \(4,\)"):
        F.cross_entropy(ds.zeros(4), np.array([1]))


def test_cross_entropy_class_weights(float64):
    z, y = normal(6, 3), np.array([0, 1, 2, 2, 1, 0])
    w = np.array([1.0, 2.0, 0.5])
    picked = -numpy_log_softmax(z.data)[np.arange(6), y] * w[y]
    out = F.cross_entropy(z, y, weight=w)
    np.testing.assert_allclose(out.data, picked.sum() / w[y].sum())
    assert ds.gradcheck(lambda a: F.cross_entropy(a, y, weight=w), z)
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\)"):
        F.cross_entropy(z, y, weight=np.ones(4))


def test_cross_entropy_label_smoothing(float64):
    z, y = normal(4, 5), np.array([0, 4, 2, 2])
    log_p = numpy_log_softmax(z.data)
    target = np.eye(5)[y] * 0.8 + 0.2 / 5
    out = F.cross_entropy(z, y, label_smoothing=0.2)
    np.testing.assert_allclose(out.data, -(target * log_p).sum(axis=1).mean())
    assert ds.gradcheck(
        lambda a: F.cross_entropy(a, y, label_smoothing=0.2, weight=[1, 2, 3, 1, 1]), z
    )
    with pytest.raises(ValueError, match="label_smoothing must be in"):
        F.cross_entropy(z, y, label_smoothing=1.5)


def test_cross_entropy_probability_targets(float64):
    z = normal(3, 4)
    q = RNG.dirichlet(np.ones(4), size=3)
    out = F.cross_entropy(z, q)
    np.testing.assert_allclose(out.data, -(q * numpy_log_softmax(z.data)).sum(axis=1).mean())
    assert ds.gradcheck(lambda a: F.cross_entropy(a, q, reduction="sum"), z)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_equals_cross_entropy_after_log_softmax(reduction, float64):
    z, y = normal(5, 3), RNG.integers(0, 3, 5)
    w = np.array([0.5, 1.0, 2.0])
    np.testing.assert_allclose(
        F.nll_loss(F.log_softmax(z, 1), y, weight=w, reduction=reduction).data,
        F.cross_entropy(z, y, weight=w, reduction=reduction).data,
    )


def test_nll_loss_gradients():
    y = np.array([2, 0, 1, 1])
    assert ds.gradcheck(lambda a: F.nll_loss(a, y), normal(4, 3))
    assert ds.gradcheck(
        lambda a: F.nll_loss(a, y, weight=[1, 2, 3], reduction="none"), normal(4, 3)
    )


def test_nll_loss_rejects_probability_targets():
    with pytest.raises(TypeError, match="class targets must be integers"):
        F.nll_loss(ds.zeros(2, 3), np.zeros((2, 3)))
