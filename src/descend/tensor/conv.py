"""2-D convolution and pooling over (N, C, H, W) batches, each with its backward beside it.

Convolution is im2col plus one matrix product. Strided views of the (padded) input
give, for every kernel cell (c, p, q) and every output position (n, i, j), the input
value under that cell; copied out, they form the matrix ``cols`` of shape
(C*kh*kw, N*Ho*Wo). One GEMM with the (O, C*kh*kw) weight matrix gives every output
value at once. The backward is two GEMMs (weight gradient and patch gradient) and
col2im: each kernel offset's rows of the patch gradient are added back onto the input
through a strided view. Python loops here run over kernel offsets only, never over
samples or pixels.

Memory layout: the GEMM's product has shape (O, N*Ho*Wo), so the output is returned
as the (N, O, Ho, Wo) view of that memory ("channel-major"; like PyTorch's
channels-last, a layout rather than a shape). Shapes and values are the usual ones,
only the strides differ. Elementwise ops and pooling keep the layout, so the next
convolution's backward reads its gradient as an (O, N*Ho*Wo) matrix without a copy:
no activation is ever transposed in a CNN.

Pooling takes the max or the mean across one strided view of the input per kernel
offset. Max pooling with windows side by side (the usual stride == kernel) reduces
along W, then along H, and remembers the winners, so its backward never reads the
input again.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from descend.tensor.autograd import is_grad_enabled
from descend.tensor.tensor import Tensor, make, operands


def conv2d(x, weight, bias=None, stride=1, padding=0) -> Tensor:
    """2-D cross-correlation of a batch of images with a bank of kernels, as ``torch.conv2d``.

    Parameters
    ----------
    x : Tensor of shape (N, C, H, W)
    weight : Tensor of shape (O, C, kh, kw)
    bias : Tensor of shape (O,), optional
    stride, padding : int or (int, int)
        Step between kernel positions; zeros added on each side of H and W.

    Shape
    -----
    Output (N, O, Ho, Wo) with ``Ho = (H + 2*padding - kh) // stride + 1`` (same for W).

    Examples
    --------
    >>> x = ds.randn(8, 1, 28, 28)
    >>> w = ds.randn(6, 1, 5, 5, requires_grad=True)
    >>> conv2d(x, w, padding=2).shape
    (8, 6, 28, 28)
    """
    x, weight = operands(x, weight)
    sh, sw = _pair(stride, "stride", 1)
    ph, pw = _pair(padding, "padding", 0)
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError(
            f"conv2d: expected input (N, C, H, W) and weight (O, C, kh, kw), got shapes "
            f"{x.shape} and {weight.shape}"
        )
    n, c, h, w = x.shape
    o, cw, kh, kw = weight.shape
    if c != cw:
        raise ValueError(f"conv2d: weight expects {cw} input channels, input has {c}")
    if bias is not None:
        bias = operands(weight, bias)[1]
        if bias.shape != (o,):
            raise ValueError(f"conv2d: bias must have shape ({o},), got {bias.shape}")
    ho, wo = output_size("conv2d", (h, w), (kh, kw), (sh, sw), (ph, pw))

    xp = _pad(x.data, ph, pw, 0)
    k, m = c * kh * kw, n * ho * wo
    # Rows ordered (c, p, q) to match weight.reshape(O, -1); columns ordered (n, i, j).
    # With a bias, a last row of ones and a last weight column of biases put the bias
    # into the same GEMM (and its gradient into the weight gradient's GEMM).
    has_bias = bias is not None
    cols = np.empty((k + 1 if has_bias else k, m), dtype=xp.dtype)
    _im2col(xp, (kh, kw), (sh, sw), (ho, wo), cols[:k].reshape(c, kh, kw, n, ho, wo))
    w2 = weight.data.reshape(o, k)
    if has_bias:
        cols[k] = 1
        product = np.concatenate([w2, bias.data[:, None]], axis=1) @ cols
    else:
        product = w2 @ cols
    out = product.reshape(o, n, ho, wo).transpose(1, 0, 2, 3)
    padded_shape = xp.shape

    def backward(g):
        # A view when g is channel-major, as the gradients of the layers above are.
        g2 = g.transpose(1, 0, 2, 3).reshape(o, m)
        gw = gb = gx = None
        if weight.requires_grad or (has_bias and bias.requires_grad):
            # cols @ g2.T runs faster in OpenBLAS than g2 @ cols.T for these shapes.
            grads = cols @ g2.T
            gw = grads[:k].T.reshape(weight.data.shape) if weight.requires_grad else None
            gb = grads[k] if has_bias and bias.requires_grad else None
        if x.requires_grad:
            dcols = (w2.T @ g2).reshape(c, kh, kw, n, ho, wo)
            hp, wp = padded_shape[2:]
            dxp = _col2im(dcols, (n, c, hp, wp), (sh, sw))
            gx = dxp.transpose(1, 0, 2, 3)[:, :, ph : ph + h, pw : pw + w]
        return gx, gw, gb

    parents = (x, weight) if bias is None else (x, weight, bias)
    return make(out, parents, backward)


def _im2col(xp: np.ndarray, kernel, stride, out_size, cols: np.ndarray) -> None:
    """Fill ``cols`` (C, kh, kw, N, Ho, Wo) with the input under kernel cell (c, p, q) at
    output position (n, i, j)."""
    (kh, kw), (sh, sw), (ho, wo) = kernel, stride, out_size
    if not _two_steps(kh, wo):
        np.copyto(cols, _windows(xp, kernel, stride, out_size))
        return
    # First the input shifted by q columns, then for each p its rows: most copies then
    # move whole (Ho, Wo) planes instead of rows of Wo values.
    n, c, hp, _ = xp.shape
    planes = xp.transpose(1, 0, 2, 3)
    shifted = np.empty((c, n, hp, wo), dtype=xp.dtype)
    for q in range(kw):
        np.copyto(shifted, planes[:, :, :, q : q + sw * (wo - 1) + 1 : sw])
        for p in range(kh):
            np.copyto(cols[:, p, q], shifted[:, :, p : p + sh * (ho - 1) + 1 : sh])


def _col2im(dcols: np.ndarray, padded_shape, stride) -> np.ndarray:
    """The adjoint of ``_im2col``: add each kernel offset's patch gradient back where the
    patch came from, giving (C, N, Hp, Wp). In two steps (rows, then columns) likewise."""
    (n, c, hp, wp), (sh, sw) = padded_shape, stride
    _, kh, kw, _, ho, wo = dcols.shape
    dxp = np.zeros((c, n, hp, wp), dtype=dcols.dtype)
    if not _two_steps(kh, wo):
        for p in range(kh):
            for q in range(kw):
                dxp[:, :, p : p + sh * ho : sh, q : q + sw * wo : sw] += dcols[:, p, q]
        return dxp
    shifted = np.empty((c, n, hp, wo), dtype=dcols.dtype)
    for q in range(kw):
        shifted.fill(0)
        for p in range(kh):
            shifted[:, :, p : p + sh * (ho - 1) + 1 : sh] += dcols[:, p, q]
        dxp[:, :, :, q : q + sw * (wo - 1) + 1 : sw] += shifted
    return dxp


def _two_steps(kh: int, wo: int) -> bool:
    """Whether im2col and col2im go faster through the q-shifted copy of the input.

    A NumPy copy or add pays ~7 ns per contiguous run plus ~0.5 ns per value (measured
    here). Done directly, every run is one output row (Wo values); in two steps there
    are about kh times fewer runs but 1/kh more values, a gain when Wo < 14 (kh - 1).
    """
    return wo < 14 * (kh - 1)


def _windows(xp: np.ndarray, kernel, stride, out_size) -> np.ndarray:
    """Read-only view (C, kh, kw, N, Ho, Wo) of ``xp`` (N, C, Hp, Wp), any strides: the
    input under kernel cell (c, p, q) for output position (n, i, j)."""
    (kh, kw), (sh, sw), (ho, wo) = kernel, stride, out_size
    n, c = xp.shape[:2]
    s_n, s_c, s_h, s_w = xp.strides
    return as_strided(
        xp,
        shape=(c, kh, kw, n, ho, wo),
        strides=(s_c, s_h, s_w, s_n, s_h * sh, s_w * sw),
        writeable=False,
    )


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
    x = x if isinstance(x, Tensor) else Tensor(x)
    xp, geometry = _pool_input("max_pool2d", x, kernel_size, stride, padding, -np.inf)
    kh, kw, sh, sw, ph, pw = geometry[:6]
    if (sh, sw) == (kh, kw) and not ph and not pw:
        return _tiled_max_pool(x, geometry)
    views = _pool_views(xp, geometry)
    out = np.maximum(views[0], views[1]) if len(views) > 1 else views[0].copy(order="K")
    for view in views[2:]:
        np.maximum(out, view, out=out)

    def backward(g):
        dxp = _grad_buffer(xp, geometry, g.dtype)
        overlapping = _overlapping(geometry)
        # Gradient of the windows whose maximum is not found yet: the first maximum in
        # scan order takes it all, as in PyTorch.
        left = g.copy(order="K")
        hit = np.empty_like(left, dtype=bool)
        last = len(views) - 1
        for i, (view, grad_view) in enumerate(zip(views, _pool_views(dxp, geometry))):
            np.equal(view, out, out=hit)
            if overlapping:
                grad_view += left * hit
            else:
                np.multiply(left, hit, out=grad_view)
            if i < last:
                np.logical_not(hit, out=hit)
                np.multiply(left, hit, out=left)
        return (_unpad(dxp, geometry),)

    return make(out, (x,), backward)


def _tiled_max_pool(x: Tensor, geometry) -> Tensor:
    """Max pooling of windows side by side: the max along W within each window row, then
    along H. Each pass remembers which offset won (the first, on ties), so the backward
    routes the gradient without reading the input again.
    """
    kh, kw, _, _, _, _, ho, wo, h, w = geometry
    xc = x.data[:, :, : ho * kh, : wo * kw]
    track = x.requires_grad and is_grad_enabled()
    rows, q_arg = _first_max([xc[..., q::kw] for q in range(kw)], track)
    out, p_arg = _first_max([rows[:, :, p::kh] for p in range(kh)], track)

    def backward(g):
        g_rows = np.empty_like(rows)
        _route(g, p_arg, [g_rows[:, :, p::kh] for p in range(kh)])
        exact = (ho * kh, wo * kw) == (h, w)
        dx = np.empty_like(x.data) if exact else np.zeros_like(x.data)
        dxc = dx[:, :, : ho * kh, : wo * kw]
        _route(g_rows, q_arg, [dxc[..., q::kw] for q in range(kw)])
        return (dx,)

    return make(out, (x,), backward)


def _first_max(views: list, track: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Elementwise max of ``views`` and, if ``track``, which view holds it first.

    The index is a bool array for two views (True: the second), uint8 otherwise.
    """
    if len(views) == 1:
        return views[0].copy(order="K"), None
    arg = np.greater(views[1], views[0]) if track else None
    best = np.maximum(views[0], views[1])
    for i, view in enumerate(views[2:], 2):
        if track:
            if arg.dtype == bool:
                arg = arg.astype(np.uint8)
            np.copyto(arg, i, where=view > best)
        np.maximum(best, view, out=best)
    return best, arg


