"""Non-convex two-weight problems: a local minimum beside the global one, a curved valley,
several equal minima.

- ``'local-minimum'``: one Gaussian unit ``y_hat = w1 * exp(-(x - w0)^2)`` (a centre and
  a height) fitted by mean squared error to data with two bumps, a tall one and a low
  one. Centred on the tall bump is the global minimum; centred on the low bump is a
  local one, a valley of its own: gradient descent that starts on that side stays there.
- ``'rosenbrock'``: ``J = (1 - w0)^2 + 100 (w1 - w0^2)^2``, a narrow curved valley whose
  floor falls gently to the one minimum at (1, 1).
- ``'himmelblau'``: ``J = (w0^2 + w1 - 11)^2 + (w0 + w1^2 - 7)^2``, four minima of cost 0.

The last two are functions of the weights alone, written as least squares: their two
squared terms are the "samples" (targets 0 and 1, or 11 and 7) and the cost is their
sum, so the same Trainer, loss and optimizers run on them as on a model fitted to data.
"""

from __future__ import annotations

import numpy as np

from descend.landscape.problems import Problem
from descend.tensor import exp, stack


class LocalMinimum(Problem):
    name = "local-minimum"
    title = "one Gaussian unit  y = w1·exp(−(x − w0)²)"
    weight_names = ("w0 (centre)", "w1 (height)")
    default_starts = ((2.5, 0.5),)
    default_compare = "optimizers"
    region = (-4.0, 4.0, -0.25, 1.35)
    epochs = {"strategies": 150, "optimizers": 100, "lr": 60}

    def strategy_lr(self):
        # Batch gradient descent from the default start settles in the local minimum;
        # the noise of single samples can shake SGD out of it.
        return 0.6

    def optimizer_lrs(self, start):
        # Plain SGD and momentum as for a bowl (SGD settles in the local minimum, momentum
        # carries past it); the adaptive methods' first steps are about lr in each weight,
        # so their rates are set to stay on the picture.
        return {**super().optimizer_lrs(start), "adagrad": 0.3, "rmsprop": 0.02, "adam": 0.1}

    @staticmethod
    def generate(n_samples=40, seed=0):
        """x uniform in [-4, 4], ``y = exp(-(x + 1.5)^2) + 0.5 exp(-(x - 1)^2) + noise``."""
        rng = np.random.default_rng(seed)
        x = rng.uniform(-4, 4, n_samples)
        bumps = np.exp(-((x + 1.5) ** 2)) + 0.5 * np.exp(-((x - 1) ** 2))
        return x[:, None], bumps + rng.normal(0, 0.05, n_samples)

    def outputs(self, W, X):
        return W[:, 1:] * exp(-((X[:, 0].reshape(1, -1) - W[:, :1]) ** 2))


class _Function(Problem):
    """A function of the two weights as a sum of two squared terms ``(e_k(w) - t_k)^2``."""

    reduction = "sum"
    sampled = False
    default_compare = "optimizers"
    targets = (0.0, 0.0)

    @classmethod
    def generate(cls, n_samples=40, seed=0):
        """The two terms as samples: one-hot rows picking a term, and the terms' targets."""
        return np.eye(2), np.array(cls.targets)

    @staticmethod
    def terms(w0, w1) -> tuple:
        raise NotImplementedError

    def outputs(self, W, X):
        return stack(self.terms(W[:, 0], W[:, 1]), axis=1) @ X.T


class Rosenbrock(_Function):
    name = "rosenbrock"
    title = "Rosenbrock's valley  J = (1 − w0)² + 100·(w1 − w0²)²"
    loss_name = "Rosenbrock's function"
    targets = (0.0, 1.0)
    default_starts = ((-1.5, 2.0),)
    region = (-2.0, 2.0, -1.0, 3.0)
    epochs = {"optimizers": 1000, "lr": 1000}  # one update each: the valley is long

    def optimizer_lrs(self, start):
        # About 1/curvature (1002 at the minimum) for plain and momentum steps alike: along
        # the valley floor plain SGD crawls while momentum gathers speed. Chosen so that
        # within 1000 updates momentum, Nesterov and Adam reach (1, 1) and the rest do not.
        return {"sgd": 1e-3, "momentum": 1e-3, "adagrad": 0.5, "rmsprop": 0.01, "adam": 0.05}

    @staticmethod
    def terms(w0, w1):
        return 10 * (w1 - w0**2), w0


class Himmelblau(_Function):
    name = "himmelblau"
    title = "Himmelblau's function  J = (w0² + w1 − 11)² + (w0 + w1² − 7)²"
    loss_name = "Himmelblau's function"
    targets = (11.0, 7.0)
    default_starts = ((-0.5, 0.5), (0.5, -0.5), (-1.0, -1.5), (0.0, -1.5))
    region = (-5.0, 5.0, -5.0, 5.0)

    @staticmethod
    def terms(w0, w1):
        return w0**2 + w1, w0 + w1**2
