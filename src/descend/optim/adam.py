"""Adam and AdamW: momentum and RMSProp together, with bias correction."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from descend import backend
from descend.optim.optimizer import Optimizer, check_range, decayed_grad, ema_, fused, signed
from descend.tensor.tensor import Tensor


class Adam(Optimizer):
    r"""Adam (Kingma and Ba, 2015): steps scaled by running moments of the gradient.

    With gradient :math:`g_t` at step :math:`t = 1, 2, \dots` (negated when
    ``maximize``), moments starting at zero and ``beta1, beta2 = betas``, one step is::

        g     = g_t + weight_decay * theta               # Adam, if weight_decay != 0
        theta = theta * (1 - lr * weight_decay)          # AdamW instead (decoupled)
        m     = beta1 * m + (1 - beta1) * g
        v     = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)                            # if amsgrad; then v := v_max
        m_hat = m / (1 - beta1 ** t)                     # bias corrections: the moments
        v_hat = v / (1 - beta2 ** t)                     # start at zero
        theta = theta - lr * m_hat / (sqrt(v_hat) + eps)

    which is PyTorch's rule (the last line is evaluated as
    ``theta -= lr * c2 / c1 * m / (sqrt(v) + c2 * eps)`` with ``c1 = 1 - beta1**t`` and
    ``c2 = sqrt(1 - beta2**t)``, the same number in one pass over the weights less).

    Parameters
    ----------
    params : iterable of Tensor or of dict
    lr : float
        Learning rate (default 1e-3).
    betas : (float, float)
        Decay rates of the first and second moment averages.
    eps : float
        Added to the denominator for numerical stability.
    weight_decay : float
        L2 penalty added to the gradient (Adam) or decoupled decay (AdamW).
    amsgrad : bool
        Normalise by the largest second moment seen so far (Reddi et al., 2018).
    maximize : bool
        Ascend instead of descend.
    decoupled_weight_decay : bool
        Shrink the weights directly instead of adding the penalty to the gradient
        (what AdamW does).

    Examples
    --------
    >>> w = ds.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = ds.optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()                # the first step moves each weight by about lr
    >>> w.data.round(4)
    array([ 0.9, -1.9], dtype=float32)
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        check_range(group, "lr", "learning rate")
        check_range(group, "eps", "epsilon value")
        betas = group["betas"]
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        for i, beta in enumerate(betas):
            check_range({"beta": beta}, "beta", f"beta parameter at index {i}", 0.0, 1.0)
        check_range(group, "weight_decay", "weight_decay value")

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        xp = backend.xp_of(param)
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(param)
            state["exp_avg_sq"] = xp.zeros_like(param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(param)
        state["step"] += 1
        step = state["step"]
        lr, weight_decay = group["lr"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        c1, c2 = 1 - beta1**step, (1 - beta2**step) ** 0.5
        decoupled, amsgrad = group["decoupled_weight_decay"], group["amsgrad"]
        kernel = fused(param, "adam", _kernel_source, amsgrad)
        if kernel is not None:
            outputs = [state["exp_avg"], state["exp_avg_sq"]]
            kernel(
                grad,
                signed(group),
                0.0 if decoupled else weight_decay,
                1 - lr * weight_decay if decoupled else 1.0,
                beta1,
                beta2,
                lr * c2 / c1,
                c2 * group["eps"],
                param,
                *outputs,
                *([state["max_exp_avg_sq"]] if amsgrad else []),
            )
            return
        work, work2 = self._work(param)
        if decoupled:
            grad = decayed_grad(param, grad, 0.0, group["maximize"], work)
            if weight_decay != 0:
                xp.multiply(param, 1 - lr * weight_decay, out=param)
        else:
            grad = decayed_grad(param, grad, weight_decay, group["maximize"], work)

        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        ema_(exp_avg, grad, beta1, work2)
        ema_(exp_avg_sq, xp.square(grad, out=work2), beta2, work2)
        if amsgrad:
            exp_avg_sq = xp.maximum(
                state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"]
            )

        # m_hat / (sqrt(v_hat) + eps) = (c2 / c1) * m / (sqrt(v) + c2 * eps) with the bias
        # corrections c1 = 1 - beta1**t and c2 = sqrt(1 - beta2**t): one pass less.
        denom = xp.sqrt(exp_avg_sq, out=work2)
        denom += c2 * group["eps"]
        update = xp.divide(exp_avg, denom, out=work2)
        update *= lr * c2 / c1
        param -= update


def _kernel_source(amsgrad: bool) -> tuple[str, str, list[str]]:
    """Adam's rule as one fused kernel (see ``optimizer.fused``): the lines of the
    docstring, with Adam's L2 term (``wd``) and AdamW's shrink (``shrink``) as factors."""
    lines = [
        "T g = sign * grad + wd * p;",
        "p = p * shrink;",
        "m = b1 * m + (1 - b1) * g;",
        "v = b2 * v + (1 - b2) * g * g;",
    ]
    if amsgrad:
        lines += ["vmax = max(vmax, v);", "p = p - step_size * m / (sqrt(vmax) + eps_c2);"]
    else:
        lines += ["p = p - step_size * m / (sqrt(v) + eps_c2);"]
    inputs = "T grad, T sign, T wd, T shrink, T b1, T b2, T step_size, T eps_c2"
    return inputs, "T p, T m, T v" + (", T vmax" if amsgrad else ""), lines


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov and Hutter, 2019).

    Instead of adding ``weight_decay * theta`` to the gradient, where Adam's scaling
    would weaken the penalty for weights with large gradients, every step first
    shrinks the weights: ``theta *= 1 - lr * weight_decay``; the rest is Adam's rule
    (see :class:`Adam`). Default ``weight_decay`` is 0.01, as in PyTorch.
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )
