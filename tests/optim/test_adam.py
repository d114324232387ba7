"""Adam and AdamW: hand-computed steps for every option, and their hyperparameter checks."""

import math

import numpy as np
import pytest

import descend as ds
from descend import optim
from tests.optim.helpers import path


def run(grads, cls=optim.Adam, p0=(1.0, -2.0), **kwargs):
    return path(cls, grads, p0, **kwargs)


def test_first_step_moves_each_weight_by_lr_after_bias_correction():
    (p1,) = run([[0.5, -4.0]], lr=0.1, eps=0.0)
    # m_hat = g and v_hat = g^2: the step is lr * g / |g|
    np.testing.assert_allclose(p1, [0.9, -1.9], rtol=1e-14)


def test_second_step():
    g1, g2 = np.array([0.5, -4.0]), np.array([1.0, 1.0])
    _, p2 = run([g1, g2], lr=0.1, betas=(0.5, 0.75), eps=1e-3)
    m = 0.5 * (0.5 * g1) + 0.5 * g2
    v = 0.75 * (0.25 * g1**2) + 0.25 * g2**2
    m_hat, v_hat = m / (1 - 0.5**2), v / (1 - 0.75**2)
    p1 = np.array([1.0, -2.0]) - 0.1 * g1 / (np.abs(g1) + 1e-3)
    np.testing.assert_allclose(p2, p1 - 0.1 * m_hat / (np.sqrt(v_hat) + 1e-3), rtol=1e-14)


def test_adam_weight_decay_goes_into_the_gradient():
    (p1,) = run([[0.5, 1.0]], lr=0.1, eps=1e-8, weight_decay=0.5)
    # g = [1, 0]: the second weight does not move at all
    np.testing.assert_allclose(p1, [1.0 - 0.1 / (1.0 + 1e-8), -2.0], rtol=1e-14)


def test_adamw_decay_is_decoupled():
    (p1,) = run([[0.5, 1.0]], cls=optim.AdamW, lr=0.1, eps=0.0, weight_decay=0.5)
    # theta * (1 - 0.05), then the Adam step of size lr * sign(g)
    np.testing.assert_allclose(p1, [0.95 - 0.1, -1.9 - 0.1], rtol=1e-14)


def test_adamw_default_weight_decay():
    p = ds.tensor([1.0], requires_grad=True)
    assert optim.AdamW([p]).defaults["weight_decay"] == 0.01
    assert optim.Adam([p]).defaults["weight_decay"] == 0.0


def test_amsgrad_keeps_the_largest_second_moment():
    g1, g2 = np.array([10.0]), np.array([0.1])
    _, p2 = run([g1, g2], p0=(0.0,), lr=1.0, betas=(0.0, 0.5), eps=0.0, amsgrad=True)
    _, q2 = run([g1, g2], p0=(0.0,), lr=1.0, betas=(0.0, 0.5), eps=0.0)
    # beta1 = 0: m = g2. v after step 2 = 0.5 * 50 + 0.5 * 0.01 = 25.005, v_max = 50.
    step_plain = 0.1 / math.sqrt(25.005 / 0.75)
    step_ams = 0.1 / math.sqrt(50.0 / 0.75)
    np.testing.assert_allclose(q2, [-1.0 - step_plain], rtol=1e-14)
    np.testing.assert_allclose(p2, [-1.0 - step_ams], rtol=1e-14)


def test_maximize_ascends():
    (p1,) = run([[0.5, -4.0]], lr=0.1, eps=0.0, maximize=True)
    np.testing.assert_allclose(p1, [1.1, -2.1], rtol=1e-14)


def test_betas_of_the_state_dict_stay_a_tuple():
    p = ds.tensor([1.0], requires_grad=True)
    opt = optim.Adam([p], betas=[0.8, 0.9])
    assert opt.param_groups[0]["betas"] == (0.8, 0.9)
    saved = opt.state_dict()
    saved["param_groups"][0]["betas"] = [0.7, 0.95]  # as after a JSON round trip
    opt.load_state_dict(saved)
    assert opt.param_groups[0]["betas"] == (0.7, 0.95)


@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW])
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -1.0}, "Invalid learning rate: -1.0"),
        ({"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
        ({"betas": (1.0, 0.999)}, r"Invalid beta parameter at index 0: 1.0 \(expected"),
        ({"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
        ({"betas": (0.9,)}, r"betas must be a pair \(beta1, beta2\), got \(0.9,\)"),
        ({"weight_decay": -0.01}, "Invalid weight_decay value: -0.01"),
    ],
)
def test_invalid_hyperparameters(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls([ds.tensor([1.0], requires_grad=True)], **kwargs)
