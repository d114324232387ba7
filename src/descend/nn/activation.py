"""Activation layers: the elementwise (or per-row) non-linearities between layers."""

from __future__ import annotations

from descend.nn import functional as F
from descend.nn.module import Module
from descend.tensor.tensor import Tensor


class ReLU(Module):
    """``max(x, 0)``, elementwise.

    Examples
    --------
    >>> nn.ReLU()(ds.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    """

    def forward(self, x) -> Tensor:
        return F.relu(x)


class LeakyReLU(Module):
    """``x`` for ``x > 0``, else ``negative_slope * x``: negative inputs keep a small gradient."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    """``1 / (1 + exp(-x))``, elementwise, without overflow."""

    def forward(self, x) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    """Hyperbolic tangent, elementwise."""

    def forward(self, x) -> Tensor:
        return F.tanh(x)


class Softmax(Module):
    """Softmax along ``dim`` (default the last axis): each slice sums to 1.

    For training a classifier, give the logits to ``CrossEntropyLoss`` instead, which
    includes the softmax in a stable form.
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x) -> Tensor:
        return F.softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """``log(softmax(x))`` along ``dim`` (default the last axis), computed stably.

    Pairs with ``NLLLoss``; together they equal ``CrossEntropyLoss``.
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x) -> Tensor:
        return F.log_softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
