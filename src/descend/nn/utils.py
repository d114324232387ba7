"""Gradient clipping: keep one bad batch from throwing the weights far away.

Both functions work on anything with a ``.grad`` ndarray (or None) and change the
gradients in place, between ``backward()`` and ``optimizer.step()``, as PyTorch's do.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from descend import backend
from descend.tensor.tensor import Tensor


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float | str = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    The norm is taken over all gradients as if they were one long vector. When it
    exceeds ``max_norm`` every gradient is multiplied by
    ``max_norm / (total_norm + 1e-6)``, so the direction of the step is kept and only
    its length shrinks.

    Parameters
    ----------
    parameters : Tensor or iterable of Tensor
        Tensors whose ``.grad`` to clip (those without a gradient are skipped).
    max_norm : float
        Largest allowed norm.
    norm_type : float or 'inf'
        Order of the norm: 2 (default), 1, any p > 0, or ``'inf'`` (the largest entry).
    error_if_nonfinite : bool
        Raise instead of scaling when the total norm is nan or infinite.

    Returns
    -------
    Tensor
        The total norm of the gradients before clipping (0-d, the gradients' dtype).

    Examples
    --------
    >>> model = nn.Linear(3, 1)
    >>> (100 * model(ds.ones(4, 3))).sum().backward()  # gradients 400, 400, 400 and 400
    >>> clip_grad_norm_(model.parameters(), max_norm=1.0)  # their norm before clipping
    tensor(800.)
    >>> model.bias.grad  # all four scaled by 1/800: norm 1, the same direction
    array([0.5], dtype=float32)
    """
    max_norm = _number(max_norm, "max_norm")
    norm_type = _number(norm_type, "norm_type")
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return Tensor(0.0)
    if not backend.is_host(grads[0]):
        return _clip_on_device(grads, max_norm, norm_type, error_if_nonfinite)
    # The norm of the per-gradient norms: the norm of all entries, without concatenating.
    norms = np.array([_norm(g, norm_type) for g in grads], dtype=np.result_type(*grads))
    total = norms.dtype.type(_norm(norms, norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"the total norm of order {norm_type} of the gradients is {total}, so they cannot "
            f"be clipped; pass error_if_nonfinite=False to scale them by it anyway"
        )
    coef = min(max_norm / (total + 1e-6), total.dtype.type(1.0))
    if not coef >= 1.0:  # also scales by a non-finite norm, silently, as PyTorch does
        with np.errstate(invalid="ignore"):
            for g in grads:
                np.multiply(g, coef, out=g)
    return Tensor(total)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clip every gradient entry to ``[-clip_value, clip_value]`` in place.

    Examples
    --------
    >>> model = nn.Linear(3, 1)
    >>> (100 * model(ds.ones(4, 3))).sum().backward()  # gradients of 400
    >>> clip_grad_value_(model.parameters(), clip_value=0.5)
    >>> model.weight.grad
    array([[0.5, 0.5, 0.5]], dtype=float32)
    """
    clip_value = _number(clip_value, "clip_value")
    for p in _as_list(parameters):
        if p.grad is not None:
            backend.xp_of(p.grad).clip(p.grad, -clip_value, clip_value, out=p.grad)


def _as_list(parameters) -> list:
    if hasattr(parameters, "grad"):
        return [parameters]
    return list(parameters)


def _norm(x: np.ndarray, norm_type: float) -> float:
    return np.linalg.norm(x.reshape(-1), norm_type)


def _clip_on_device(grads: list, max_norm: float, norm_type: float, error_if_nonfinite: bool):
    """``clip_grad_norm_`` without waiting for the device: the scale stays a device scalar
    (and multiplies by 1 when the norm is within ``max_norm``)."""
    xp = backend.xp_of(grads[0])
    dtype = np.result_type(*(g.dtype for g in grads))
    norms = xp.stack([xp.linalg.norm(g.reshape(-1), norm_type) for g in grads])
    total = xp.linalg.norm(norms, norm_type).astype(dtype)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"the total norm of order {norm_type} of the gradients is {float(total)}, so they "
            f"cannot be clipped; pass error_if_nonfinite=False to scale them by it anyway"
        )
    coef = xp.minimum(max_norm / (total + 1e-6), 1.0).astype(dtype)
    for g in grads:
        g *= coef
    return Tensor._wrap(total)


def _number(value, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}") from None
