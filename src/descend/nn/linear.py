"""Linear: the affine layer ``y = x @ W.T + b``."""

from __future__ import annotations

import numpy as np

from descend.checks import positive_int
from descend.nn import functional as F
from descend.nn import init
from descend.nn.module import Module, Parameter
from descend.tensor.tensor import Tensor


class Linear(Module):
    """Fully connected layer: ``y = x @ weight.T + bias``, as ``torch.nn.Linear``.

    Parameters
    ----------
    in_features, out_features : int
    bias : bool
        Learn an additive bias (default True).

    Attributes
    ----------
    weight : Parameter of shape (out_features, in_features)
    bias : Parameter of shape (out_features,) or None
        Both start as U(-1/sqrt(in_features), 1/sqrt(in_features)), PyTorch's default.

    Shape
    -----
    Input (*, in_features), output (*, out_features).

    Examples
    --------
    >>> layer = nn.Linear(784, 10)
    >>> layer(ds.randn(32, 784)).shape
    (32, 10)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.in_features = positive_int(in_features, "Linear: in_features")
        self.out_features = positive_int(out_features, "Linear: out_features")
        # Stored column-major: weight.T is then a plain row-major (in, out) matrix, and
        # the forward product x @ weight.T is BLAS's untransposed case, which OpenBLAS
        # ran 5-12% faster here than x @ W.T with W row-major (benchmarks/mlp.py).
        # Shape, values and files are the same; functional.linear writes the weight's
        # gradient in the same layout, and the optimizers keep their state in it.
        self.weight = Parameter(np.zeros((self.in_features, self.out_features)).T)
        if bias:
            self.bias = Parameter(np.zeros(self.out_features))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw weight and bias from U(-1/sqrt(in_features), 1/sqrt(in_features))."""
        init.layer_default_(self.weight, self.bias)

    def forward(self, x) -> Tensor:
        shape = x.shape if isinstance(x, Tensor | np.ndarray) else np.shape(x)
        if not shape or shape[-1] != self.in_features:
            got = shape[-1] if shape else "a scalar"
            raise ValueError(
                f"{self.label()} expected input with {self.in_features} features, got {got}"
            )
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}" + (
            "" if self.bias is not None else ", bias=False"
        )
