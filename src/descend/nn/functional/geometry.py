"""Where a kernel sits over a signal or an image: sizes, strides, padding, output size.

Convolution and pooling share this arithmetic in one and two dimensions. Sizes are
tuples with one entry per spatial axis: (L,) for signals (N, C, L), (H, W) for images
(N, C, H, W). The kernels compute in two dimensions only; a signal is an image of
height 1 (``Geometry.as_2d``), which gives exactly the same numbers.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from descend.backend import xp_of


class Geometry(NamedTuple):
    """The sizes of one convolution or pooling, one entry per spatial axis.

    ``out[i] = (size[i] + 2*padding[i] - kernel[i]) // stride[i] + 1``.
    """

    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    size: tuple[int, ...]  # the input's, before padding
    out: tuple[int, ...]

    def as_2d(self) -> Geometry:
        """The same geometry over (H, W), a 1-D one lifted to height 1."""
        if len(self.kernel) == 2:
            return self
        return Geometry(
            (1, *self.kernel),
            (1, *self.stride),
            (0, *self.padding),
            (1, *self.size),
            (1, *self.out),
        )

    @property
    def tiled(self) -> bool:
        """Windows side by side without padding (stride == kernel), the usual pooling."""
        return self.stride == self.kernel and not any(self.padding)

    @property
    def overlapping(self) -> bool:
        return any(s < k for s, k in zip(self.stride, self.kernel))


def ntuple(value, n: int, name: str, least: int, owner: str) -> tuple[int, ...]:
    """``value`` as n ints (an int means the same on every axis), each >= ``least``.

    ``owner`` (the op or layer) starts the error message.

    Examples
    --------
    >>> ntuple(3, 2, "stride", 1, "conv2d")
    (3, 3)
    >>> ntuple((2,), 1, "kernel_size", 1, "conv1d")
    (2,)
    """
    values = (value,) * n if isinstance(value, int | np.integer) else tuple(np.atleast_1d(value))
    if len(values) != n or not all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= least for v in values
    ):
        more = "" if n == 1 else " or a pair of them"
        raise ValueError(f"{owner}: {name} must be an int >= {least}{more}, got {value!r}")
    return tuple(int(v) for v in values)


def sizes_repr(value: tuple[int, ...]) -> str:
    """``5`` for (5,) or (5, 5), ``(3, 5)`` otherwise."""
    return str(value[0]) if len(set(value)) == 1 else str(value)


def geometry(owner: str, size, kernel, stride, padding) -> Geometry:
    """The geometry of a kernel over an input of spatial ``size``, or a ValueError when the
    kernel does not fit the padded input."""
    padded = tuple(s + 2 * p for s, p in zip(size, padding))
    if any(k > s for k, s in zip(kernel, padded)):
        x = "x".join
        raise ValueError(
            f"{owner}: kernel {x(map(str, kernel))} is larger than the padded input "
            f"{x(map(str, padded))} (input {x(map(str, size))}, padding {x(map(str, padding))})"
        )
    out = tuple((s - k) // st + 1 for s, k, st in zip(padded, kernel, stride))
    return Geometry(tuple(kernel), tuple(stride), tuple(padding), tuple(size), out)


def spatial_input(owner: str, x, d: int) -> None:
    """A ValueError unless ``x`` is a batch (N, C, L) for ``d == 1`` or (N, C, H, W) for 2."""
    if x.ndim != d + 2:
        raise ValueError(f"{owner}: expected input of shape {batch_shape(d)}, got {x.shape}")


def batch_shape(d: int, channels="C", batch: bool = True) -> str:
    """``(N, C, L)`` or ``(N, C, H, W)``, for messages."""
    axes = ("N",) * batch + (str(channels),) + (("L",) if d == 1 else ("H", "W"))
    return f"({', '.join(axes)})"


def pad(data: np.ndarray, padding: tuple[int, int], value) -> np.ndarray:
    """``data`` (N, C, H, W) with ``value`` added around H and W, in channel-major memory
    (see ``descend.nn.functional.conv``)."""
    ph, pw = padding
    if not ph and not pw:
        return data
    n, c, h, w = data.shape
    padded = xp_of(data).full((c, n, h + 2 * ph, w + 2 * pw), value, dtype=data.dtype)
    padded = padded.transpose(1, 0, 2, 3)
    padded[:, :, ph : ph + h, pw : pw + w] = data
    return padded


def unpad(dxp: np.ndarray, g: Geometry) -> np.ndarray:
    """The inner (unpadded) part of a padded (N, C, Hp, Wp) array."""
    (ph, pw), (h, w) = g.padding, g.size
    return dxp[:, :, ph : ph + h, pw : pw + w] if ph or pw else dxp
