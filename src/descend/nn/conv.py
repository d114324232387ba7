"""Conv1d and Conv2d: a bank of learned kernels slid over a batch of signals or images."""

from __future__ import annotations

import numpy as np

from descend.checks import positive_int
from descend.nn import functional as F
from descend.nn import init
from descend.nn.functional.geometry import batch_shape, geometry, ntuple, sizes_repr
from descend.nn.module import Module, Parameter
from descend.tensor.tensor import Tensor


def spatial_batch(module: Module, x, channels: int | None, d: int) -> tuple[Tensor, bool]:
    """``x`` as a Tensor (N, C, L) or (N, C, H, W) (``d`` = 1 or 2) and whether it was one
    unbatched (C, ...) sample.

    Checks the channel count (when ``channels`` is given) and names ``module`` in errors.
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.ndim not in (d + 1, d + 2):
        c = "C" if channels is None else channels
        raise ValueError(
            f"{module.label()} expected input of shape {batch_shape(d, c)} or "
            f"{batch_shape(d, c, batch=False)}, got {x.shape}"
        )
    single = x.ndim == d + 1
    if single:
        x = x.reshape(1, *x.shape)
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{module.label()} expected {channels} input channels, got {x.shape[1]}")
    return x, single


class _ConvNd(Module):
    """The parameters, checks and repr shared by Conv1d and Conv2d (``d`` spatial axes)."""

    d: int

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        bias: bool = True,
    ) -> None:
        super().__init__()
        name, d = type(self).__name__, self.d
        self.in_channels = positive_int(in_channels, f"{name}: in_channels")
        self.out_channels = positive_int(out_channels, f"{name}: out_channels")
        self.kernel_size = ntuple(kernel_size, d, "kernel_size", 1, name)
        self.stride = ntuple(stride, d, "stride", 1, name)
        self.padding = ntuple(padding, d, "padding", 0, name)
        self.weight = Parameter(np.zeros((self.out_channels, self.in_channels, *self.kernel_size)))
        if bias:
            self.bias = Parameter(np.zeros(self.out_channels))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw weight and bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
        init.layer_default_(self.weight, self.bias)

    def forward(self, x) -> Tensor:
        x, single = spatial_batch(self, x, self.in_channels, self.d)
        geometry(self.label(), x.shape[2:], self.kernel_size, self.stride, self.padding)
        conv = F.conv1d if self.d == 1 else F.conv2d
        out = conv(x, self.weight, self.bias, self.stride, self.padding)
        return out.reshape(out.shape[1:]) if single else out

    def extra_repr(self) -> str:
        parts = [str(self.in_channels), str(self.out_channels), sizes_repr(self.kernel_size)]
        if any(s != 1 for s in self.stride):
            parts.append(f"stride={sizes_repr(self.stride)}")
        if any(self.padding):
            parts.append(f"padding={sizes_repr(self.padding)}")
        if self.bias is None:
            parts.append("bias=False")
        return ", ".join(parts)


class Conv1d(_ConvNd):
    """1-D convolution (cross-correlation, as ``torch.nn.Conv1d``) of (N, C, L) batches.

    Each of the ``out_channels`` kernels (``in_channels`` x k weights) slides along the
    padded signal in steps of ``stride``; at each position the output is the dot product
    of the kernel with the input under it, plus the kernel's bias. Computed by the same
    im2col and matrix product as ``Conv2d``, the signal being an image of height 1.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int
    stride : int
    padding : int
        Zeros added at both ends of the signal.
    bias : bool

    Attributes
    ----------
    weight : Parameter of shape (out_channels, in_channels, k)
    bias : Parameter of shape (out_channels,) or None
        Both start as U(-1/sqrt(fan_in), 1/sqrt(fan_in)), ``fan_in = in_channels*k``.

    Shape
    -----
    Input (N, C_in, L) or (C_in, L); output (N, C_out, Lo) (or without N) with
    ``Lo = (L + 2*padding - k) // stride + 1``.

    Examples
    --------
    >>> conv = nn.Conv1d(1, 16, 5, stride=2, padding=2)
    >>> conv(ds.randn(8, 1, 40)).shape
    (8, 16, 20)
    """

    d = 1


class Conv2d(_ConvNd):
    """2-D convolution (cross-correlation, as ``torch.nn.Conv2d``) of (N, C, H, W) batches.

    Each of the ``out_channels`` kernels (``in_channels`` x kh x kw weights) slides
    over the padded input in steps of ``stride``; at each position the output is the
    dot product of the kernel with the input under it, plus the kernel's bias.
    Computed by im2col and one matrix product (see ``descend.nn.functional.conv``).

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or (int, int)
    stride : int or (int, int)
    padding : int or (int, int)
        Zeros added on both sides of height and width.
    bias : bool

    Attributes
    ----------
    weight : Parameter of shape (out_channels, in_channels, kh, kw)
    bias : Parameter of shape (out_channels,) or None
        Both start as U(-1/sqrt(fan_in), 1/sqrt(fan_in)), ``fan_in = in_channels*kh*kw``.

    Shape
    -----
    Input (N, C_in, H, W) or (C_in, H, W); output (N, C_out, Ho, Wo) (or without N) with
    ``Ho = (H + 2*padding - kh) // stride + 1``, likewise Wo.

    Examples
    --------
    >>> conv = nn.Conv2d(1, 6, 5, padding=2)
    >>> conv(ds.randn(8, 1, 28, 28)).shape
    (8, 6, 28, 28)
    """

    d = 2
