"""Batch normalisation over the channel axis (axis 1), with its backward beside it."""

from __future__ import annotations

import numpy as np

from descend import backend
from descend.tensor.operands import operands
from descend.tensor.tensor import Tensor, make


def batch_norm(
    x,
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    weight=None,
    bias=None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel to zero mean and unit variance, then scale and shift.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias`` per channel (axis 1), the
    statistics taken over every other axis. In training (or without running
    statistics) ``mean`` and ``var`` are the batch's own (biased variance), and the
    running statistics, when given, move towards them in place:
    ``running = (1 - momentum) * running + momentum * batch`` (with the unbiased batch
    variance, as PyTorch). Otherwise the running statistics are used.

    Parameters
    ----------
    x : Tensor of shape (N, C) or (N, C, *)
    running_mean, running_var : ndarray of shape (C,) or None
    weight, bias : Tensor of shape (C,), optional
    training : bool
    momentum : float
    eps : float
    """
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, *), got {x.shape}")
    c = x.shape[1]
    shape = (1, c) + (1,) * (x.ndim - 2)
    axes = (0,) + tuple(range(2, x.ndim))
    w = _channel_param(weight, x, c, "weight")
    b = _channel_param(bias, x, c, "bias")
    wd = None if w is None else w.data.reshape(shape)
    xd = x.data
    xp = backend.xp_of(xd)
    if running_mean is not None and backend.device_of(running_mean) != backend.device_of(xd):
        raise RuntimeError(
            f"expected all tensors on one device, got {backend.device_of(xd)} and "
            f"{backend.device_of(running_mean)} (running statistics); move the module with .to()"
        )

    batch_stats = training or running_mean is None
    if batch_stats:
        count = xd.size // c if c else 0
        if count <= 1:
            raise ValueError(
                f"batch_norm: training needs more than one value per channel, got input of "
                f"shape {x.shape}; use a larger batch or call .eval()"
            )
        mean = xd.mean(axis=axes, keepdims=True)
        centred = xd - mean
        var = (centred * centred).mean(axis=axes, keepdims=True)
        inv_std = 1 / xp.sqrt(var + eps)
        if training and running_mean is not None:
            _update(running_mean, mean.reshape(c), momentum)
            _update(running_var, var.reshape(c) * (count / (count - 1)), momentum)
    else:
        inv_std = 1 / xp.sqrt(running_var.astype(xd.dtype, copy=False).reshape(shape) + eps)
        centred = xd - running_mean.astype(xd.dtype, copy=False).reshape(shape)
    normalised = centred * inv_std
    out = normalised if wd is None else normalised * wd
    if b is not None:
        out = out + b.data.reshape(shape)

    def backward(g):
        gn = g if wd is None else g * wd
        grads = [None]
        if x.requires_grad:
            if batch_stats:
                # The batch mean and variance depend on x too.
                grads[0] = inv_std * (
                    gn
                    - gn.mean(axis=axes, keepdims=True)
                    - normalised * (gn * normalised).mean(axis=axes, keepdims=True)
                )
            else:
                grads[0] = gn * inv_std
        if w is not None:
            grads.append((g * normalised).sum(axis=axes) if w.requires_grad else None)
        if b is not None:
            grads.append(g.sum(axis=axes) if b.requires_grad else None)
        return tuple(grads)

    parents = (x,) + tuple(p for p in (w, b) if p is not None)
    attrs = (running_mean, running_var, eps, batch_stats, w is not None)
    return make(out, parents, backward, "batch_norm", attrs)


def _channel_param(param, x: Tensor, c: int, name: str) -> Tensor | None:
    if param is None:
        return None
    param = operands(x, param)[1]
    if param.shape != (c,):
        raise ValueError(f"batch_norm: {name} must have shape ({c},), got {param.shape}")
    return param


def _update(running: np.ndarray, batch: np.ndarray, momentum: float) -> None:
    running *= 1 - momentum
    running += momentum * batch
