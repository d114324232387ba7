"""Activation functions; the ones the engine lacks are fused ops with their backward beside.

``relu``, ``sigmoid`` and ``tanh`` are the engine's own ops. ``softmax`` and
``log_softmax`` subtract the row maximum before exponentiating, so no logit is too
large: ``exp`` only ever sees values <= 0.
"""

from __future__ import annotations

import numpy as np

from descend.tensor import elementwise
from descend.tensor.tensor import Tensor, make


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
    positive = x.data > 0
    out = x.data * negative_slope
    np.copyto(out, x.data, where=positive)

    def backward(g):
        gx = g * negative_slope
        np.copyto(gx, g, where=positive)
        return (gx,)

    return make(out, (x,), backward, "leaky_relu", (negative_slope,))


def _shifted(x: Tensor, dim: int, name: str) -> np.ndarray:
    """``x`` minus its maximum along ``dim``: every value <= 0, so exp cannot overflow."""
    try:
        return x.data - x.data.max(axis=dim, keepdims=True)
    except np.exceptions.AxisError:
        raise ValueError(f"{name}: dim {dim} is out of range for a {x.ndim}-d tensor") from None


def softmax(x, dim: int = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``: each slice becomes a probability vector.

    Examples
    --------
    >>> softmax(ds.tensor([[1000.0, 1000.0]]))
    tensor([[0.5, 0.5]])
    """
    x = _tensor(x)
    e = np.exp(_shifted(x, dim, "softmax"))
    out = e / e.sum(axis=dim, keepdims=True)

    def backward(g):
        return (out * (g - (g * out).sum(axis=dim, keepdims=True)),)

    return make(out, (x,), backward, "softmax", (dim,))


def log_softmax(x, dim: int = -1) -> Tensor:
    """``log(softmax(x))`` along ``dim``, computed as ``x - max - log(sum(exp(x - max)))``.

    Finite for any finite logits (``log(softmax)`` done in two steps gives ``-inf``
    once a probability underflows to 0).
    """
    x = _tensor(x)
    shifted = _shifted(x, dim, "log_softmax")
    out = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))

    def backward(g):
        return (g - np.exp(out) * g.sum(axis=dim, keepdims=True),)

    return make(out, (x,), backward, "log_softmax", (dim,))
