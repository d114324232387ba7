"""Activation functions; the ones the engine lacks are fused ops with their backward beside.

``relu``, ``sigmoid``, ``tanh``, ``softmax`` and ``log_softmax`` are the engine's own
ops (Tensor methods, ``descend.tensor``); ``leaky_relu`` lives here.
"""

from __future__ import annotations

from descend.backend import xp_of
from descend.tensor import elementwise
from descend.tensor.softmax import log_softmax, softmax
from descend.tensor.tensor import Tensor, make

__all__ = ["leaky_relu", "log_softmax", "relu", "sigmoid", "softmax", "tanh"]


def _tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def relu(x) -> Tensor:
    """``max(x, 0)`` elementwise; the gradient at 0 is 0, as PyTorch's."""
    return elementwise.relu(_tensor(x))


def sigmoid(x) -> Tensor:
    """``1 / (1 + exp(-x))``, computed without overflow for any x."""
    return elementwise.sigmoid(_tensor(x))


def tanh(x) -> Tensor:
    """Hyperbolic tangent, elementwise."""
    return elementwise.tanh(_tensor(x))


def leaky_relu(x, negative_slope: float = 0.01) -> Tensor:
    """``x`` where ``x > 0``, else ``negative_slope * x``.

    Examples
    --------
    >>> leaky_relu(ds.tensor([-2.0, 3.0]), 0.1)
    tensor([-0.2,  3. ])
    """
    x = _tensor(x)
    xp = xp_of(x.data)
    positive = x.data > 0
    out = x.data * negative_slope
    xp.copyto(out, x.data, where=positive)

    def backward(g):
        gx = g * negative_slope
        xp.copyto(gx, g, where=positive)
        return (gx,)

    return make(out, (x,), backward, "leaky_relu", (negative_slope,))
