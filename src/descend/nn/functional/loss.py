"""Regression and binary losses, each a fused op with its backward beside its forward.

Every loss returns the cost (``reduction='mean'``, default), the total (``'sum'``) or
one loss per element (``'none'``). A target that is a Tensor requiring grad gets a
gradient too, as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from descend import backend
from descend.backend import xp_of
from descend.nn.functional.reduction import as_weight, loss_operands, reduce, upstream
from descend.tensor.elementwise import stable_sigmoid
from descend.tensor.tensor import Tensor, make


def _grads(x: Tensor, t: Tensor, gx: np.ndarray, gt=None) -> tuple:
    """Gradients for (input, target); the target's is ``-gx`` unless given."""
    return (
        gx if x.requires_grad else None,
        (-gx if gt is None else gt) if t.requires_grad else None,
    )


def mse_loss(input, target, reduction: str = "mean") -> Tensor:
    """Squared error ``(input - target) ** 2``.

    Examples
    --------
    >>> mse_loss(ds.tensor([1.0, 2.0]), ds.tensor([1.0, 4.0]))
    tensor(2.)
    """
    x, t = loss_operands(input, target, "mse_loss", reduction)
    diff = x.data - t.data

    def backward(g):
        return _grads(x, t, upstream(g, reduction, diff.size) * 2 * diff)

    return make(reduce(diff * diff, reduction), (x, t), backward, "mse_loss")


def l1_loss(input, target, reduction: str = "mean") -> Tensor:
    """Absolute error ``|input - target|`` (gradient 0 where they are equal)."""
    x, t = loss_operands(input, target, "l1_loss", reduction)
    diff = x.data - t.data
    xp = xp_of(diff)

    def backward(g):
        return _grads(x, t, upstream(g, reduction, diff.size) * xp.sign(diff))

    return make(reduce(xp.abs(diff), reduction), (x, t), backward, "l1_loss")


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """Squared error near the target, absolute error far from it, as ``torch.huber_loss``.

    ``0.5 * d**2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 * delta)``, with
    ``d = input - target``: outliers pull with a force of at most ``delta``.
    """
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    x, t = loss_operands(input, target, "huber_loss", reduction)
    diff = x.data - t.data
    # The gradient is d clipped to [-delta, delta]; the loss follows from it.
    xp = xp_of(diff)
    clipped = xp.clip(diff, -delta, delta)
    losses = xp.abs(clipped) * (xp.abs(diff) - 0.5 * xp.abs(clipped))

    def backward(g):
        return _grads(x, t, upstream(g, reduction, diff.size) * clipped)

    return make(reduce(losses, reduction), (x, t), backward, "huber_loss")


def binary_cross_entropy(input, target, weight=None, reduction: str = "mean") -> Tensor:
    """Log-loss of probabilities: ``-(t * log(p) + (1 - t) * log(1 - p))``.

    Each log is clamped at -100, as PyTorch does, so a probability of exactly 0 or 1
    gives a large finite loss instead of ``inf``. For logits, use
    ``binary_cross_entropy_with_logits``, which is stable for any logit.

    Parameters
    ----------
    input : Tensor
        Probabilities in [0, 1].
    target : array_like
        Same shape as ``input``, values in [0, 1].
    weight : array_like, optional
        Rescales each element's loss (broadcast to the input's shape).
    """
    p, t = loss_operands(input, target, "binary_cross_entropy", reduction)
    xp = xp_of(p.data)
    if p.data.size and not _probabilities(p.data):
        raise ValueError(
            f"binary_cross_entropy: input must hold probabilities in [0, 1], got values "
            f"from {float(p.data.min()):g} to {float(p.data.max()):g}; for logits use "
            f"binary_cross_entropy_with_logits (BCEWithLogitsLoss)"
        )
    w = _elementwise_weight(weight, p, "binary_cross_entropy", "weight")
    with backend.errstate(p.data, divide="ignore"):
        log_p = xp.maximum(xp.log(p.data), -100)
        log_q = xp.maximum(xp.log1p(-p.data), -100)
    losses = -(t.data * log_p + (1 - t.data) * log_q)
    if w is not None:
        losses *= w

    def backward(g):
        scale = upstream(g, reduction, losses.size)
        if w is not None:
            scale = scale * w
        # PyTorch's form: (p - t) / max(p (1 - p), 1e-12), finite at p = 0 and p = 1.
        gp = scale * (p.data - t.data) / xp.maximum(p.data * (1 - p.data), 1e-12)
        return _grads(p, t, gp, scale * (log_q - log_p))

    return make(reduce(losses, reduction), (p, t), backward, "binary_cross_entropy")


def binary_cross_entropy_with_logits(
    input, target, weight=None, reduction: str = "mean", pos_weight=None
) -> Tensor:
    """Binary log-loss of logits, sigmoid fused in: stable for any logit.

    ``loss = (1 - t) * x + (1 + (pos_weight - 1) * t) * softplus(-x)`` with
    ``softplus(-x) = log1p(exp(-|x|)) + max(-x, 0)``, so ``exp`` never overflows; the
    gradient with respect to the logit is ``sigmoid(x) - t`` (without ``pos_weight``).

    Parameters
    ----------
    input : Tensor
        Logits, any shape.
    target : array_like
        Same shape, values in [0, 1].
    weight : array_like, optional
        Rescales each element's loss (broadcast to the input's shape).
    pos_weight : array_like, optional
        Weight of the positive term, one per class (the last axis): > 1 favours recall.

    Examples
    --------
    >>> binary_cross_entropy_with_logits(ds.tensor([1000.0, -1000.0]), ds.tensor([1.0, 0.0]))
    tensor(0.)
    """
    name = "binary_cross_entropy_with_logits"
    x, t = loss_operands(input, target, name, reduction)
    w = _elementwise_weight(weight, x, name, "weight")
    pw = _elementwise_weight(pos_weight, x, name, "pos_weight")
    xd, td = x.data, t.data
    xp = xp_of(xd)
    softplus_neg = xp.log1p(xp.exp(-xp.abs(xd))) + xp.maximum(-xd, 0)
    if pw is None:
        losses = (1 - td) * xd + softplus_neg
    else:
        log_weight = 1 + (pw - 1) * td
        losses = (1 - td) * xd + log_weight * softplus_neg
    if w is not None:
        losses *= w

    def backward(g):
        scale = upstream(g, reduction, losses.size)
        if w is not None:
            scale = scale * w
        sig = stable_sigmoid(xd)
        if pw is None:
            return _grads(x, t, scale * (sig - td), scale * -xd)
        gx = scale * ((1 - td) + log_weight * (sig - 1))
        return _grads(x, t, gx, scale * ((pw - 1) * softplus_neg - xd))

    return make(reduce(losses, reduction), (x, t), backward, "binary_cross_entropy_with_logits")


def _probabilities(p) -> bool:
    """Whether every value of ``p`` lies in [0, 1]; on a device, one reduction and one wait."""
    if backend.is_host(p):
        return p.min() >= 0 and p.max() <= 1
    return not bool(((p < 0) | (p > 1)).any())


def _elementwise_weight(weight, x: Tensor, name: str, what: str) -> np.ndarray | None:
    w = as_weight(weight, x.dtype, name, what, like=x.data)
    if w is None:
        return None
    try:
        fits = np.broadcast_shapes(w.shape, x.shape) == x.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{name}: {what} of shape {w.shape} does not broadcast to the input's {x.shape}"
        )
    return w
