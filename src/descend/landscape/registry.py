"""The problems by name, and their generated data."""

from __future__ import annotations

import numpy as np

from descend.landscape.nonconvex import Himmelblau, LocalMinimum, Rosenbrock
from descend.landscape.problems import Linear, Logistic, Problem
from descend.names import closest

PROBLEMS: dict[str, type[Problem]] = {
    cls.name: cls for cls in (Linear, Logistic, LocalMinimum, Rosenbrock, Himmelblau)
}


def make_problem(name: str, n_samples: int = 40, seed: int = 0) -> Problem:
    """The problem ``name`` with its generated data."""
    X, y = make_data(name, n_samples, seed)
    return PROBLEMS[name](X, y)


def make_data(model: str = "linear", n_samples: int = 40, seed: int = 0):
    """The generated data of a problem: ``(X, y)`` as float64 arrays.

    ``'linear'``: x uniform in [-0.5, 3], ``y = 1.5 + 2 x + noise`` (sd 0.5).
    ``'logistic'``: two correlated standard-normal features, labels drawn with
    probability ``sigmoid(2 x1 - x2)`` (noisy, so the minimum is finite).
    ``'local-minimum'``: x uniform in [-4, 4], a tall bump at -1.5 and a low one at 1,
    ``y = exp(-(x + 1.5)^2) + 0.5 exp(-(x - 1)^2) + noise`` (sd 0.05).
    ``'rosenbrock'``, ``'himmelblau'``: the function's two squared terms as two samples
    (``n_samples`` and ``seed`` play no part).
    """
    check_choice(model, PROBLEMS, "model")
    X, y = PROBLEMS[model].generate(n_samples, seed)
    return np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)


def check_choice(value, choices, name) -> None:
    """A ValueError naming the nearest of ``choices`` when ``value`` is not one of them."""
    closest(name, value, list(choices))
