"""In-place operators (``+= -= *= /= **=``) on tensors, with PyTorch's rules."""

from __future__ import annotations

import numpy as np

from descend import backend
from descend.tensor import autograd
from descend.tensor.operands import check_same_device
from descend.tensor.tensor import Tensor


def apply(x: Tensor, other, name: str, symbol: str):
    """``x <symbol> other`` written into ``x.data`` (same tensor, same array), as in PyTorch.

    Inside ``no_grad``, or when no gradient is involved, the values change in place:
    ``w -= lr * w.grad`` is the parameter update. A leaf that requires grad cannot be
    changed outside ``no_grad`` (PyTorch's rule: its gradient would describe values it
    no longer holds). For other tensors in the graph the op is recorded out of place and
    the name rebound, since the engine keeps no version counters to make an in-place
    change safe for the backward pass; values and gradients are PyTorch's.
    """
    if autograd.is_grad_enabled() and (x.requires_grad or getattr(other, "requires_grad", False)):
        if x.requires_grad and x._backward is None:
            raise RuntimeError(
                f"a leaf tensor that requires grad is being used in an in-place operation "
                f"({symbol}); update it inside `with ds.no_grad():`, or write "
                f"`w = w {symbol[:-1]} ...` for a new tensor in the graph"
            )
        return NotImplemented  # Python falls back to the out-of-place operator
    raw = other.data if isinstance(other, Tensor) else other
    if type(x.data) is not np.ndarray:
        if isinstance(other, Tensor):
            check_same_device(x.data, raw)
        elif hasattr(raw, "shape") and backend.is_host(raw):
            raw = backend.asarray(raw, x.data)
    if not backend.writeable(x.data):
        raise ValueError(
            f"in-place {symbol}: this tensor's values are a read-only view; write "
            f"`x = x {symbol[:-1]} ...` for a new tensor"
        )
    try:
        getattr(backend.xp_of(x.data), name)(x.data, raw, out=x.data, casting="same_kind")
    except TypeError:  # the result cannot be cast to the dtype of out
        raise TypeError(
            f"in-place {symbol}: the result cannot be stored in this tensor's dtype {x.dtype}; "
            f"convert the tensor first with .to(...)"
        ) from None
    except ValueError:
        shape = raw.shape if hasattr(raw, "shape") else np.shape(raw)
        raise ValueError(
            f"in-place {symbol}: an operand of shape {shape} does not broadcast to "
            f"this tensor's shape {x.shape}"
        ) from None
    return x
