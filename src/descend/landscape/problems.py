"""Two-weight problems: the data, the model, the cost of many weight pairs at once.

A problem is a model with exactly two weights and the data it is fitted to, so that its
whole cost fits in one picture. A subclass says what the model computes for many weight
pairs at once (:meth:`Problem.outputs`, written in descend's tensor operations); the
rest follows from that one function: the cost on a grid, its gradient by autodiff, its
Hessian, its minima (:mod:`descend.landscape.minima`), and the model the Trainer trains.

The convex problems are here:

- ``'linear'``: linear regression ``y_hat = w0 + w1 * x`` (``models.LinearRegression``)
  on generated points, mean squared error: a bowl, minimum by least squares;
- ``'logistic'``: logistic regression on two features without intercept,
  ``logit = w0 * x1 + w1 * x2``, binary cross-entropy: convex, minimum by Newton's method.

The non-convex ones are in :mod:`descend.landscape.nonconvex`.
"""

from __future__ import annotations

import functools

import numpy as np

from descend import nn
from descend.landscape.minima import Minimum, find_minima
from descend.models import LinearRegression
from descend.tensor import Tensor, no_grad


class TwoWeights(nn.Module):
    """A model whose two weights are one Parameter ``w`` and whose outputs a function gives.

    ``outputs(W, X)`` computes the outputs for a stack of weight pairs ``W`` (shape
    (G, 2)) at once; the model is that function at its own weights, so the model that
    trains and the cost that is drawn are the same computation.
    """

    def __init__(self, outputs, weights):
        super().__init__()
        self.w = nn.Parameter(np.reshape(weights, 2))
        self._outputs = outputs

    def forward(self, X):
        return self._outputs(self.w.reshape(1, 2), X).reshape(-1)


