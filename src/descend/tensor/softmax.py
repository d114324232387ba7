"""Softmax and log-softmax along one axis, each a fused op with its backward beside it.

Both subtract the slice's maximum before exponentiating, so no logit is too large:
``exp`` only ever sees values <= 0. PyTorch names the axis ``dim``; ``axis`` is
accepted as well.
"""

from __future__ import annotations

import numpy as np

from descend.backend import xp_of
from descend.tensor.tensor import Tensor, make


def _dim(dim, axis, name: str) -> int:
    if axis is None:
        return dim
    if dim not in (-1, axis):
        raise TypeError(f"{name}: got dim={dim} and axis={axis}; they are one argument, give one")
    return axis


def _shifted(x: Tensor, dim: int, name: str) -> np.ndarray:
    """``x`` minus its maximum along ``dim``: every value <= 0, so exp cannot overflow."""
    try:
        return x.data - x.data.max(axis=dim, keepdims=True)
    except np.exceptions.AxisError:
        raise ValueError(f"{name}: dim {dim} is out of range for a {x.ndim}-d tensor") from None


def softmax(x, dim: int = -1, *, axis: int | None = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``: each slice becomes a probability vector.

    Examples
    --------
    >>> softmax(ds.tensor([[1000.0, 1000.0]]))
    tensor([[0.5, 0.5]])
    >>> ds.tensor([[0.0, 0.0], [0.0, 2.0]]).softmax(dim=0)
    tensor([[0.5       , 0.11920292],
            [0.5       , 0.880797  ]])
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    dim = _dim(dim, axis, "softmax")
    e = xp_of(x.data).exp(_shifted(x, dim, "softmax"))
    out = e / e.sum(axis=dim, keepdims=True)

    def backward(g):
        return (out * (g - (g * out).sum(axis=dim, keepdims=True)),)

    return make(out, (x,), backward, "softmax", (dim,))


def log_softmax(x, dim: int = -1, *, axis: int | None = None) -> Tensor:
    """``log(softmax(x))`` along ``dim``, computed as ``x - max - log(sum(exp(x - max)))``.

    Finite for any finite logits (``log(softmax)`` done in two steps gives ``-inf``
    once a probability underflows to 0).

    Examples
    --------
    >>> log_softmax(ds.tensor([0.0, 200.0]))
    tensor([-200.,    0.])
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    dim = _dim(dim, axis, "log_softmax")
    shifted = _shifted(x, dim, "log_softmax")
    xp = xp_of(shifted)
    out = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))

    def backward(g):
        return (g - xp.exp(out) * g.sum(axis=dim, keepdims=True),)

    return make(out, (x,), backward, "log_softmax", (dim,))
