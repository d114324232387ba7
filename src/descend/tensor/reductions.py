"""Reductions over all axes or some: sum, mean, max, min, var; argmax and argmin.

NumPy checks ``axis`` in the forward pass; the backward puts the reduced axes
back (as size 1) and spreads the gradient over them. PyTorch's spellings work too:
``dim`` for ``axis`` and ``keepdim`` for ``keepdims``; ``max`` and ``min`` with ``dim``
return ``(values, indices)`` as ``torch.max(x, dim)`` does.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from descend.backend import xp_of
from descend.tensor.tensor import Tensor, make


class MaxMin(NamedTuple):
    """``x.max(dim=...)`` and ``x.min(dim=...)``: the values and where they are (int64)."""

    values: Tensor
    indices: Tensor


def _torch_names(name: str, axis, keepdims: bool, dim, keepdim) -> tuple:
    """``axis`` and ``keepdims`` from PyTorch's ``dim`` and ``keepdim`` when given."""
    if dim is not None:
        if axis is not None and axis != dim:
            raise TypeError(
                f"{name}: got axis={axis!r} and dim={dim!r}; dim is PyTorch's name for axis, "
                f"give one"
            )
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    return axis, keepdims


def _reduce(method: str, x: Tensor, axis, keepdims: bool) -> np.ndarray:
    # The array's own method: the same call for NumPy and for device arrays.
    try:
        return getattr(x.data, method)(axis=axis, keepdims=keepdims)
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
    out = xp_of(g).empty(shape, dtype=g.dtype)
    out[...] = g
    return out


def sum(  # noqa: A001
    x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None
) -> Tensor:
    if dim is not None or keepdim is not None:
        axis, keepdims = _torch_names("sum", axis, keepdims, dim, keepdim)
    shape = x.data.shape

    def backward(g):
        return (_spread(_kept(g, shape, axis, keepdims), shape),)

    return make(_reduce("sum", x, axis, keepdims), (x,), backward, "sum", (axis, keepdims))


def mean(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    if dim is not None or keepdim is not None:
        axis, keepdims = _torch_names("mean", axis, keepdims, dim, keepdim)
    shape = x.data.shape
    out = _reduce("mean", x, axis, keepdims)
    count = x.data.size // (out.size or 1)

    def backward(g):
        return (_spread(_kept(g, shape, axis, keepdims) / count, shape),)

    return make(out, (x,), backward, "mean", (axis, keepdims))


def var(
    x: Tensor, axis=None, keepdims: bool = False, correction: int = 1, *, dim=None, keepdim=None
) -> Tensor:
    """Variance with ``correction`` subtracted from the count (1: unbiased, as PyTorch).

    With no more values than ``correction`` it is NaN, as in NumPy and PyTorch.
    """
    if dim is not None or keepdim is not None:
        axis, keepdims = _torch_names("var", axis, keepdims, dim, keepdim)
    shape = x.data.shape
    centred = x.data - _reduce("mean", x, axis, True)
    squares = (centred * centred).sum(axis=axis, keepdims=keepdims)
    count = x.data.size // (squares.size or 1)
    scale = 1 / (count - correction) if count > correction else float("nan")

    def backward(g):
        return (_kept(g, shape, axis, keepdims) * (2 * scale) * centred,)

    return make(squares * scale, (x,), backward, "var", (axis, keepdims, correction))


def _extreme(x: Tensor, axis, keepdims: bool, reduce, name: str) -> Tensor:
    shape = x.data.shape
    out = _reduce(reduce, x, axis, keepdims)

    def backward(g):
        # Ties share the gradient equally, so the sum over the tie is preserved.
        hits = x.data == _kept(out, shape, axis, keepdims)
        counts = hits.sum(axis=axis, keepdims=True)
        return (_kept(g, shape, axis, keepdims) * hits / counts,)

    return make(out, (x,), backward, name, (axis, keepdims))


def max(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None):  # noqa: A001
    """Largest values along ``axis`` (ties share the gradient).

    With ``dim`` instead of ``axis`` it is ``torch.max(x, dim)``: a ``MaxMin`` of the
    values and their int64 indices, the gradient going to the first maximum.

    Examples
    --------
    >>> x = ds.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    >>> x.max(axis=1)
    tensor([5., 7.])
    >>> values, indices = x.max(dim=1)
    >>> indices
    tensor([1, 0], dtype=int64)
    """
    if dim is not None:
        return _along(x, "max", "argmax", axis, dim, keepdims if keepdim is None else keepdim)
    if keepdim is not None:
        keepdims = keepdim
    return _extreme(x, axis, keepdims, "max", "max")


def min(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None):  # noqa: A001
    """Smallest values along ``axis`` (ties share the gradient); with ``dim``, a
    ``MaxMin`` of values and indices as ``torch.min(x, dim)`` (see ``max``)."""
    if dim is not None:
        return _along(x, "min", "argmin", axis, dim, keepdims if keepdim is None else keepdim)
    if keepdim is not None:
        keepdims = keepdim
    return _extreme(x, axis, keepdims, "min", "min")


def _along(x: Tensor, name: str, arg, axis, dim: int, keepdim: bool) -> MaxMin:
    """Values and indices of the extreme along one ``dim``; the gradient goes to the index."""
    _torch_names(name, axis, False, dim, None)
    if not isinstance(dim, int | np.integer):
        raise TypeError(
            f"{name}: dim must be one int, as in torch.{name}(x, dim), got {dim!r}; "
            f"several axes go in axis=, for the values alone"
        )
    xp = xp_of(x.data)
    indices = _reduce(arg, x, dim, True)
    values = xp.take_along_axis(x.data, indices, axis=dim)
    shape = x.data.shape
    if not keepdim:
        values, indices = values.squeeze(dim), indices.squeeze(dim)

    def backward(g):
        grad = xp.zeros(shape, dtype=g.dtype)
        # put_along_axis wants the reduced axis back (as size 1) on indices and values.
        xp.put_along_axis(
            grad,
            indices if keepdim else xp.expand_dims(indices, dim),
            g if keepdim else xp.expand_dims(g, dim),
            axis=dim,
        )
        return (grad,)

    return MaxMin(make(values, (x,), backward, name, (dim, keepdim)), Tensor._wrap(indices))


def argmax(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """Index of the largest value (of the flattened tensor, or along ``axis``), int64.

    Examples
    --------
    >>> ds.tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]]).argmax(dim=1)
    tensor([1, 0], dtype=int64)
    """
    if dim is not None or keepdim is not None:
        axis, keepdims = _torch_names("argmax", axis, keepdims, dim, keepdim)
    return Tensor._wrap(_reduce("argmax", x, axis, keepdims))


def argmin(x: Tensor, axis=None, keepdims: bool = False, *, dim=None, keepdim=None) -> Tensor:
    """Index of the smallest value (of the flattened tensor, or along ``axis``), int64."""
    if dim is not None or keepdim is not None:
        axis, keepdims = _torch_names("argmin", axis, keepdims, dim, keepdim)
    return Tensor._wrap(_reduce("argmin", x, axis, keepdims))
