"""Stochastic gradient descent, with optional (Nesterov) momentum and weight decay."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from descend import backend
from descend.optim.optimizer import Optimizer, check_range, decayed_grad, fused, signed
from descend.tensor.tensor import Tensor


class SGD(Optimizer):
    r"""Gradient descent: every parameter moves against its gradient, scaled by ``lr``.

    With gradient :math:`g_t` of parameter :math:`\theta_{t-1}` at step :math:`t`
    (negated when ``maximize``), one step is::

        g = g_t + weight_decay * theta                    # if weight_decay != 0
        if momentum != 0:
            b = g                                         # at t = 1
            b = momentum * b + (1 - dampening) * g        # at t > 1
            g = g + momentum * b   if nesterov  else  b
        theta = theta - lr * g

    This is PyTorch's rule: the momentum buffer starts as the first gradient, without
    dampening, and ``lr`` multiplies the buffer (not the gradient inside it), so a
    learning-rate change takes effect at once.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        Parameters, or parameter groups (dicts with ``"params"`` and overrides).
    lr : float
        Learning rate (default 1e-3, as PyTorch).
    momentum : float
        Momentum factor (default 0: plain gradient descent).
    dampening : float
        Dampening of the gradient's share in the momentum buffer.
    nesterov : bool
        Nesterov momentum: look ahead along the buffer (needs momentum > 0 and no dampening).
    weight_decay : float
        L2 penalty: ``weight_decay * theta`` is added to the gradient.
    maximize : bool
        Ascend instead of descend.

    Examples
    --------
    >>> w = ds.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = ds.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w.data
    array([ 0.8, -1.6], dtype=float32)
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "nesterov": nesterov,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        check_range(group, "lr", "learning rate")
        check_range(group, "momentum", "momentum value")
        check_range(group, "weight_decay", "weight_decay value")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"Nesterov momentum requires a momentum > 0 and zero dampening, got "
                f"momentum={group['momentum']}, dampening={group['dampening']}"
            )

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        momentum = group["momentum"]
        kernel = fused(param, "sgd", _kernel_source, momentum != 0)
        if kernel is not None:
            self._fused_update(kernel, param, grad, state, group)
            return
        xp = backend.xp_of(param)
        work, work2 = self._work(param)
        grad = decayed_grad(param, grad, group["weight_decay"], group["maximize"], work)
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = xp.empty_like(param)  # param's layout
                buf[...] = grad
            else:
                xp.multiply(buf, momentum, out=buf)
                if group["dampening"] == 0:
                    xp.add(buf, grad, out=buf)
                else:
                    xp.add(buf, xp.multiply(grad, 1 - group["dampening"], out=work2), out=buf)
            if group["nesterov"]:
                xp.multiply(buf, momentum, out=work2)
                grad = xp.add(grad, work2, out=work)
            else:
                grad = buf
        xp.multiply(grad, group["lr"], out=work)
        xp.subtract(param, work, out=param)

    def _fused_update(self, kernel, param, grad, state: dict, group: dict) -> None:
        momentum = group["momentum"]
        scalars = [signed(group), group["weight_decay"], group["lr"]]
        if momentum == 0:
            kernel(grad, *scalars, param)
            return
        buf = state.get("momentum_buffer")
        first = buf is None
        if first:  # the buffer starts as the first gradient: keep nothing of zeros, take g
            buf = state["momentum_buffer"] = backend.xp_of(param).zeros_like(param)
        keep = 0.0 if first else momentum
        take = 1.0 if first else 1 - group["dampening"]
        nesterov = momentum if group["nesterov"] else 0.0
        kernel(grad, *scalars, keep, take, nesterov, 0.0 if group["nesterov"] else 1.0, param, buf)


def _kernel_source(momentum: bool) -> tuple[str, str, list[str]]:
    """SGD's rule as one fused kernel (see ``optimizer.fused``). With momentum, the
    buffer keeps ``keep`` of itself and takes ``take`` of the gradient (0 and 1 at the
    first step), and the step is ``g + nesterov * buf`` or ``buf``."""
    lines = ["T g = sign * grad + wd * p;"]
    if not momentum:
        return "T grad, T sign, T wd, T lr", "T p", [*lines, "p = p - lr * g;"]
    lines += [
        "buf = keep * buf + take * g;",
        "p = p - lr * ((1 - plain) * (g + nesterov * buf) + plain * buf);",
    ]
    inputs = "T grad, T sign, T wd, T lr, T keep, T take, T nesterov, T plain"
    return inputs, "T p, T buf", lines
