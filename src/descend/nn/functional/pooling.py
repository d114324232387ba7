"""Max and average pooling over (N, C, L) and (N, C, H, W) batches, with the backward beside it.

Pooling takes the max or the mean across one strided view of the input per kernel
offset. Max pooling with windows side by side (the usual stride == kernel) reduces
along W, then along H, and remembers the winners, so its backward never reads the
input again. A signal (N, C, L) is pooled as an image of height 1: the same code, no
copy. Outputs keep the input's memory layout (see ``descend.nn.functional.conv``).
"""

from __future__ import annotations

import numpy as np

from descend.backend import xp_of
from descend.nn.functional.geometry import Geometry, geometry, ntuple, pad, spatial_input, unpad
from descend.tensor.autograd import is_grad_enabled
from descend.tensor.tensor import Tensor, make


def max_pool1d(x, kernel_size, stride=None, padding=0) -> Tensor:
    """Largest value in each window of a batch of signals, as ``torch.max_pool1d``.

    Parameters
    ----------
    x : Tensor of shape (N, C, L)
    kernel_size : int
    stride : int, optional
        Defaults to ``kernel_size`` (windows side by side).
    padding : int
        At most half the kernel; counts as minus infinity.

    Examples
    --------
    >>> max_pool1d(ds.tensor([[[1.0, 3.0, 2.0, 0.0, 5.0]]]), 2)
    tensor([[[3., 2.]]])
    """
    return _max_pool("max_pool1d", 1, x, kernel_size, stride, padding)


def max_pool2d(x, kernel_size, stride=None, padding=0) -> Tensor:
    """Largest value in each window, as ``torch.max_pool2d``.

    The gradient goes to the first largest value of each window (row by row), as
    PyTorch routes it. Padding counts as minus infinity.

    Parameters
    ----------
    x : Tensor of shape (N, C, H, W)
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel_size`` (windows side by side).
    padding : int or (int, int)

    Examples
    --------
    >>> max_pool2d(ds.randn(8, 6, 28, 28), 2).shape
    (8, 6, 14, 14)
    """
    return _max_pool("max_pool2d", 2, x, kernel_size, stride, padding)


def avg_pool1d(x, kernel_size, stride=None, padding=0) -> Tensor:
    """Mean of each window of a batch of signals, as ``torch.avg_pool1d`` (zero padding
    counts in the mean).

    Parameters
    ----------
    x : Tensor of shape (N, C, L)
    kernel_size : int
    stride : int, optional
        Defaults to ``kernel_size``.
    padding : int

    Examples
    --------
    >>> avg_pool1d(ds.tensor([[[1.0, 3.0, 2.0, 0.0, 5.0]]]), 2)
    tensor([[[2., 1.]]])
    """
    return _avg_pool("avg_pool1d", 1, x, kernel_size, stride, padding)


def avg_pool2d(x, kernel_size, stride=None, padding=0) -> Tensor:
    """Mean of each window, as ``torch.avg_pool2d`` (zero padding counts in the mean).

    Parameters
    ----------
    x : Tensor of shape (N, C, H, W)
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Defaults to ``kernel_size``.
    padding : int or (int, int)
    """
    return _avg_pool("avg_pool2d", 2, x, kernel_size, stride, padding)


def _max_pool(name: str, d: int, x, kernel_size, stride, padding) -> Tensor:
    x = x if isinstance(x, Tensor) else Tensor(x)
    x4, xp, geo = _pool_input(name, d, x, kernel_size, stride, padding, -np.inf)
    lib = xp_of(x.data)
    if geo.tiled:
        return _tiled_max_pool(name, x, x4, geo)
    views = _pool_views(xp, geo)
    out = lib.maximum(views[0], views[1]) if len(views) > 1 else views[0].copy(order="K")
    for view in views[2:]:
        lib.maximum(out, view, out=out)

    def backward(g):
        g = _lifted(g, out.shape)
        dxp = _grad_buffer(xp, geo, g.dtype)
        overlapping = geo.overlapping
        # Gradient of the windows whose maximum is not found yet: the first maximum in
        # scan order takes it all, as in PyTorch.
        left = g.copy(order="K")
        hit = lib.empty_like(left, dtype=bool)
        last = len(views) - 1
        for i, (view, grad_view) in enumerate(zip(views, _pool_views(dxp, geo))):
            lib.equal(view, out, out=hit)
            if overlapping:
                grad_view += left * hit
            else:
                lib.multiply(left, hit, out=grad_view)
            if i < last:
                lib.logical_not(hit, out=hit)
                lib.multiply(left, hit, out=left)
        return (unpad(dxp, geo).reshape(x.data.shape),)

    return make(out.reshape(_out_shape(x, geo)), (x,), backward, name, _window(geo))


def _tiled_max_pool(name: str, x: Tensor, x4: np.ndarray, geo: Geometry) -> Tensor:
    """Max pooling of windows side by side: the max along W within each window row, then
    along H. Each pass remembers which offset won (the first, on ties), so the backward
    routes the gradient without reading the input again.
    """
    (kh, kw), (ho, wo), (h, w) = geo.kernel, geo.out, geo.size
    lib = xp_of(x4)
    xc = x4[:, :, : ho * kh, : wo * kw]
    track = x.requires_grad and is_grad_enabled()
    rows, q_arg = _first_max([xc[..., q::kw] for q in range(kw)], track)
    if kh == 1:  # a signal, or windows one row high: the rows are the output
        out, p_arg = rows, None
    else:
        out, p_arg = _first_max([rows[:, :, p::kh] for p in range(kh)], track)

    def backward(g):
        g = _lifted(g, out.shape)
        if kh == 1:
            g_rows = g
        else:
            g_rows = lib.empty_like(rows)
            _route(g, p_arg, [g_rows[:, :, p::kh] for p in range(kh)])
        exact = (ho * kh, wo * kw) == (h, w)
        dx = lib.empty_like(x4) if exact else lib.zeros_like(x4)
        dxc = dx[:, :, : ho * kh, : wo * kw]
        _route(g_rows, q_arg, [dxc[..., q::kw] for q in range(kw)])
        return (dx.reshape(x.data.shape),)

    return make(out.reshape(_out_shape(x, geo)), (x,), backward, name, _window(geo))


