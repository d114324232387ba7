"""Conv2d: a bank of learned kernels slid over a batch of images."""

from __future__ import annotations

import numpy as np

from descend.nn import functional as F
from descend.nn import init
from descend.nn.module import Module, Parameter
from descend.tensor.conv import output_size
from descend.tensor.tensor import Tensor


def pair(value, name: str, owner: str, least: int) -> tuple[int, int]:
    """``value`` as (height, width): an int means both; checked to be ints >= ``least``."""
    pair_ = (value, value) if isinstance(value, int | np.integer) else tuple(value)
    if len(pair_) != 2 or not all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= least for v in pair_
    ):
        raise ValueError(
            f"{owner}: {name} must be an int >= {least} or a pair of them, got {value!r}"
        )
    return int(pair_[0]), int(pair_[1])


def image_batch(module: Module, x, channels: int | None) -> tuple[Tensor, bool]:
    """``x`` as a Tensor (N, C, H, W) and whether it was one (C, H, W) image.

    Checks the channel count (when ``channels`` is given) and names ``module`` in errors.
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.ndim not in (3, 4):
        c = "C" if channels is None else channels
        raise ValueError(
            f"{module.label()} expected input of shape (N, {c}, H, W) or ({c}, H, W), got {x.shape}"
        )
    single = x.ndim == 3
    if single:
        x = x.reshape(1, *x.shape)
    if channels is not None and x.shape[1] != channels:
        raise ValueError(f"{module.label()} expected {channels} input channels, got {x.shape[1]}")
    return x, single


class Conv2d(Module):
    """2-D convolution (cross-correlation, as ``torch.nn.Conv2d``) of (N, C, H, W) batches.

    Each of the ``out_channels`` kernels (``in_channels`` x kh x kw weights) slides
    over the padded input in steps of ``stride``; at each position the output is the
    dot product of the kernel with the input under it, plus the kernel's bias.
    Computed by im2col and one matrix product (see ``descend.tensor.conv``).

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
        name = "Conv2d"
        for what, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"{name}: {what} must be a positive int, got {value!r}")
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.kernel_size = pair(kernel_size, "kernel_size", name, 1)
        self.stride = pair(stride, "stride", name, 1)
        self.padding = pair(padding, "padding", name, 0)
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
        x, single = image_batch(self, x, self.in_channels)
        output_size(self.label(), x.shape[2:], self.kernel_size, self.stride, self.padding)
        out = F.conv2d(x, self.weight, self.bias, self.stride, self.padding)
        return out.reshape(out.shape[1:]) if single else out

    def extra_repr(self) -> str:
        parts = [str(self.in_channels), str(self.out_channels), pair_repr(self.kernel_size)]
        if self.stride != (1, 1):
            parts.append(f"stride={pair_repr(self.stride)}")
        if self.padding != (0, 0):
            parts.append(f"padding={pair_repr(self.padding)}")
        if self.bias is None:
            parts.append("bias=False")
        return ", ".join(parts)


def pair_repr(value: tuple[int, int]) -> str:
    """``5`` for (5, 5), ``(3, 5)`` otherwise."""
    return str(value[0]) if value[0] == value[1] else str(value)
