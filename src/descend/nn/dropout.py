"""Dropout: a regulariser that zeroes random activations while training."""

from __future__ import annotations

from descend.nn import functional as F
from descend.nn.functional.dropout import check_probability
from descend.nn.module import Module
from descend.tensor.tensor import Tensor


class Dropout(Module):
    """Zero each element with probability ``p`` in training mode; identity in eval mode.

    Survivors are scaled by ``1 / (1 - p)`` so every element keeps its expected value,
    and the network needs no change at evaluation time. The mask is drawn from the
    library's generator (``ds.manual_seed`` makes it repeatable).

    Examples
    --------
    >>> drop = nn.Dropout(0.5)
    >>> out = drop(ds.ones(10_000))
    >>> sorted(set(out.tolist()))  # each element dropped (0) or doubled (2)
    [0.0, 2.0]
    >>> round(out.mean().item(), 1)  # so the mean stays
    1.0
    >>> drop.eval()(ds.ones(3))
    tensor([1., 1., 1.])
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        check_probability(p, "Dropout")
        self.p = p

    def forward(self, x) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