def _first_max(views: list, track: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Elementwise max of ``views`` (a new array) and, if ``track``, which view holds it
    first. The index is a bool array for two views (True: the second), uint8 otherwise.
    """
    lib = xp_of(views[0])
    if len(views) == 1:
        return views[0].copy(order="K"), None
    arg = lib.greater(views[1], views[0]) if track else None
    best = lib.maximum(views[0], views[1])
    for i, view in enumerate(views[2:], 2):
        if track:
            if arg.dtype == bool:
                arg = arg.astype(np.uint8)
            lib.copyto(arg, i, where=view > best)
        lib.maximum(best, view, out=best)
    return best, arg


def _route(g: np.ndarray, arg, targets: list) -> None:
    """``targets[i] = g`` where ``arg == i``, zero elsewhere."""
    lib = xp_of(g)
    if len(targets) == 1:
        lib.copyto(targets[0], g)
    elif arg.dtype == bool:
        lib.multiply(g, arg, out=targets[1])
        # g - g*arg is g*(1 - arg) exactly (the product is g or 0), without a second
        # bool-to-float multiply.
        lib.subtract(g, targets[1], out=targets[0])
    else:
        for i, target in enumerate(targets):
            lib.multiply(g, arg == i, out=target)


def _avg_pool(name: str, d: int, x, kernel_size, stride, padding) -> Tensor:
    x = x if isinstance(x, Tensor) else Tensor(x)
    _, xp, geo = _pool_input(name, d, x, kernel_size, stride, padding, 0)
    lib = xp_of(xp)
    views = _pool_views(xp, geo)
    scale = 1.0 / len(views)
    out = lib.multiply(views[0], scale)
    for view in views[1:]:
        out += view * scale

    def backward(g):
        g = _lifted(g, out.shape)
        dxp = _grad_buffer(xp, geo, g.dtype)
        share = g * scale
        overlapping = geo.overlapping
        for grad_view in _pool_views(dxp, geo):
            if overlapping:
                grad_view += share
            else:
                grad_view[...] = share
        return (unpad(dxp, geo).reshape(x.data.shape),)

    return make(out.reshape(_out_shape(x, geo)), (x,), backward, name, _window(geo))


def _pool_input(name: str, d: int, x: Tensor, kernel_size, stride, padding, fill):
    """The input as (N, C, H, W), padded with ``fill``, and the 2-D geometry."""
    kernel = ntuple(kernel_size, d, "kernel_size", 1, name)
    stride = kernel if stride is None else ntuple(stride, d, "stride", 1, name)
    padding = ntuple(padding, d, "padding", 0, name)
    spatial_input(name, x, d)
    if any(p > k // 2 for p, k in zip(padding, kernel)):
        by = "x".join
        raise ValueError(
            f"{name}: padding {by(map(str, padding))} must be at most half the kernel "
            f"{by(map(str, kernel))}, so that every window holds an input value"
        )
    geo = geometry(name, x.shape[2:], kernel, stride, padding).as_2d()
    x4 = x.data if d == 2 else x.data.reshape(*x.shape[:2], *geo.size)
    return x4, pad(x4, geo.padding, fill), geo


def _window(geo: Geometry) -> tuple:
    """Kernel, stride and padding over (H, W), for the tracer (descend.onnx)."""
    return geo.kernel, geo.stride, geo.padding


def _out_shape(x: Tensor, geo: Geometry) -> tuple:
    """The output's shape: (N, C, Lo) for a signal, (N, C, Ho, Wo) for an image."""
    return x.shape[:2] + (geo.out if x.ndim == 4 else geo.out[1:])


def _lifted(g: np.ndarray, shape4: tuple) -> np.ndarray:
    """A signal's gradient (N, C, Lo) as the (N, C, 1, Lo) image the kernels work on."""
    return g if g.ndim == 4 else g.reshape(shape4)


def _pool_views(xp: np.ndarray, geo: Geometry) -> list[np.ndarray]:
    """One strided (N, C, Ho, Wo) view of ``xp`` per kernel offset, row by row."""
    (kh, kw), (sh, sw), (ho, wo) = geo.kernel, geo.stride, geo.out
    return [
        xp[:, :, p : p + sh * (ho - 1) + 1 : sh, q : q + sw * (wo - 1) + 1 : sw]
        for p in range(kh)
        for q in range(kw)
    ]


def _grad_buffer(xp: np.ndarray, geo: Geometry, dtype) -> np.ndarray:
    """Zeros laid out like the padded input; uninitialised when the windows tile it exactly."""
    (kh, kw), (ho, wo) = geo.kernel, geo.out
    lib = xp_of(xp)
    if geo.stride == geo.kernel and (ho * kh, wo * kw) == xp.shape[2:]:
        return lib.empty_like(xp, dtype=dtype)
    return lib.zeros_like(xp, dtype=dtype)
