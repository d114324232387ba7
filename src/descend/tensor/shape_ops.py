"""Shape ops: reshape, transpose, flatten, indexing; and concat, stack, where.

Their backward moves the gradient back to where each value came from.
"""

from __future__ import annotations

import numpy as np

from descend import backend
from descend.backend import xp_of
from descend.tensor.autograd import unbroadcast
from descend.tensor.operands import operands
from descend.tensor.tensor import Tensor, as_array, make


def reshape(x: Tensor, *shape) -> Tensor:
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    try:
        out = x.data.reshape(shape)
    except ValueError:
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} values) into {shape}"
        ) from None
    source = x.data.shape
    return make(out, (x,), lambda g: (g.reshape(source),), "reshape")


def transpose(x: Tensor, *axes) -> Tensor:
    """Permute axes (reverse them when none are given), as ``ndarray.transpose``."""
    if len(axes) == 1 and isinstance(axes[0], tuple | list):
        axes = tuple(axes[0])
    if not axes:
        axes = tuple(range(x.ndim - 1, -1, -1))
    if sorted(a % x.ndim if x.ndim else a for a in axes) != list(range(x.ndim)):
        raise ValueError(f"transpose: {axes} is not a permutation of the {x.ndim} axes")
    inverse = tuple(np.argsort([a % x.ndim for a in axes]))
    return make(
        x.data.transpose(axes), (x,), lambda g: (g.transpose(inverse),), "transpose", (axes,)
    )


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes ``start_dim`` .. ``end_dim`` (inclusive) into one, as ``torch.flatten``."""
    if x.ndim == 0:
        return reshape(x, 1)
    start, end = start_dim % x.ndim, end_dim % x.ndim
    shape = x.shape[:start] + (-1,) + x.shape[end + 1 :]
    return reshape(x, shape)


def getitem(x: Tensor, key) -> Tensor:
    """Basic and integer-array indexing; repeated indices add up in the gradient."""
    key = _plain_key(key, x.data)
    try:
        out = x.data[key]
    except IndexError as error:
        raise IndexError(f"index {key!r} into a tensor of shape {x.shape}: {error}") from None
    advanced = _is_advanced(key)
    shape, dtype = x.data.shape, x.data.dtype

    def backward(g):
        xp = xp_of(g)
        grad = xp.zeros(shape, dtype=dtype)
        if advanced:
            xp.add.at(grad, key, g)
        else:
            grad[key] = g
        return (grad,)

    return make(out, (x,), backward, "getitem", (key,))


def _plain_key(key, like):
    """The key with tensors unwrapped; on a device, index arrays join the device."""
    parts = key if isinstance(key, tuple) else (key,)
    if type(like) is np.ndarray:
        parts = tuple(k.data if isinstance(k, Tensor) else k for k in parts)
    else:
        parts = tuple(_on_device(k.data if isinstance(k, Tensor) else k, like) for k in parts)
    return parts if isinstance(key, tuple) else parts[0]


def _on_device(part, like):
    if isinstance(part, list) or (hasattr(part, "shape") and backend.is_host(part)):
        return backend.asarray(part, like)
    return part


def _is_advanced(key) -> bool:
    """Whether ``key`` indexes with arrays (of any device), where repeats must add up."""
    parts = key if isinstance(key, tuple) else (key,)
    return any(isinstance(k, list) or getattr(k, "ndim", 0) > 0 for k in parts)


def concat(tensors, axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    tensors = _same_dtype(tensors, "concat")
    try:
        out = xp_of(tensors[0].data).concatenate([t.data for t in tensors], axis=axis)
    except (ValueError, np.exceptions.AxisError):
        shapes = ", ".join(str(t.shape) for t in tensors)
        raise ValueError(f"concat: cannot join shapes {shapes} along axis {axis}") from None
    bounds = np.cumsum([t.data.shape[axis] for t in tensors])[:-1].tolist()
    return make(
        out,
        tuple(tensors),
        lambda g: tuple(xp_of(g).split(g, bounds, axis=axis)),
        "concat",
        (axis,),
    )


def stack(tensors, axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis."""
    tensors = _same_dtype(tensors, "stack")
    try:
        out = xp_of(tensors[0].data).stack([t.data for t in tensors], axis=axis)
    except (ValueError, np.exceptions.AxisError):
        shapes = ", ".join(str(t.shape) for t in tensors)
        raise ValueError(f"stack: needs tensors of one shape, got {shapes}") from None
    count = len(tensors)
    return make(
        out,
        tuple(tensors),
        lambda g: tuple(part.squeeze(axis) for part in xp_of(g).split(g, count, axis=axis)),
        "stack",
        (axis,),
    )


def _same_dtype(tensors, name: str) -> list:
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError(f"{name}: needs at least one tensor")
    first = tensors[0]
    return [first] + [operands(first, t)[1] for t in tensors[1:]]


def where(condition, a, b) -> Tensor:
    """``a`` where ``condition`` holds, else ``b``; all three broadcast together."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor(a)
    a, b = operands(a, b)
    cond = as_array(condition, copy=None).astype(bool, copy=False)
    if not backend.is_host(a.data):
        cond = backend.asarray(cond, a.data) if backend.is_host(cond) else cond
    xp = xp_of(a.data)
    try:
        out = xp.where(cond, a.data, b.data)
    except ValueError:
        raise ValueError(
            f"where: shapes {cond.shape}, {a.shape} and {b.shape} cannot be broadcast together"
        ) from None

    def backward(g):
        zero = xp.zeros((), dtype=g.dtype)
        return (
            unbroadcast(xp.where(cond, g, zero), a.data.shape) if a.requires_grad else None,
            unbroadcast(xp.where(cond, zero, g), b.data.shape) if b.requires_grad else None,
        )

    return make(out, (a, b), backward, "where", (cond,))
