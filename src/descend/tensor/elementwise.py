"""Elementwise functions, each with its derivative beside it."""

from __future__ import annotations

import numpy as np

from descend.tensor.tensor import Tensor, make


def exp(x: Tensor) -> Tensor:
    out = np.exp(x.data)
    return make(out, (x,), lambda g: (g * out,), "exp")


def log(x: Tensor) -> Tensor:
    return make(np.log(x.data), (x,), lambda g: (g / x.data,), "log")


def sqrt(x: Tensor) -> Tensor:
    out = np.sqrt(x.data)
    return make(out, (x,), lambda g: (g / (2 * out),), "sqrt")


def abs(x: Tensor) -> Tensor:  # noqa: A001 - mirrors the method name
    # The derivative at 0 is taken as 0, as PyTorch does.
    return make(np.abs(x.data), (x,), lambda g: (g * np.sign(x.data),), "abs")


def tanh(x: Tensor) -> Tensor:
    out = np.tanh(x.data)
    return make(out, (x,), lambda g: (g * (1 - out * out),), "tanh")


def sigmoid(x: Tensor) -> Tensor:
    out = stable_sigmoid(x.data)
    return make(out, (x,), lambda g: (g * out * (1 - out),), "sigmoid")


def stable_sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)) without overflow: exp only ever sees -|z|."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1, e) / (1 + e)


def relu(x: Tensor) -> Tensor:
    out = np.maximum(x.data, 0)
    return make(out, (x,), lambda g: (g * (x.data > 0),), "relu")


def clip(x: Tensor, min=None, max=None) -> Tensor:  # noqa: A002 - PyTorch's names
    """Clamp into [min, max]; the gradient passes where min <= x <= max."""
    if min is None and max is None:
        raise ValueError("clip: give min, max or both")
    out = np.clip(x.data, min, max)

    def backward(g):
        inside = np.ones(x.data.shape, dtype=bool)
        if min is not None:
            inside &= x.data >= min
        if max is not None:
            inside &= x.data <= max
        return (g * inside,)

    return make(out, (x,), backward, "clip", (min, max))


def to(x: Tensor, *args, dtype=None, device=None) -> Tensor:
    """The same values in another dtype; the gradient comes back in the original one.

    Takes PyTorch's forms too: ``to('cpu')`` (or ``device='cpu'``) is the tensor itself;
    any other device is an error, as descend runs on the CPU.

    Examples
    --------
    >>> ds.tensor([1.5]).to(np.float64)
    tensor([1.5], dtype=float64)
    >>> ds.tensor([1.5]).to("cuda")
    Traceback (most recent call last):
    RuntimeError: Tensor.to('cuda'): descend runs on the CPU; the only device is 'cpu'
    """
    dtype = dtype_and_device(args, dtype, device, "Tensor.to")
    if dtype is None:
        return x
    dtype = np.dtype(dtype)
    if dtype == x.data.dtype:
        return x
    if dtype.kind != "f":
        return Tensor._wrap(x.data.astype(dtype))
    source = x.data.dtype
    return make(x.data.astype(dtype), (x,), lambda g: (g.astype(source),), "to")


def dtype_and_device(args: tuple, dtype, device, name: str):
    """The dtype asked of ``.to(...)``; a device other than the CPU is an error.

    ``args`` may hold a device ('cpu', 'cuda:0', a torch.device) and/or a dtype.
    """
    for arg in args:
        if _is_device(arg):
            device = arg
        elif dtype is None:
            dtype = arg
        else:
            raise TypeError(f"{name}: expected a dtype and/or a device, got {args!r}")
    if device is not None and str(device).split(":")[0] != "cpu":
        raise RuntimeError(
            f"{name}({str(device)!r}): descend runs on the CPU; the only device is 'cpu'"
        )
    return dtype


def _is_device(value) -> bool:
    if type(value).__name__ == "device":  # torch.device, without importing torch
        return True
    if not isinstance(value, str):
        return False
    try:
        np.dtype(value)
    except TypeError:
        return True
    return False