def _route(g: np.ndarray, arg, targets: list) -> None:
    """``targets[i] = g`` where ``arg == i``, zero elsewhere."""
    if len(targets) == 1:
        np.copyto(targets[0], g)
    elif arg.dtype == bool:
        np.multiply(g, arg, out=targets[1])
        # g - g*arg is g*(1 - arg) exactly (the product is g or 0), without a second
        # bool-to-float multiply.
        np.subtract(g, targets[1], out=targets[0])
    else:
        for i, target in enumerate(targets):
            np.multiply(g, arg == i, out=target)


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
    x = x if isinstance(x, Tensor) else Tensor(x)
    xp, geometry = _pool_input("avg_pool2d", x, kernel_size, stride, padding, 0)
    views = _pool_views(xp, geometry)
    scale = 1.0 / len(views)
    out = np.multiply(views[0], scale)
    for view in views[1:]:
        out += view * scale

    def backward(g):
        dxp = _grad_buffer(xp, geometry, g.dtype)
        share = g * scale
        overlapping = _overlapping(geometry)
        for grad_view in _pool_views(dxp, geometry):
            if overlapping:
                grad_view += share
            else:
                grad_view[...] = share
        return (_unpad(dxp, geometry),)

    return make(out, (x,), backward)


# -- geometry -------------------------------------------------------------------------


