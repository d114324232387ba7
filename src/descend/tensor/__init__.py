"""Tensors with reverse-mode automatic differentiation."""

from descend.tensor.autograd import is_grad_enabled, no_grad, unbroadcast
from descend.tensor.creation import (
    arange,
    generator,
    manual_seed,
    ones,
    rand,
    randn,
    tensor,
    zeros,
)
from descend.tensor.elementwise import abs, clip, exp, log, relu, sigmoid, sqrt, tanh
from descend.tensor.reductions import max, mean, min, sum, var
from descend.tensor.shape_ops import concat, flatten, reshape, stack, transpose, where
from descend.tensor.tensor import Tensor, get_default_dtype, make, set_default_dtype

__all__ = [
    "Tensor",
    "abs",
    "arange",
    "clip",
    "concat",
    "exp",
    "flatten",
    "generator",
    "get_default_dtype",
    "is_grad_enabled",
    "log",
    "make",
    "manual_seed",
    "max",
    "mean",
    "min",
    "no_grad",
    "ones",
    "rand",
    "randn",
    "relu",
    "reshape",
    "set_default_dtype",
    "sigmoid",
    "sqrt",
    "stack",
    "sum",
    "tanh",
    "tensor",
    "transpose",
    "unbroadcast",
    "var",
    "where",
    "zeros",
]
