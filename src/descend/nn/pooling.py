"""Pooling layers: the max or the mean of each window, per channel, over signals or images."""

from __future__ import annotations

from descend.nn import functional as F
from descend.nn.conv import spatial_batch
from descend.nn.functional.geometry import geometry, ntuple, sizes_repr
from descend.nn.module import Module
from descend.tensor.tensor import Tensor


class _PoolNd(Module):
    """Window sizes, checks and repr shared by the pooling layers (``d`` spatial axes)."""

    d: int

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        name, d = type(self).__name__, self.d
        self.kernel_size = ntuple(kernel_size, d, "kernel_size", 1, name)
        self.stride = self.kernel_size if stride is None else ntuple(stride, d, "stride", 1, name)
        self.padding = ntuple(padding, d, "padding", 0, name)
        if any(p > k // 2 for p, k in zip(self.padding, self.kernel_size)):
            raise ValueError(
                f"{name}: padding {sizes_repr(self.padding)} must be at most half the kernel "
                f"size {sizes_repr(self.kernel_size)}"
            )

    def _pool(self, fn, x) -> Tensor:
        x, single = spatial_batch(self, x, None, self.d)
        geometry(self.label(), x.shape[2:], self.kernel_size, self.stride, self.padding)
        out = fn(x, self.kernel_size, self.stride, self.padding)
        return out.reshape(out.shape[1:]) if single else out

    def extra_repr(self) -> str:
        parts = [sizes_repr(self.kernel_size)]
        if self.stride != self.kernel_size:
            parts.append(f"stride={sizes_repr(self.stride)}")
        if any(self.padding):
            parts.append(f"padding={sizes_repr(self.padding)}")
        return ", ".join(parts)


class MaxPool1d(_PoolNd):
    """Largest value of each ``kernel_size`` window of a signal, moved by ``stride``
    (default: the kernel).

    The gradient flows to the first largest value of each window, as in PyTorch.
    Padding counts as minus infinity.

    Shape
    -----
    Input (N, C, L) or (C, L); output (N, C, Lo) with ``Lo = (L + 2*padding - k) // stride + 1``.

    Examples
    --------
    >>> nn.MaxPool1d(2)(ds.randn(8, 16, 40)).shape
    (8, 16, 20)
    """

    d = 1

    def forward(self, x) -> Tensor:
        return self._pool(F.max_pool1d, x)


class MaxPool2d(_PoolNd):
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

    d = 2

    def forward(self, x) -> Tensor:
        return self._pool(F.max_pool2d, x)


class AvgPool1d(_PoolNd):
    """Mean of each ``kernel_size`` window of a signal, moved by ``stride`` (default: the
    kernel). Zero padding counts in the mean (PyTorch's ``count_include_pad=True``).

    Examples
    --------
    >>> nn.AvgPool1d(4)(ds.randn(8, 16, 40)).shape
    (8, 16, 10)
    """

    d = 1

    def forward(self, x) -> Tensor:
        return self._pool(F.avg_pool1d, x)


class AvgPool2d(_PoolNd):
    """Mean of each ``kernel_size`` window, moved by ``stride`` (default: the kernel).

    Zero padding counts in the mean (PyTorch's ``count_include_pad=True``).

    Examples
    --------
    >>> nn.AvgPool2d(2)(ds.randn(8, 6, 28, 28)).shape
    (8, 6, 14, 14)
    """

    d = 2

    def forward(self, x) -> Tensor:
        return self._pool(F.avg_pool2d, x)
