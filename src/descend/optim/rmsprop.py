"""RMSProp: divide the gradient by a running root mean square of recent gradients."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from descend import backend
from descend.optim.optimizer import Optimizer, check_range, decayed_grad, ema_, fused, signed
from descend.tensor.tensor import Tensor


class RMSprop(Optimizer):
    r"""RMSProp (Hinton's lecture notes, 2012): AdaGrad with a forgetting average.

    With gradient :math:`g_t` (negated when ``maximize``) and every buffer starting at
    zero, one step is::

        g     = g_t + weight_decay * theta               # if weight_decay != 0
        v     = alpha * v + (1 - alpha) * g * g
        if centered:                                     # divide by a variance estimate
            m = alpha * m + (1 - alpha) * g
            d = sqrt(v - m * m) + eps
        else:
            d = sqrt(v) + eps
        if momentum > 0:
            b     = momentum * b + g / d
            theta = theta - lr * b
        else:
            theta = theta - lr * g / d

    as PyTorch computes it (``eps`` outside the square root; the momentum buffer
    starts at zero).

    Parameters
    ----------
    params : iterable of Tensor or of dict
    lr : float
        Learning rate (default 0.01).
    alpha : float
        Smoothing constant of the squared-gradient average.
    eps : float
        Added to the denominator for numerical stability.
    weight_decay : float
        L2 penalty added to the gradient.
    momentum : float
        Momentum factor.
    centered : bool
        Normalise by an estimate of the gradient's variance instead of its second moment.
    maximize : bool
        Ascend instead of descend.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        check_range(group, "lr", "learning rate")
        check_range(group, "eps", "epsilon value")
        check_range(group, "momentum", "momentum value")
        check_range(group, "weight_decay", "weight_decay value")
        check_range(group, "alpha", "alpha value")

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        xp = backend.xp_of(param)
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(param)
            if group["momentum"] > 0:
                state["momentum_buffer"] = xp.zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(param)
        state["step"] += 1
        centered, momentum = group["centered"], group["momentum"] > 0
        kernel = fused(param, "rmsprop", _kernel_source, centered, momentum)
        if kernel is not None:
            outputs = [
                state[k] for k in ("square_avg", "grad_avg", "momentum_buffer") if k in state
            ]
            scalars = [group[k] for k in ("weight_decay", "alpha", "eps", "momentum", "lr")]
            kernel(grad, signed(group), *scalars, param, *outputs)
            return
        work, work2 = self._work(param)
        grad = decayed_grad(param, grad, group["weight_decay"], group["maximize"], work)
        alpha = group["alpha"]
        square_avg = state["square_avg"]
        ema_(square_avg, xp.square(grad, out=work2), alpha, work2)
        if centered:
            grad_avg = state["grad_avg"]
            ema_(grad_avg, grad, alpha, work2)
            xp.subtract(square_avg, xp.multiply(grad_avg, grad_avg, out=work2), out=work2)
            avg = xp.sqrt(work2, out=work2)
        else:
            avg = xp.sqrt(square_avg, out=work2)
        xp.add(avg, group["eps"], out=avg)
        step = xp.divide(grad, avg, out=work2)
        if momentum:
            buf = state["momentum_buffer"]
            xp.multiply(buf, group["momentum"], out=buf)
            step = xp.add(buf, step, out=buf)
        xp.multiply(step, group["lr"], out=work2)
        xp.subtract(param, work2, out=param)


def _kernel_source(centered: bool, momentum: bool) -> tuple[str, str, list[str]]:
    """RMSProp's rule as one fused kernel (see ``optimizer.fused``): the docstring's lines."""
    lines = ["T g = sign * grad + wd * p;", "sq = alpha * sq + (1 - alpha) * g * g;"]
    outputs = "T p, T sq"
    if centered:
        lines += ["ga = alpha * ga + (1 - alpha) * g;", "T d = sqrt(sq - ga * ga) + eps;"]
        outputs += ", T ga"
    else:
        lines += ["T d = sqrt(sq) + eps;"]
    if momentum:
        lines += ["buf = momentum * buf + g / d;", "p = p - lr * buf;"]
        outputs += ", T buf"
    else:
        lines += ["p = p - lr * g / d;"]
    return "T grad, T sign, T wd, T alpha, T eps, T momentum, T lr", outputs, lines
