"""Tensors with reverse-mode automatic differentiation: the engine.

What lives here, and what in ``descend.nn.functional``: ``descend.tensor`` holds the
Tensor, the backward walk, and every op that is a Tensor method or operator, NumPy's
vocabulary (arithmetic, elementwise functions, reductions, shapes and indexing) plus
softmax and log-softmax, which PyTorch offers as Tensor methods as well. It knows
nothing of layers or losses. ``descend.nn.functional`` holds the operations of layers
and losses (linear, convolution, pooling, dropout, normalisation, the losses): each is
built from these ops or is a fused op with its backward beside it, and none is a
Tensor method. Both write an op the same way: the forward on ndarrays, then
``make(out, parents, backward)``.
"""

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
from descend.tensor.reductions import argmax, argmin, max, mean, min, sum, var
from descend.tensor.shape_ops import concat, flatten, reshape, stack, transpose, where
from descend.tensor.softmax import log_softmax, softmax
from descend.tensor.tensor import Tensor, get_default_dtype, make, set_default_dtype

__all__ = [
    "Tensor",
    "abs",
    "arange",
    "argmax",
    "argmin",
    "clip",
    "concat",
    "exp",
    "flatten",
    "generator",
    "get_default_dtype",
    "is_grad_enabled",
    "log",
    "log_softmax",
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
    "softmax",
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
