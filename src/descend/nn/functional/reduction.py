"""From per-sample losses to the cost: the ``reduction`` argument every loss takes.

``'mean'`` averages the losses (the cost of the batch), ``'sum'`` adds them up,
``'none'`` keeps one loss per element. Going back, the gradient of the cost with
respect to each loss is ``g / count``, ``g``, or the incoming gradient itself.
"""

from __future__ import annotations

import numpy as np

from descend import backend
from descend.tensor.operands import operands
from descend.tensor.tensor import Tensor

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction: str, name: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def reduce(losses: np.ndarray, reduction: str, count=None) -> np.ndarray:
    """The cost from per-element losses; ``count`` replaces the element count of 'mean'."""
    if reduction == "none":
        return losses
    total = losses.sum(dtype=losses.dtype)  # 0-d: a NumPy scalar, or a device array
    if reduction == "sum":
        return backend.xp_of(total).asarray(total)
    mean = total / (losses.size if count is None else count)
    return backend.xp_of(mean).asarray(mean, dtype=losses.dtype)


def upstream(g: np.ndarray, reduction: str, count) -> np.ndarray:
    """d(cost)/d(each loss) times the incoming gradient ``g`` (0-d unless reduction='none')."""
    if reduction == "mean":
        # A Python count, not a 0-d NumPy array, so that a device's g can take it; an
        # array count (a sum of class weights) is on g's device already.
        out = g / count
        return out if out.dtype == g.dtype else out.astype(g.dtype)
    return g


def loss_operands(input, target, name: str, reduction: str) -> tuple[Tensor, Tensor]:
    """Input and target as tensors of one floating dtype and one shape."""
    check_reduction(reduction, name)
    x, t = operands(input, target)
    if x.data.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating input, got {x.dtype}")
    if x.shape != t.shape:
        hint = ""
        if x.shape[:1] == t.shape[:1] and sorted((x.ndim, t.ndim)) == [1, 2]:
            hint = "; reshape one of them, e.g. output.reshape(-1) for one output per sample"
        raise ValueError(f"{name}: input shape {x.shape} and target shape {t.shape} differ{hint}")
    return x, t


def as_weight(weight, dtype, name: str, what: str = "weight", like=None) -> np.ndarray | None:
    """An optional constant weight array (no gradient flows into it) in the input's dtype,
    on the device of ``like`` (the input's array)."""
    if weight is None:
        return None
    array = weight.data if isinstance(weight, Tensor) else weight
    array = array if backend.is_array(array) else np.asarray(array)
    if like is not None and backend.device_of(array) != backend.device_of(like):
        if not backend.is_host(array):
            raise RuntimeError(
                f"{name}: expected all tensors on one device, got {backend.device_of(like)} "
                f"and {backend.device_of(array)} ({what})"
            )
        array = backend.asarray(array, like)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name}: {what} must hold numbers, got dtype {array.dtype}")
    return array.astype(dtype, copy=False)
