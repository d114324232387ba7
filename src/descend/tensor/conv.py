"""2-D convolution and pooling over (N, C, H, W) batches, each with its backward beside it.

Convolution is im2col plus one matrix product. A strided view of the (padded) input
lists, for every kernel cell (c, p, q) and every output position (n, i, j), the input
value under that cell; copied out, it is the matrix ``cols`` of shape
(C*kh*kw, N*Ho*Wo). One GEMM with the (O, C*kh*kw) weight matrix gives every output
value at once. The backward is two GEMMs (weight gradient and patch gradient) and
col2im: each kernel offset's rows of the patch gradient are added back onto the input
through a strided view, one add per kernel offset.

Pooling works the same way without the GEMM: each kernel offset is one strided view of
the input, and the max or the mean is taken across the views.

No Python loop here runs over samples or pixels, only over kernel offsets.
"""

from __future__ import annotations

import numpy as np

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

    # The padded input, flat, with kw - 1 spare zeros at the end (see _patches).
    hp, wp = h + 2 * ph, w + 2 * pw
    wq = wp if (sh, sw) == (1, 1) else wo
    size = n * c * hp * wp
    flat = np.zeros(size + kw - 1, dtype=x.data.dtype)
    flat[:size].reshape(n, c, hp, wp)[:, :, ph : ph + h, pw : pw + w] = x.data
    k, m = c * kh * kw, n * ho * wq
    # Rows ordered (c, p, q) to match weight.reshape(O, -1); columns ordered (n, i, j).
    cols = _patches(flat, (n, c, hp, wp), (kh, kw), (sh, sw), (ho, wq)).reshape(k, m)
    w2 = weight.data.reshape(o, k)
    product = (w2 @ cols).reshape(o, n, ho, wq)[..., :wo]
    out = np.empty((n, o, ho, wo), dtype=product.dtype)
    # One pass turns the (O, N, Ho, Wo) product into (N, O, Ho, Wo) and adds the bias.
    target = out.transpose(1, 0, 2, 3)
    if bias is None:
        np.copyto(target, product)
    else:
        np.add(product, bias.data.reshape(o, 1, 1, 1), out=target)
    del product, target

    def backward(g):
        # The gradient in the product's layout; columns j >= Wo (if any) get zeros.
        g2 = np.empty((o, n, ho, wq), dtype=g.dtype)
        g2[..., :wo] = g.transpose(1, 0, 2, 3)
        g2[..., wo:] = 0
        g2 = g2.reshape(o, m)
        # cols @ g2.T runs faster in OpenBLAS than g2 @ cols.T for these shapes.
        gw = (cols @ g2.T).T.reshape(weight.data.shape) if weight.requires_grad else None
        gb = g2.sum(axis=1) if bias is not None and bias.requires_grad else None
        gx = None
        if x.requires_grad:
            dcols = (w2.T @ g2).reshape(c, kh, kw, n, ho, wq)
            dflat = np.zeros(flat.shape, dtype=g.dtype)
            # col2im: each kernel offset's patch gradient is added where its patch came from.
            for p in range(kh):
                for q in range(kw):
                    view = _patches(dflat, (n, c, hp, wp), (1, 1), (sh, sw), (ho, wq), p * wp + q)
                    view[:, 0, 0] += dcols[:, p, q]
            gx = dflat[:size].reshape(n, c, hp, wp)[:, :, ph : ph + h, pw : pw + w]
        return gx, gw, gb

    parents = (x, weight) if bias is None else (x, weight, bias)
    return make(out, parents, backward)


def _patches(flat, shape, kernel, stride, out_size, offset: int = 0) -> np.ndarray:
    """View (C, kh, kw, N, Ho, Wq) of a flat (N, C, Hp, Wp) buffer: the input under
    kernel cell (c, p, q) for output position (n, i, j), starting ``offset`` values in.

    With stride 1, ``Wq = Wp``: each output row is read at the full padded width, so
    the last two axes merge into one contiguous run of Ho * Wp values and copies and
    adds go at memory speed instead of in runs of Wo. The extra columns j >= Wo wrap
    into the next row; their outputs are dropped and their gradients are zero. The
    last run reads up to kw - 1 values past the end of the data: the spare zeros.
    """
    (n, c, hp, wp), (kh, kw), (sh, sw), (ho, wq) = shape, kernel, stride, out_size
    item = flat.itemsize
    # The ndarray constructor is as_strided without its Python overhead, and it checks
    # that the view stays inside ``flat``.
    return np.ndarray(
        (c, kh, kw, n, ho, wq),
        dtype=flat.dtype,
        buffer=flat,
        offset=offset * item,
        strides=(hp * wp * item, wp * item, item, c * hp * wp * item, sh * wp * item, sw * item),
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
    xp, geometry = _pool_input("max_pool2d", x, kernel_size, stride, padding, -np.inf)
    views = _pool_views(xp, geometry)
    out = np.maximum(views[0], views[1]) if len(views) > 1 else views[0].copy()
    for view in views[2:]:
        np.maximum(out, view, out=out)

    def backward(g):
        dxp = _grad_buffer(xp, geometry, g.dtype)
        overlapping = _overlapping(geometry)
        # Gradient of the windows whose maximum is not found yet: the first maximum in
        # scan order takes it all, as in PyTorch.
        left = g.copy()
        hit = np.empty(out.shape, dtype=bool)
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
    if not ph and not pw:
        return data
    n, c, h, w = data.shape
    padded = np.full((n, c, h + 2 * ph, w + 2 * pw), value, dtype=data.dtype)
    padded[:, :, ph : ph + h, pw : pw + w] = data
    return padded


def _pool_input(name, x, kernel_size, stride, padding, fill):
    if not isinstance(x, Tensor):
        x = Tensor(x)
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
    """Zeros shaped like the padded input; uninitialised when the windows tile it exactly."""
    kh, kw, sh, sw, _, _, ho, wo, _, _ = geometry
    if (sh, sw) == (kh, kw) and (ho * kh, wo * kw) == xp.shape[2:]:
        return np.empty(xp.shape, dtype=dtype)
    return np.zeros(xp.shape, dtype=dtype)


def _overlapping(geometry) -> bool:
    kh, kw, sh, sw = geometry[:4]
    return sh < kh or sw < kw


def _unpad(dxp: np.ndarray, geometry) -> np.ndarray:
    ph, pw, _, _, h, w = geometry[4:]
    return dxp[:, :, ph : ph + h, pw : pw + w] if ph or pw else dxp
