"""Arithmetic: + - * / ** @ and negation, each with its backward beside it.

Binary ops broadcast as NumPy does; their backward sums the gradient over the
broadcast axes (``unbroadcast``).
"""

from __future__ import annotations

import operator

import numpy as np

from descend import backend
from descend.backend import xp_of
from descend.tensor.autograd import unbroadcast
from descend.tensor.operands import operands
from descend.tensor.tensor import Tensor, make


def _broadcast(op, a: Tensor, b: Tensor, name: str) -> np.ndarray:
    # The operators (not np.add, ...) so that each array's own module computes.
    try:
        return op(a.data, b.data)
    except ValueError:
        raise ValueError(
            f"{name}: shapes {a.shape} and {b.shape} cannot be broadcast together"
        ) from None


def add(a, b) -> Tensor:
    a, b = operands(a, b)

    def backward(g):
        return (
            unbroadcast(g, a.data.shape) if a.requires_grad else None,
            unbroadcast(g, b.data.shape) if b.requires_grad else None,
        )

    return make(_broadcast(operator.add, a, b, "add"), (a, b), backward, "add")


def sub(a, b) -> Tensor:
    a, b = operands(a, b)

    def backward(g):
        return (
            unbroadcast(g, a.data.shape) if a.requires_grad else None,
            unbroadcast(-g, b.data.shape) if b.requires_grad else None,
        )

    return make(_broadcast(operator.sub, a, b, "sub"), (a, b), backward, "sub")


def mul(a, b) -> Tensor:
    a, b = operands(a, b)

    def backward(g):
        return (
            unbroadcast(g * b.data, a.data.shape) if a.requires_grad else None,
            unbroadcast(g * a.data, b.data.shape) if b.requires_grad else None,
        )

    return make(_broadcast(operator.mul, a, b, "mul"), (a, b), backward, "mul")


def div(a, b) -> Tensor:
    a, b = operands(a, b)
    out = _broadcast(operator.truediv, a, b, "div")

    def backward(g):
        ga = g / b.data
        return (
            unbroadcast(ga, a.data.shape) if a.requires_grad else None,
            unbroadcast(-ga * out, b.data.shape) if b.requires_grad else None,
        )

    return make(out, (a, b), backward, "div")


def neg(a: Tensor) -> Tensor:
    return make(-a.data, (a,), lambda g: (-g,), "neg")


def pow(a, b) -> Tensor:  # noqa: A001 - the name of the operator
    """``a ** b``; a Python number as exponent stays a constant."""
    if isinstance(a, Tensor) and isinstance(b, int | float):
        out = a.data**b

        def backward_const(g):
            if b == 0:  # d(a**0)/da = 0 everywhere, also at a = 0 (as PyTorch)
                return (xp_of(a.data).zeros_like(a.data),)
            return (g * b * a.data ** (b - 1),)

        return make(out, (a,), backward_const, "pow", (b,))

    a, b = operands(a, b)
    out = _broadcast(operator.pow, a, b, "pow")

    def backward(g):
        ga = gb = None
        if a.requires_grad:  # 0 where b == 0, also at a = 0 (as PyTorch)
            xp = xp_of(a.data)
            with backend.errstate(a.data, divide="ignore", invalid="ignore"):
                ga = xp.where(b.data == 0, 0, g * b.data * a.data ** (b.data - 1))
            ga = unbroadcast(ga.astype(out.dtype, copy=False), a.data.shape)
        if b.requires_grad:
            # d(a**b)/db = a**b * log(a); where a == 0 the limit is 0 (as PyTorch).
            xp = xp_of(a.data)
            with backend.errstate(a.data, divide="ignore", invalid="ignore"):
                log_a = xp.where(a.data == 0, 0, xp.log(a.data))
            gb = unbroadcast(g * out * log_a, b.data.shape)
        return ga, gb

    return make(out, (a, b), backward, "pow")


def matmul(a, b) -> Tensor:
    """Matrix product with NumPy's rules for 1-D and batched operands."""
    a, b = operands(a, b)
    try:
        out = a.data @ b.data
    except ValueError:
        raise ValueError(_matmul_mismatch(a.shape, b.shape)) from None

    def backward(g):
        ad, bd = a.data, b.data
        if ad.ndim == 2 and bd.ndim == 2:
            return (
                g @ bd.T if a.requires_grad else None,
                ad.T @ g if b.requires_grad else None,
            )
        if ad.ndim == 1 and bd.ndim == 1:
            return (g * bd if a.requires_grad else None, g * ad if b.requires_grad else None)
        # Lift 1-D operands to matrices, as NumPy does, then undo it.
        a2 = ad[None, :] if ad.ndim == 1 else ad
        b2 = bd[:, None] if bd.ndim == 1 else bd
        g2 = g
        if ad.ndim == 1:
            g2 = g2[..., None, :]
        if bd.ndim == 1:
            g2 = g2[..., None]
        ga = gb = None
        if a.requires_grad:
            ga = unbroadcast(g2 @ b2.swapaxes(-1, -2), a2.shape).reshape(ad.shape)
        if b.requires_grad:
            gb = unbroadcast(a2.swapaxes(-1, -2) @ g2, b2.shape).reshape(bd.shape)
        return ga, gb

    return make(out, (a, b), backward, "matmul")


def _matmul_mismatch(sa: tuple, sb: tuple) -> str:
    if not sa or not sb:
        return f"matmul: operands must have at least 1 dimension, got shapes {sa} and {sb}"
    inner_b = sb[0] if len(sb) == 1 else sb[-2]
    if sa[-1] != inner_b:
        return (
            f"matmul: shapes {sa} and {sb} do not align: the first has {sa[-1]} columns, "
            f"the second {inner_b} rows"
        )
    return f"matmul: batch dimensions of shapes {sa} and {sb} cannot be broadcast together"
