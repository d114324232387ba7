"""Pooling layers: the max or the mean of each window, per channel."""

from __future__ import annotations

from descend.nn import functional as F
from descend.nn.conv import image_batch, pair, pair_repr
from descend.nn.module import Module
from descend.tensor.conv import output_size
from descend.tensor.tensor import Tensor


class _Pool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        name = type(self).__name__
        self.kernel_size = pair(kernel_size, "kernel_size", name, 1)
        self.stride = self.kernel_size if stride is None else pair(stride, "stride", name, 1)
        self.padding = pair(padding, "padding", name, 0)
        if any(p > k // 2 for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(
                f"{name}: padding {self.padding} must be at most half the kernel size "
                f"{self.kernel_size}"
            )

    def _pool(self, fn, x) -> Tensor:
        x, single = image_batch(self, x, None)
        output_size(self.label(), x.shape[2:], self.kernel_size, self.stride, self.padding)
        out = fn(x, self.kernel_size, self.stride, self.padding)
        return out.reshape(out.shape[1:]) if single else out

    def extra_repr(self) -> str:
        parts = [pair_repr(self.kernel_size)]
        if self.stride != self.kernel_size:
            parts.append(f"stride={pair_repr(self.stride)}")
        if self.padding != (0, 0):
            parts.append(f"padding={pair_repr(self.padding)}")
        return ", ".join(parts)


class MaxPool2d(_Pool2d):
    """Largest value of each ``kernel_size`` window, moved by ``stride`` (default: the kernel).

    The gradient flows to the first largest value of each window, as in PyTorch.
    Padding counts as minus infinity.

    Shape
    -----
    Input (N, C, H, W) or (C, H, W); output (N, C, Ho, Wo) with
    ``Ho = (H + 2*padding - kh) // stride + 1``, likewise Wo.

    Examples
    --------
    >>> nn.MaxPool2d(2)(ds.randn(8, 6, 28, 28)).shape
    (8, 6, 14, 14)
    """

    def forward(self, x) -> Tensor:
        return self._pool(F.max_pool2d, x)


class AvgPool2d(_Pool2d):
    """Mean of each ``kernel_size`` window, moved by ``stride`` (default: the kernel).

    Zero padding counts in the mean (PyTorch's ``count_include_pad=True``).

    Examples
    --------
    >>> nn.AvgPool2d(2)(ds.randn(8, 6, 28, 28)).shape
    (8, 6, 14, 14)
    """

    def forward(self, x) -> Tensor:
        return self._pool(F.avg_pool2d, x)