def _pair(value, name: str, least: int) -> tuple[int, int]:
    pair = (value, value) if isinstance(value, int | np.integer) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int | np.integer) and v >= least for v in pair):
        raise ValueError(f"{name} must be an int >= {least} or a pair of them, got {value!r}")
    return int(pair[0]), int(pair[1])


def output_size(name: str, size, kernel, stride, padding) -> tuple[int, int]:
    """Output height and width, or a ValueError when the kernel does not fit the padded input."""
    (h, w), (kh, kw), (sh, sw), (ph, pw) = size, kernel, stride, padding
    if kh > h + 2 * ph or kw > w + 2 * pw:
        raise ValueError(
            f"{name}: kernel {kh}x{kw} is larger than the padded input "
            f"{h + 2 * ph}x{w + 2 * pw} (input {h}x{w}, padding {ph}x{pw})"
        )
    return (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1


def _pad(data: np.ndarray, ph: int, pw: int, value) -> np.ndarray:
    """``data`` with ``value`` added around H and W, in channel-major memory (see above)."""
    if not ph and not pw:
        return data
    n, c, h, w = data.shape
    padded = np.full((c, n, h + 2 * ph, w + 2 * pw), value, dtype=data.dtype)
    padded = padded.transpose(1, 0, 2, 3)
    padded[:, :, ph : ph + h, pw : pw + w] = data
    return padded


def _pool_input(name, x: Tensor, kernel_size, stride, padding, fill):
    kh, kw = _pair(kernel_size, "kernel_size", 1)
    sh, sw = (kh, kw) if stride is None else _pair(stride, "stride", 1)
    ph, pw = _pair(padding, "padding", 0)
    if x.ndim != 4:
        raise ValueError(f"{name}: expected input of shape (N, C, H, W), got {x.shape}")
    if ph > kh // 2 or pw > kw // 2:
        raise ValueError(
            f"{name}: padding {ph}x{pw} must be at most half the kernel {kh}x{kw}, "
            f"so that every window holds an input value"
        )
    h, w = x.shape[2:]
    ho, wo = output_size(name, (h, w), (kh, kw), (sh, sw), (ph, pw))
    geometry = (kh, kw, sh, sw, ph, pw, ho, wo, h, w)
    return _pad(x.data, ph, pw, fill), geometry


def _pool_views(xp: np.ndarray, geometry) -> list[np.ndarray]:
    """One strided (N, C, Ho, Wo) view of ``xp`` per kernel offset, row by row."""
    kh, kw, sh, sw, _, _, ho, wo, _, _ = geometry
    return [
        xp[:, :, p : p + sh * (ho - 1) + 1 : sh, q : q + sw * (wo - 1) + 1 : sw]
        for p in range(kh)
        for q in range(kw)
    ]


def _grad_buffer(xp: np.ndarray, geometry, dtype) -> np.ndarray:
    """Zeros laid out like the padded input; uninitialised when the windows tile it exactly."""
    kh, kw, sh, sw, _, _, ho, wo, _, _ = geometry
    if (sh, sw) == (kh, kw) and (ho * kh, wo * kw) == xp.shape[2:]:
        return np.empty_like(xp, dtype=dtype)
    return np.zeros_like(xp, dtype=dtype)


def _overlapping(geometry) -> bool:
    kh, kw, sh, sw = geometry[:4]
    return sh < kh or sw < kw


def _unpad(dxp: np.ndarray, geometry) -> np.ndarray:
    ph, pw, _, _, h, w = geometry[4:]
    return dxp[:, :, ph : ph + h, pw : pw + w] if ph or pw else dxp
