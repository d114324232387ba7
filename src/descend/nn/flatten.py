"""Flatten: the bridge from (N, C, H, W) feature maps to (N, C*H*W) vectors."""

from __future__ import annotations

from descend.nn.module import Module
from descend.tensor.tensor import Tensor


class Flatten(Module):
    """Merge axes ``start_dim`` .. ``end_dim`` into one (by default all but the batch axis).

    The order is C, then H, then W, as PyTorch's, so a Linear layer after it takes the
    same weights in both libraries.

    Examples
    --------
    >>> nn.Flatten()(ds.zeros(8, 16, 5, 5)).shape
    (8, 400)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x) -> Tensor:
        x = x if isinstance(x, Tensor) else Tensor(x)
        if x.ndim and not -x.ndim <= self.start_dim < x.ndim:
            raise ValueError(
                f"{self.label()}: start_dim {self.start_dim} is out of range for input of "
                f"shape {x.shape}"
            )
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        if (self.start_dim, self.end_dim) == (1, -1):
            return ""
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
