"""Reductions over all axes or some: sum, mean, max, min, var.

NumPy checks ``axis`` in the forward pass; the backward puts the reduced axes
back (as size 1) and spreads the gradient over them.
"""

from __future__ import annotations

import numpy as np

from descend.tensor.tensor import Tensor, make


def _reduce(fn, x: Tensor, axis, keepdims: bool, **kwargs) -> np.ndarray:
    try:
        return fn(x.data, axis=axis, keepdims=keepdims, **kwargs)
    except np.exceptions.AxisError:
        raise ValueError(
            f"axis {axis} is out of range for a tensor with {x.ndim} dimensions"
        ) from None


def _kept(g: np.ndarray, shape: tuple, axis, keepdims: bool) -> np.ndarray:
    """``g`` with the reduced axes put back as size 1, ready to broadcast over ``shape``."""
    if keepdims:
        return g
    if axis is None:
        return g.reshape((1,) * len(shape))
    axes = {a % len(shape) for a in ((axis,) if isinstance(axis, int) else axis)}
    return g.reshape([1 if i in axes else n for i, n in enumerate(shape)])


def _spread(g: np.ndarray, shape: tuple) -> np.ndarray:
    # A fresh array: cheaper than np.broadcast_to for small tensors and writable.
    out = np.empty(shape, dtype=g.dtype)
    out[...] = g
    return out


def sum(x: Tensor, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    shape = x.data.shape

    def backward(g):
        return (_spread(_kept(g, shape, axis, keepdims), shape),)

    return make(_reduce(np.sum, x, axis, keepdims), (x,), backward, "sum", (axis, keepdims))


def mean(x: Tensor, axis=None, keepdims: bool = False) -> Tensor:
    shape = x.data.shape
    out = _reduce(np.mean, x, axis, keepdims)
    count = x.data.size // (out.size or 1)

    def backward(g):
        return (_spread(_kept(g, shape, axis, keepdims) / count, shape),)

    return make(out, (x,), backward, "mean", (axis, keepdims))


def var(x: Tensor, axis=None, keepdims: bool = False, correction: int = 1) -> Tensor:
    """Variance with ``correction`` subtracted from the count (1: unbiased, as PyTorch)."""
    shape = x.data.shape
    centred = x.data - _reduce(np.mean, x, axis, True)
    squares = np.sum(centred * centred, axis=axis, keepdims=keepdims)
    count = x.data.size // (squares.size or 1)
    scale = 1 / (count - correction)

    def backward(g):
        return (_kept(g, shape, axis, keepdims) * (2 * scale) * centred,)

    return make(squares * scale, (x,), backward, "var", (axis, keepdims, correction))


def _extreme(x: Tensor, axis, keepdims: bool, reduce, name: str) -> Tensor:
    shape = x.data.shape
    out = _reduce(reduce, x, axis, keepdims)

    def backward(g):
        # Ties share the gradient equally, so the sum over the tie is preserved.
        hits = x.data == _kept(out, shape, axis, keepdims)
        counts = np.sum(hits, axis=axis, keepdims=True)
        return (_kept(g, shape, axis, keepdims) * hits / counts,)

    return make(out, (x,), backward, name, (axis, keepdims))


def max(x: Tensor, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Largest values along ``axis`` (values only; ties share the gradient)."""
    return _extreme(x, axis, keepdims, np.max, "max")


def min(x: Tensor, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Smallest values along ``axis`` (values only; ties share the gradient)."""
    return _extreme(x, axis, keepdims, np.min, "min")
