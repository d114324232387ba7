"""The function forms of the layers and losses: ``import descend.nn.functional as F``.

Every function here is a differentiable op (or a composition of them); the layers in
``descend.nn`` hold parameters and call these. The rule for what lives here: the
operations of layers and losses, which are not Tensor methods (linear, convolution,
pooling, dropout, normalisation, losses, leaky_relu). Ops that are Tensor methods live
in ``descend.tensor`` (see its docstring); ``relu``, ``sigmoid``, ``tanh``, ``softmax``
and ``log_softmax`` are those, offered here under their PyTorch names.
"""

from descend.nn.functional.activation import (
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    softmax,
    tanh,
)
from descend.nn.functional.conv import conv1d, conv2d
from descend.nn.functional.cross_entropy import cross_entropy, nll_loss
from descend.nn.functional.dropout import dropout
from descend.nn.functional.linear import linear
from descend.nn.functional.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    huber_loss,
    l1_loss,
    mse_loss,
)
from descend.nn.functional.normalization import batch_norm
from descend.nn.functional.pooling import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d

__all__ = [
    "avg_pool1d",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv1d",
    "conv2d",
    "cross_entropy",
    "dropout",
    "huber_loss",
    "l1_loss",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool1d",
    "max_pool2d",
    "mse_loss",
    "nll_loss",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]