class Problem:
    """A model with two weights, the data it is fitted to, and its cost.

    Class attributes describe the problem: ``name``, ``title`` (the model as a
    formula), ``weight_names``, ``loss_name``; ``loss_class`` and ``reduction`` make
    its loss; ``sampled`` is False when the "data" are the fixed terms of a function
    (no batches to draw); ``convex``; ``default_starts``; ``region`` (w0 low, w0 high,
    w1 low, w1 high), where minima are looked for; ``minimum_method``.
    """

    name = ""
    title = ""
    weight_names = ("w0", "w1")
    loss_name = "mean squared error"
    loss_class = nn.MSELoss
    reduction = "mean"
    sampled = True
    convex = False
    default_starts: tuple = ((0.0, 0.0),)
    default_compare = "strategies"
    epochs = {"strategies": 30, "optimizers": 60, "lr": 40}  # by default, per comparison
    region = (-5.0, 5.0, -5.0, 5.0)
    minimum_method = "Newton's method from a grid of starts"

    def __init__(self, X: np.ndarray, y: np.ndarray):
        self.X = np.asarray(X, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.float64)

    @staticmethod
    def generate(n_samples: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """The problem's data, ``(X, y)`` as float64 arrays."""
        raise NotImplementedError

    def outputs(self, W: Tensor, X) -> Tensor:
        """The model's outputs for every weight pair (rows of ``W``) on every sample: (G, N)."""
        raise NotImplementedError

    # -- the model that trains -------------------------------------------------------------
    def model(self, weights) -> nn.Module:
        """A fresh model whose two weights are ``weights``."""
        return TwoWeights(self.outputs, weights)

    def weights(self, model) -> np.ndarray:
        """The two weights of ``model`` as a float64 pair."""
        return model.w.data.astype(np.float64)

    def loss(self) -> nn.Module:
        return self.loss_class(reduction=self.reduction)

    # -- the cost of many weight pairs -----------------------------------------------------
    def _cost(self, W: Tensor) -> Tensor:
        out = self.outputs(W, self.X)
        losses = self.loss_class(reduction="none")(out, Tensor(np.broadcast_to(self.y, out.shape)))
        return losses.sum(axis=1) if self.reduction == "sum" else losses.mean(axis=1)

    def cost(self, W) -> np.ndarray:
        """The full-data cost at each row of ``W`` (shape (G, 2)), in float64, by the loss."""
        with no_grad():
            return self._cost(Tensor(np.atleast_2d(np.asarray(W, dtype=np.float64)))).data

    def gradients(self, W) -> np.ndarray:
        """``(dJ/dw0, dJ/dw1)`` at each row of ``W``, by autodiff in float64: shape (G, 2)."""
        W = Tensor(np.atleast_2d(np.asarray(W, dtype=np.float64)), requires_grad=True)
        self._cost(W).sum().backward()  # rows are independent: each gets its own gradient
        return W.grad

    def hessians(self, W) -> np.ndarray:
        """The 2x2 Hessian at each row of ``W``: central differences of the autodiff gradient."""
        W = np.atleast_2d(np.asarray(W, dtype=np.float64))
        h = 1e-5 * np.maximum(1.0, np.abs(W))
        columns = []
        for j in range(2):
            step = np.zeros_like(W)
            step[:, j] = h[:, j]
            columns.append(
                (self.gradients(W + step) - self.gradients(W - step)) / (2 * h[:, j : j + 1])
            )
        H = np.stack(columns, axis=2)
        return (H + H.transpose(0, 2, 1)) / 2

    # -- what the pictures mark ------------------------------------------------------------
    @functools.cached_property
    def minima(self) -> list[Minimum]:
        """Every minimum in ``region``, the lowest (global) first."""
        return find_minima(self)

    def minimum(self) -> np.ndarray:
        """The global minimum (the first, if several are equally low)."""
        return self.minima[0].weights

    def curvature(self) -> float:
        """The largest eigenvalue of the cost's Hessian at the global minimum.

        Gradient descent with a learning rate above 2/curvature overshoots the bottom of
        the valley by more than it started from.
        """
        return float(np.linalg.eigvalsh(self.hessians(self.minimum()[None])[0])[-1])

    # -- default learning rates ------------------------------------------------------------
    # From the curvature at the minimum: 1/curvature takes one step to the bottom along the
    # steepest direction of a bowl. A non-convex problem sets its own, chosen so that its
    # runs show what the problem is there to show.
    too_large = 2.25  # times 1/curvature: past 2, each step overshoots more than the last

    def strategy_lr(self) -> float:
        """Small enough that no single sample's step overshoots its own valley."""
        return min(0.5 / self.curvature(), 1 / self.sample_curvature())

    def sample_curvature(self) -> float:
        raise NotImplementedError

    def optimizer_lrs(self, start: np.ndarray) -> dict:
        """Learning rates of SGD, momentum (and Nesterov), AdaGrad, RMSProp and Adam."""
        rate = 0.5 / self.curvature()
        distance = float(np.linalg.norm(start - self.minimum()))
        # Momentum 0.9 multiplies the steady step by up to 10: a fifth of the rate keeps
        # its overshoot on the picture. Adaptive methods step in weight units, so their
        # rates follow the distance to travel.
        return {
            "sgd": rate,
            "momentum": rate / 5,
            "adagrad": distance / 3,
            "rmsprop": distance / 100,
            "adam": distance / 25,
        }

    def lr_range(self) -> tuple[float, float, float]:
        """A learning rate too small, a good one, and one too large."""
        good = 1.0 / self.curvature()
        return good / 15, good, self.too_large / self.curvature()


class Linear(Problem):
    name = "linear"
    title = "linear regression  y = w0 + w1·x"
    weight_names = ("w0 (intercept)", "w1 (slope)")
    convex = True
    default_starts = ((-2.5, -1.0),)
    minimum_method = "least squares"

    @staticmethod
    def generate(n_samples=40, seed=0):
        """x uniform in [-0.5, 3], ``y = 1.5 + 2 x + noise`` (sd 0.5)."""
        rng = np.random.default_rng(seed)
        x = rng.uniform(-0.5, 3, n_samples)
        y = 1.5 + 2.0 * x + rng.normal(0, 0.5, n_samples)
        return x[:, None], y

    def outputs(self, W, X):
        return W[:, :1] + W[:, 1:] * X[:, 0].reshape(1, -1)

    def model(self, weights):
        model = LinearRegression(1)
        model.linear.bias.data[...] = weights[0]
        model.linear.weight.data[...] = weights[1]
        return model

    def weights(self, model):
        return np.array([model.linear.bias.data[0], model.linear.weight.data[0, 0]], float)

    @functools.cached_property
    def minima(self):
        A = np.column_stack([np.ones(len(self.X)), self.X[:, 0]])
        w = np.linalg.lstsq(A, self.y, rcond=None)[0]
        return [Minimum(w, float(self.cost(w)[0]), "global")]

    def curvature(self):
        A = np.column_stack([np.ones(len(self.X)), self.X[:, 0]])
        return float(np.linalg.eigvalsh(2 * A.T @ A / len(self.X))[-1])

    def sample_curvature(self) -> float:
        """The largest curvature of a single sample's loss at the minimum.

        A step of SGD (batch 1) follows one sample: a learning rate above 2/this throws
        the weights across that sample's valley.
        """
        return float(2 * (1 + self.X[:, 0] ** 2).max())


class LogisticTwoWeights(nn.Module):
    """``logit = w0 * x1 + w1 * x2``: a logistic regression with no intercept."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1, bias=False)

    def forward(self, x):
        return self.linear(x).reshape(-1)


class Logistic(Problem):
    name = "logistic"
    title = "logistic regression  logit = w0·x1 + w1·x2"
    weight_names = ("w0 (weight of x1)", "w1 (weight of x2)")
    loss_name = "binary cross-entropy"
    loss_class = nn.BCEWithLogitsLoss
    convex = True
    default_starts = ((-2.0, 2.5),)
    minimum_method = "Newton's method"
    # The log-loss flattens far away: past 2/curvature the weights bounce across the
    # valley instead of flying off, and only a rate this large shows it clearly.
    too_large = 2.6

    @staticmethod
    def generate(n_samples=40, seed=0):
        """Two correlated standard-normal features, labels drawn with probability
        ``sigmoid(2 x1 - x2)`` (noisy, so the minimum is finite)."""
        rng = np.random.default_rng(seed)
        X = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], n_samples)
        p = 1 / (1 + np.exp(-(X @ np.array([2.0, -1.0]))))
        return X, (rng.random(n_samples) < p).astype(np.float64)

    def outputs(self, W, X):
        return W @ X.T

    def model(self, weights):
        model = LogisticTwoWeights()
        model.linear.weight.data[...] = np.reshape(weights, (1, 2))
        return model

    def weights(self, model):
        return model.linear.weight.data.reshape(2).astype(float)

    def _hessian(self, w) -> np.ndarray:
        p = 1 / (1 + np.exp(-(self.X @ w)))
        return (self.X.T * (p * (1 - p))) @ self.X / len(self.y)

    @functools.cached_property
    def minima(self):
        w = np.zeros(2)
        for _ in range(100):  # Newton's method: the cost is convex and smooth
            p = 1 / (1 + np.exp(-(self.X @ w)))
            step = np.linalg.solve(self._hessian(w), self.X.T @ (p - self.y) / len(self.y))
            w -= step
            if np.abs(step).max() < 1e-12:
                break
        return [Minimum(w, float(self.cost(w)[0]), "global")]

    def curvature(self):
        return float(np.linalg.eigvalsh(self._hessian(self.minimum()))[-1])

    def sample_curvature(self) -> float:
        """The largest curvature of a single sample's loss at the minimum (see Linear)."""
        p = 1 / (1 + np.exp(-(self.X @ self.minimum())))
        return float((p * (1 - p) * (self.X**2).sum(axis=1)).max())
