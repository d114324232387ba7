"""Adagrad: hand-computed steps for every option, and its hyperparameter checks."""

import math

import numpy as np
import pytest

import descend as ds
from descend import optim
from tests.optim.helpers import path


def run(grads, p0=(1.0, -2.0), **kwargs):
    return path(optim.Adagrad, grads, p0, **kwargs)


def test_first_step_moves_each_weight_by_about_lr():
    (p1,) = run([[0.5, -4.0]], lr=0.1, eps=0.0)
    # sum = g^2, so the step is lr * g / |g|
    np.testing.assert_allclose(p1, [0.9, -1.9], rtol=1e-15)


def test_initial_accumulator_value_and_weight_decay():
    (p1,) = run([[0.5, 1.0]], lr=0.1, initial_accumulator_value=0.1, weight_decay=0.5, eps=0.0)
    # g = [0.5 + 0.5, 1 - 1] = [1, 0]; sum = [1.1, 0.1]
    np.testing.assert_allclose(p1, [1.0 - 0.1 / math.sqrt(1.1), -2.0], rtol=1e-15)


def test_lr_decay_and_accumulation_over_two_steps():
    p1, p2 = run([[3.0, 4.0], [4.0, 3.0]], lr=0.1, lr_decay=0.5, eps=1e-10)
    # step 2: clr = 0.1 / (1 + 1 * 0.5); sum = [25, 25]
    clr = 0.1 / 1.5
    np.testing.assert_allclose(p2, p1 - clr * np.array([4.0, 3.0]) / (5.0 + 1e-10), rtol=1e-15)


def test_maximize_ascends():
    (p1,) = run([[0.5, -4.0]], lr=0.1, eps=0.0, maximize=True)
    np.testing.assert_allclose(p1, [1.1, -2.1], rtol=1e-15)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -1.0}, "Invalid learning rate: -1.0"),
        ({"lr_decay": -0.1}, "Invalid lr_decay value: -0.1"),
        ({"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
        ({"initial_accumulator_value": -1.0}, "Invalid initial_accumulator_value value: -1.0"),
        ({"eps": -1e-10}, "Invalid epsilon value: -1e-10"),
    ],
)
def test_invalid_hyperparameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.Adagrad([ds.tensor([1.0], requires_grad=True)], **kwargs)
