"""AdaGrad: a learning rate per weight that shrinks with the squared gradients seen so far."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from descend import backend
from descend.optim.optimizer import Optimizer, check_range, decayed_grad, fused, signed
from descend.tensor.tensor import Tensor


class Adagrad(Optimizer):
    r"""AdaGrad (Duchi, Hazan and Singer, 2011): weights with large past gradients move less.

    With gradient :math:`g_t` at step :math:`t = 1, 2, \dots` (negated when ``maximize``),
    and the sum starting at ``initial_accumulator_value``, one step is::

        g     = g_t + weight_decay * theta               # if weight_decay != 0
        clr   = lr / (1 + (t - 1) * lr_decay)
        sum   = sum + g * g
        theta = theta - clr * g / (sqrt(sum) + eps)

    as PyTorch computes it. The effective step of each weight only ever shrinks, which
    suits sparse features and can stop training early on long runs.

    Parameters
    ----------
    params : iterable of Tensor or of dict
    lr : float
        Learning rate (default 0.01).
    lr_decay : float
        Decay of the learning rate with the step count.
    weight_decay : float
        L2 penalty added to the gradient.
    initial_accumulator_value : float
        Starting value of every squared-gradient sum.
    eps : float
        Added to the denominator for numerical stability.
    maximize : bool
        Ascend instead of descend.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        check_range(group, "lr", "learning rate")
        check_range(group, "lr_decay", "lr_decay value")
        check_range(group, "weight_decay", "weight_decay value")
        check_range(group, "initial_accumulator_value", "initial_accumulator_value value")
        check_range(group, "eps", "epsilon value")

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        xp = backend.xp_of(param)
        if not state:
            state["step"] = 0
            state["sum"] = xp.full_like(param, group["initial_accumulator_value"])
        state["step"] += 1
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        kernel = fused(param, "adagrad", _kernel_source)
        if kernel is not None:
            kernel(
                grad, signed(group), group["weight_decay"], group["eps"], clr, param, state["sum"]
            )
            return
        work, work2 = self._work(param)
        grad = decayed_grad(param, grad, group["weight_decay"], group["maximize"], work)
        total = state["sum"]
        xp.add(total, xp.square(grad, out=work2), out=total)
        std = xp.add(xp.sqrt(total, out=work2), group["eps"], out=work2)
        step = xp.divide(grad, std, out=work2)
        xp.multiply(step, clr, out=step)
        xp.subtract(param, step, out=param)


def _kernel_source() -> tuple[str, str, list[str]]:
    """AdaGrad's rule as one fused kernel (see ``optimizer.fused``): the docstring's lines."""
    lines = [
        "T g = sign * grad + wd * p;",
        "total = total + g * g;",
        "p = p - clr * g / (sqrt(total) + eps);",
    ]
    return "T grad, T sign, T wd, T eps, T clr", "T p, T total", lines
