"""Two-weight problems for loss landscapes: the data, the model, the cost on a grid, the minimum.

- ``'linear'``: linear regression ``y_hat = w0 + w1 * x`` (``models.LinearRegression``)
  on generated points, mean squared error: a convex bowl, minimum by least squares;
- ``'logistic'``: logistic regression on two features without intercept,
  ``logit = w0 * x1 + w1 * x2``, binary cross-entropy: convex, minimum by Newton's method.

Both have exactly two weights, so the whole cost fits in one picture.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from descend import nn
from descend.data import TensorDataset
from descend.models import LinearRegression
from descend.nn import functional as F
from descend.tensor import Tensor, no_grad

PROBLEMS = ("linear", "logistic")


class LogisticTwoWeights(nn.Module):
    """``logit = w0 * x1 + w1 * x2``: a logistic regression with no intercept."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1, bias=False)

    def forward(self, x):
        return self.linear(x).reshape(-1)


@dataclass
class Problem:
    name: str
    X: np.ndarray
    y: np.ndarray
    weight_names: tuple[str, str]
    loss_name: str

    def model(self, weights) -> nn.Module:
        """A fresh model whose two weights are ``weights``."""
        if self.name == "linear":
            model = LinearRegression(1)
            model.linear.bias.data[...] = weights[0]
            model.linear.weight.data[...] = weights[1]
        else:
            model = LogisticTwoWeights()
            model.linear.weight.data[...] = np.reshape(weights, (1, 2))
        return model

    def weights(self, model) -> np.ndarray:
        if self.name == "linear":
            return np.array([model.linear.bias.data[0], model.linear.weight.data[0, 0]], float)
        return model.linear.weight.data.reshape(2).astype(float)

    def loss(self):
        return nn.MSELoss() if self.name == "linear" else nn.BCEWithLogitsLoss()

    def cost(self, W: np.ndarray) -> np.ndarray:
        """The cost at many weight pairs at once: one row of per-sample losses per pair."""
        W = np.asarray(W, dtype=np.float64)
        with no_grad():
            if self.name == "linear":
                out = W[:, :1] + W[:, 1:] * self.X[None, :, 0]
                targets = np.broadcast_to(self.y, out.shape)
                losses = F.mse_loss(Tensor(out), Tensor(targets), reduction="none")
            else:
                out = W @ self.X.T
                targets = np.broadcast_to(self.y, out.shape)
                losses = F.binary_cross_entropy_with_logits(
                    Tensor(out), Tensor(targets), reduction="none"
                )
        return losses.data.mean(axis=1)

    def minimum(self) -> np.ndarray:
        if self.name == "linear":
            A = np.column_stack([np.ones(len(self.X)), self.X[:, 0]])
            return np.linalg.lstsq(A, self.y, rcond=None)[0]
        w = np.zeros(2)
        for _ in range(100):  # Newton's method: the cost is convex and smooth
            p = 1 / (1 + np.exp(-(self.X @ w)))
            grad = self.X.T @ (p - self.y) / len(self.y)
            hess = (self.X.T * (p * (1 - p))) @ self.X / len(self.y)
            step = np.linalg.solve(hess, grad)
            w -= step
            if np.abs(step).max() < 1e-12:
                break
        return w

    def curvature(self) -> float:
        """The largest eigenvalue of the cost's Hessian at the minimum: lr = 2/this is the edge."""
        if self.name == "linear":
            A = np.column_stack([np.ones(len(self.X)), self.X[:, 0]])
            hess = 2 * A.T @ A / len(self.X)
        else:
            p = 1 / (1 + np.exp(-(self.X @ self.minimum())))
            hess = (self.X.T * (p * (1 - p))) @ self.X / len(self.y)
        return float(np.linalg.eigvalsh(hess)[-1])

    def sample_curvature(self) -> float:
        """The largest curvature of a single sample's loss at the minimum.

        A step of SGD (batch 1) follows one sample: a learning rate above 2/this throws
        the weights across that sample's valley.
        """
        if self.name == "linear":
            return float(2 * (1 + self.X[:, 0] ** 2).max())
        p = 1 / (1 + np.exp(-(self.X @ self.minimum())))
        return float((p * (1 - p) * (self.X**2).sum(axis=1)).max())


def problem(name: str, X: np.ndarray, y: np.ndarray) -> Problem:
    if name == "linear":
        return Problem(name, X, y, ("w0 (intercept)", "w1 (slope)"), "mean squared error")
    return Problem(name, X, y, ("w0 (weight of x1)", "w1 (weight of x2)"), "binary cross-entropy")


def make_data(model: str = "linear", n_samples: int = 40, seed: int = 0):
    """The generated data of a problem: ``(X, y)`` as float64 arrays.

    ``'linear'``: x uniform in [-0.5, 3], ``y = 1.5 + 2 x + noise`` (sd 0.5).
    ``'logistic'``: two correlated standard-normal features, labels drawn with
    probability ``sigmoid(2 x1 - x2)`` (noisy, so the minimum is finite).
    """
    check_choice(model, PROBLEMS, "model")
    rng = np.random.default_rng(seed)
    if model == "linear":
        x = rng.uniform(-0.5, 3, n_samples)
        y = 1.5 + 2.0 * x + rng.normal(0, 0.5, n_samples)
        return x[:, None], y
    X = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], n_samples)
    p = 1 / (1 + np.exp(-(X @ np.array([2.0, -1.0]))))
    return X, (rng.random(n_samples) < p).astype(np.float64)


def gradient(problem: Problem, weights) -> tuple[np.ndarray, float]:
    """``(dJ/dw0, dJ/dw1)`` and J at ``weights``: forward on all the data, then backward."""
    model = problem.model(weights)
    X, y = TensorDataset(problem.X, problem.y)[:]  # in the default dtype, as training sees them
    cost = problem.loss()(model(Tensor(X)), Tensor(y))
    cost.backward()
    if problem.name == "linear":
        grad = [model.linear.bias.grad[0], model.linear.weight.grad[0, 0]]
    else:
        grad = model.linear.weight.grad.reshape(2)
    return np.array(grad, dtype=float), cost.item()


def check_choice(value, choices, name) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
