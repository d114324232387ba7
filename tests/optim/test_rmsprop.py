"""RMSprop: hand-computed steps for every option, and its hyperparameter checks."""

import math

import numpy as np
import pytest

import descend as ds
from descend import optim
from tests.optim.helpers import path


def run(grads, **kwargs):
    return path(optim.RMSprop, grads, **kwargs)


def test_first_step():
    (p1,) = run([[0.5, -4.0]], lr=0.01, alpha=0.9, eps=0.0)
    # v = 0.1 * g^2, so the step is lr * g / (sqrt(0.1) |g|)
    np.testing.assert_allclose(
        p1, [1 - 0.01 / math.sqrt(0.1), -2 + 0.01 / math.sqrt(0.1)], rtol=1e-14
    )


def test_eps_is_outside_the_square_root():
    (p1,) = run([[1.0, 1.0]], lr=0.01, alpha=0.0, eps=1.0)
    # v = g^2 = 1, d = sqrt(1) + 1 = 2
    np.testing.assert_allclose(p1, [1.0 - 0.005, -2.0 - 0.005], rtol=1e-15)


def test_centered_divides_by_a_variance_estimate():
    (p1,) = run([[0.5, -4.0]], lr=0.01, alpha=0.9, eps=0.0, centered=True)
    # v - m^2 = 0.1 g^2 - 0.01 g^2 = 0.09 g^2: the step is lr * sign(g) / 0.3
    np.testing.assert_allclose(p1, [1 - 0.01 / 0.3, -2 + 0.01 / 0.3], rtol=1e-14)


def test_momentum_buffer_starts_at_zero():
    g1, g2 = np.array([1.0, 2.0]), np.array([2.0, 2.0])
    p1, p2 = run([g1, g2], lr=0.1, alpha=0.5, eps=0.0, momentum=0.9)
    b1 = g1 / np.sqrt(0.5 * g1**2)  # 0.9 * 0 + g / d
    np.testing.assert_allclose(p1, [1.0, -2.0] - 0.1 * b1, rtol=1e-15)
    v2 = 0.5 * 0.5 * g1**2 + 0.5 * g2**2
    b2 = 0.9 * b1 + g2 / np.sqrt(v2)
    np.testing.assert_allclose(p2, p1 - 0.1 * b2, rtol=1e-15)


def test_weight_decay_and_maximize():
    (p1,) = run([[0.5, 1.0]], lr=0.01, alpha=0.0, eps=1e-8, weight_decay=0.5, maximize=True)
    # g = [-0.5 + 0.5, -1 - 1] = [0, -2]; v = g^2; step = lr * g / (|g| + eps)
    np.testing.assert_allclose(p1, [1.0, -2.0 + 0.01 * 2 / (2 + 1e-8)], rtol=1e-15)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -1.0}, "Invalid learning rate: -1.0"),
        ({"eps": -1.0}, "Invalid epsilon value: -1.0"),
        ({"momentum": -0.1}, "Invalid momentum value: -0.1"),
        ({"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
        ({"alpha": -0.5}, "Invalid alpha value: -0.5"),
    ],
)
def test_invalid_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.RMSprop([ds.tensor([1.0], requires_grad=True)], **kwargs)
