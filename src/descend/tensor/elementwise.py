"""Elementwise functions, each with its derivative beside it."""

from __future__ import annotations

import numpy as np

from descend import backend
from descend.backend import xp_of
from descend.tensor.tensor import Tensor, make


def exp(x: Tensor) -> Tensor:
    out = xp_of(x.data).exp(x.data)
    return make(out, (x,), lambda g: (g * out,), "exp")


def log(x: Tensor) -> Tensor:
    return make(xp_of(x.data).log(x.data), (x,), lambda g: (g / x.data,), "log")


def sqrt(x: Tensor) -> Tensor:
    out = xp_of(x.data).sqrt(x.data)
    return make(out, (x,), lambda g: (g / (2 * out),), "sqrt")


def abs(x: Tensor) -> Tensor:  # noqa: A001 - mirrors the method name
    # The derivative at 0 is taken as 0, as PyTorch does.
    xp = xp_of(x.data)
    return make(xp.abs(x.data), (x,), lambda g: (g * xp.sign(x.data),), "abs")


def tanh(x: Tensor) -> Tensor:
    out = xp_of(x.data).tanh(x.data)
    return make(out, (x,), lambda g: (g * (1 - out * out),), "tanh")


def sigmoid(x: Tensor) -> Tensor:
    out = stable_sigmoid(x.data)
    return make(out, (x,), lambda g: (g * out * (1 - out),), "sigmoid")


def stable_sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)) without overflow: exp only ever sees -|z|."""
    xp = xp_of(z)
    e = xp.exp(-xp.abs(z))
    return xp.where(z >= 0, 1, e) / (1 + e)


def relu(x: Tensor) -> Tensor:
    out = xp_of(x.data).maximum(x.data, 0)
    return make(out, (x,), lambda g: (g * (x.data > 0),), "relu")


def clip(x: Tensor, min=None, max=None) -> Tensor:  # noqa: A002 - PyTorch's names
    """Clamp into [min, max]; the gradient passes where min <= x <= max."""
    if min is None and max is None:
        raise ValueError("clip: give min, max or both")
    xp, data = xp_of(x.data), x.data
    out = data if min is None else xp.maximum(data, min)
    out = out if max is None else xp.minimum(out, max)

    def backward(g):
        if min is None:
            return (g * (data <= max),)
        if max is None:
            return (g * (data >= min),)
        return (g * ((data >= min) & (data <= max)),)

    return make(out, (x,), backward, "clip", (min, max))


def to(x: Tensor, *args, dtype=None, device=None) -> Tensor:
    """The same values in another dtype and/or on another device; the gradient comes
    back in the original dtype, on the original device.

    Takes PyTorch's forms: ``to(np.float64)``, ``to('cuda')``, ``to('cpu', np.float32)``,
    ``to(device=..., dtype=...)``.

    Examples
    --------
    >>> ds.tensor([1.5]).to(np.float64)
    tensor([1.5], dtype=float64)
    >>> ds.tensor([1.5]).to("cpu").device
    device('cpu')
    """
    dtype, device = dtype_and_device(args, dtype, device, "Tensor.to")
    out = x
    if device is not None:
        target = backend.device(device)
        if backend.device_of(x.data) != target:
            home = backend.device_of(x.data)
            out = make(
                backend.to_device(x.data, target),
                (x,),
                lambda g: (backend.to_device(g, home),),
                "to",
            )
    if dtype is not None and np.dtype(dtype) != out.data.dtype:
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            return Tensor._wrap(out.data.astype(dtype))
        moved, kind = out, out.data.dtype
        out = make(out.data.astype(dtype), (moved,), lambda g: (g.astype(kind),), "to")
    return out


def dtype_and_device(args: tuple, dtype, device, name: str) -> tuple:
    """The dtype and the device asked of ``.to(...)``, each None when not given.

    ``args`` may hold a device ('cpu', 'cuda:0', a Device or torch.device) and/or a dtype;
    the device is checked (a CUDA device without CuPy is a one-line RuntimeError).
    """
    for arg in args:
        if _is_device(arg):
            device = arg
        elif dtype is None:
            dtype = arg
        else:
            raise TypeError(f"{name}: expected a dtype and/or a device, got {args!r}")
    if device is not None:
        device = backend.device(device)
    return dtype, device


def _is_device(value) -> bool:
    if isinstance(value, backend.Device) or type(value).__name__ == "device":  # torch.device
        return True
    if not isinstance(value, str):
        return False
    try:
        np.dtype(value)
    except TypeError:
        return True
    return False
