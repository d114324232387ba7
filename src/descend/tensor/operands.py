"""The operands of an op: both as tensors of one dtype, on one device.

Every binary op starts here. A Python number or an array next to a tensor becomes a
tensor of that tensor's dtype (on its device); two float tensors of different
precision are an error rather than a silent upcast; tensors on two devices are an
error that names both.
"""

from __future__ import annotations

import numpy as np

from descend import backend
from descend.tensor.tensor import Tensor, as_array, get_default_dtype


def operands(a, b) -> tuple[Tensor, Tensor]:
    """Both operands of a binary op as tensors of one dtype, never upcasting a float tensor.

    A Python number or array next to a tensor takes that tensor's dtype. Two float
    tensors of different precision are an error, so float32 never turns into float64
    unnoticed.
    """
    if not isinstance(a, Tensor):
        a = _constant_like(a, b)
    elif not isinstance(b, Tensor):
        b = _constant_like(b, a)
    if type(a.data) is not type(b.data) and backend.is_host(a.data) != backend.is_host(b.data):
        check_same_device(a.data, b.data)
    if a.data.dtype is not b.data.dtype and a.data.dtype != b.data.dtype:
        a, b = _promote(a, b)
    return a, b


def check_same_device(*arrays) -> None:
    """Raise ``RuntimeError('expected all tensors on one device, got cuda:0 and cpu')``."""
    devices = list(dict.fromkeys(str(backend.device_of(a)) for a in arrays))
    if len(devices) > 1:
        raise RuntimeError(
            f"expected all tensors on one device, got {' and '.join(devices)}; move them "
            f"with .to(device)"
        )


def _constant_like(value, like: Tensor) -> Tensor:
    dtype = like.data.dtype
    if dtype.kind != "f" and isinstance(value, float):
        dtype = get_default_dtype()
    # No copy: ops never write into their inputs, and a batch can be megabytes.
    array = as_array(value, dtype=dtype, copy=None)
    if type(like.data) is not np.ndarray and backend.is_host(array):
        array = backend.asarray(array, like.data)  # numbers and host arrays join the device
    return Tensor._wrap(array)


def _promote(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    ka, kb = a.data.dtype.kind, b.data.dtype.kind
    if ka == "f" and kb == "f":
        raise TypeError(
            f"dtype mismatch: {a.dtype} and {b.dtype}; descend never upcasts silently, "
            f"convert one explicitly with .to(...)"
        )
    if ka == "f":
        return a, Tensor._wrap(b.data.astype(a.data.dtype))
    if kb == "f":
        return Tensor._wrap(a.data.astype(b.data.dtype)), b
    return a, b
