"""SGD: hand-computed steps for every option, and its hyperparameter checks."""

import numpy as np
import pytest

import descend as ds
from descend import optim
from tests.optim.helpers import path

P0 = np.array([1.0, -2.0])
G1 = np.array([0.5, 1.0])
G2 = np.array([-1.0, 2.0])


def run(grads, **kwargs):
    """Parameter values after one step per gradient, starting from P0."""
    return path(optim.SGD, grads, P0, **kwargs)


def test_plain_step():
    (p1,) = run([G1], lr=0.1)
    np.testing.assert_allclose(p1, [0.95, -2.1], rtol=1e-15)


def test_momentum_buffer_starts_as_the_first_gradient_without_dampening():
    p1, p2 = run([G1, G2], lr=0.1, momentum=0.9, dampening=0.5)
    np.testing.assert_allclose(p1, [0.95, -2.1], rtol=1e-15)  # buffer = G1, undamped
    buf2 = 0.9 * G1 + 0.5 * G2  # [-0.05, 1.9]
    np.testing.assert_allclose(p2, [0.95 + 0.005, -2.1 - 0.19], rtol=1e-15)
    np.testing.assert_allclose(p2, p1 - 0.1 * buf2, rtol=1e-15)


def test_nesterov_steps_along_gradient_plus_momentum_times_buffer():
    p1, p2 = run([G1, G2], lr=0.1, momentum=0.9, nesterov=True)
    np.testing.assert_allclose(p1, P0 - 0.1 * 1.9 * G1, rtol=1e-15)  # g + 0.9 * (buf = g)
    buf2 = 0.9 * G1 + G2
    np.testing.assert_allclose(p2, p1 - 0.1 * (G2 + 0.9 * buf2), rtol=1e-15)


def test_weight_decay_adds_to_the_gradient():
    (p1,) = run([G1], lr=0.1, weight_decay=0.5)
    # g = [0.5 + 0.5, 1.0 - 1.0] = [1, 0]
    np.testing.assert_allclose(p1, [0.9, -2.0], rtol=1e-15)


def test_maximize_ascends():
    (p1,) = run([G1], lr=0.1, maximize=True)
    np.testing.assert_allclose(p1, [1.05, -1.9], rtol=1e-15)


def test_learning_rate_change_takes_effect_through_the_buffer():
    p = ds.tensor(P0.copy(), requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = G1.copy()
    opt.step()
    opt.param_groups[0]["lr"] = 0.01
    before = p.data.copy()
    opt.step()
    np.testing.assert_allclose(p.data, before - 0.01 * 1.9 * G1, rtol=1e-15)


def test_float32_stays_float32():
    p = ds.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01)
    p.grad = np.array([0.5, 1.0], dtype=np.float32)
    opt.step()
    opt.step()
    assert p.data.dtype == np.float32
    assert opt.state[p]["momentum_buffer"].dtype == np.float32


def test_lr_defaults_as_in_pytorch():
    p = ds.tensor([1.0], requires_grad=True)
    assert optim.SGD([p]).defaults["lr"] == 1e-3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -1.0}, "Invalid learning rate: -1.0"),
        ({"lr": float("nan")}, "Invalid learning rate: nan"),
        ({"lr": 0.1, "momentum": -0.5}, "Invalid momentum value: -0.5"),
        ({"lr": 0.1, "weight_decay": -1e-4}, "Invalid weight_decay value: -0.0001"),
        ({"lr": 0.1, "nesterov": True}, "Nesterov momentum requires a momentum > 0"),
        ({"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True}, "zero dampening"),
    ],
)
def test_invalid_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.SGD([ds.tensor([1.0], requires_grad=True)], **kwargs)
