"""1-D and 2-D convolution over (N, C, L) and (N, C, H, W) batches, with the backward beside it.

Convolution is im2col plus a matrix product. Strided views of the (padded) input
give, for every kernel cell (c, p, q) and every output position (n, i, j), the input
value under that cell; copied out, they form the matrix ``cols`` of shape
(C*kh*kw, N*Ho*Wo). A GEMM with the (O, C*kh*kw) weight matrix gives the output
values, a chunk of samples at a time where that keeps ``cols`` in cache (``_Chunks``).
The backward is the weight gradient's GEMM and, for the input, col2im:
each kernel offset's rows of the patch gradient W.T @ g are added back onto the input
through a strided view. Python loops here run over kernel offsets only, never over
samples or pixels. A signal (N, C, L) is computed as an image of height 1: the same
kernels, no copy.

Memory layout: the GEMM's product has shape (O, N*Ho*Wo), so the output is returned
as the (N, O, Ho, Wo) view of that memory ("channel-major"; like PyTorch's
channels-last, a layout rather than a shape). Shapes and values are the usual ones,
only the strides differ. Elementwise ops and pooling keep the layout, so the next
convolution's backward reads its gradient as an (O, N*Ho*Wo) matrix without a copy:
no activation is ever transposed in a CNN.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from descend.backend import is_host, xp_of
from descend.nn.functional.geometry import Geometry, batch_shape, geometry, ntuple, pad
from descend.tensor.operands import operands
from descend.tensor.tensor import Tensor, make


def conv1d(x, weight, bias=None, stride=1, padding=0) -> Tensor:
    """1-D cross-correlation of a batch of signals with a bank of kernels, as ``torch.conv1d``.

    Parameters
    ----------
    x : Tensor of shape (N, C, L)
    weight : Tensor of shape (O, C, k)
    bias : Tensor of shape (O,), optional
    stride, padding : int
        Step between kernel positions; zeros added at both ends of L.

    Shape
    -----
    Output (N, O, Lo) with ``Lo = (L + 2*padding - k) // stride + 1``.

    Examples
    --------
    >>> x = ds.randn(8, 1, 40)
    >>> w = ds.randn(16, 1, 5, requires_grad=True)
    >>> conv1d(x, w, stride=2, padding=2).shape
    (8, 16, 20)
    """
    return _conv("conv1d", 1, x, weight, bias, stride, padding)


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
    return _conv("conv2d", 2, x, weight, bias, stride, padding)


def _conv(name: str, d: int, x, weight, bias, stride, padding) -> Tensor:
    """Convolution over ``d`` spatial axes (1 or 2), computed in two."""
    x, weight = operands(x, weight)
    stride = ntuple(stride, d, "stride", 1, name)
    padding = ntuple(padding, d, "padding", 0, name)
    if x.ndim != d + 2 or weight.ndim != d + 2:
        raise ValueError(
            f"{name}: expected input {batch_shape(d)} and weight {_weight_shape(d)}, got "
            f"shapes {x.shape} and {weight.shape}"
        )
    n, c = x.shape[:2]
    o, cw = weight.shape[:2]
    if c != cw:
        raise ValueError(f"{name}: weight expects {cw} input channels, input has {c}")
    if bias is not None:
        bias = operands(weight, bias)[1]
        if bias.shape != (o,):
            raise ValueError(f"{name}: bias must have shape ({o},), got {bias.shape}")
    geo = geometry(name, x.shape[2:], weight.shape[2:], stride, padding)
    out_shape = geo.out
    geo = geo.as_2d()
    (kh, kw), (ho, wo), (h, w) = geo.kernel, geo.out, geo.size
    (ph, pw) = geo.padding

    xp = pad(x.data.reshape(n, c, h, w), geo.padding, 0)
    lib = xp_of(xp)  # the array module of the input's device (xp here is the padded input)
    k, hw = c * kh * kw, ho * wo
    # Rows of cols ordered (c, p, q) to match weight.reshape(O, -1); columns (n, i, j).
    # With a bias, a last row of ones and a last weight column of biases put the bias
    # into the same GEMM (and its gradient into the weight gradient's GEMM).
    has_bias = bias is not None
    w2 = weight.data.reshape(o, k)
    wb = lib.concatenate([w2, bias.data[:, None]], axis=1) if has_bias else w2
    chunks = _Chunks(xp, geo, k + has_bias, o)
    product = lib.empty((o, n * hw), dtype=xp.dtype)
    for s in chunks.starts:
        cols = chunks.im2col(s)
        lib.matmul(wb, cols, out=product[:, s * hw : s * hw + cols.shape[1]])
    # (N, O, ...) view of the (O, N, ...) product; the same swap reads g back.
    swap = (1, 0, *range(2, d + 2))
    out = product.reshape(o, n, *out_shape).transpose(swap)

    def backward(g):
        # A view when g is channel-major, as the gradients of the layers above are.
        g2 = g.transpose(swap).reshape(o, n * hw)
        want_w = weight.requires_grad or (has_bias and bias.requires_grad)
        grads = dxp = None
        if want_w:
            # The last chunk first: its patches are still in the buffer from the forward.
            # cols @ g.T runs faster in OpenBLAS than g @ cols.T for these shapes.
            for s in reversed(chunks.starts):
                part = chunks.im2col(s) @ g2[:, s * hw : min(s + chunks.step, n) * hw].T
                if grads is None:
                    grads = part
                else:
                    grads += part
        if x.requires_grad:
            dxp = _input_grad(w2.reshape(o, c, kh, kw), g2, xp.shape, geo)
        gw = gb = gx = None
        if weight.requires_grad:
            gw = grads[:k].T.reshape(weight.data.shape)
        if has_bias and bias.requires_grad:
            gb = grads[k]
        if dxp is not None:
            gx = dxp.transpose(1, 0, 2, 3)[:, :, ph : ph + h, pw : pw + w]
            if d == 1:
                gx = gx.reshape(x.data.shape)
        return gx, gw, gb

    parents = (x, weight) if bias is None else (x, weight, bias)
    return make(out, parents, backward, name, (stride, padding))


def _weight_shape(d: int) -> str:
    return "(O, C, k)" if d == 1 else "(O, C, kh, kw)"


# Patch bytes per chunk: im2col fills a chunk and the GEMM reads it while it is still in
# the core's L2 cache (1 MiB here). With few output channels the GEMM does little work
# per patch value and waits on memory: for LeNet-5's first layer (6 channels, 10 MB of
# patches at batch 128) chunks took forward and backward from 4.3 to 2.8 ms (one
# thread). With 16 channels (its second layer) the GEMM waits less, and chunks, made
# again for the weight gradient, cost about what they save: one chunk there.
CHUNK_BYTES = 1 << 19
CHUNK_BELOW_CHANNELS = 16


class _Chunks:
    """The patch matrix of a batch, a chunk of samples at a time, in one buffer.

    On the host, below ``CHUNK_BELOW_CHANNELS`` output channels, a chunk holds as many
    samples as fit in ``CHUNK_BYTES``, and the backward makes each chunk's patches again
    instead of keeping the whole matrix: faster than reading it back from memory.
    Otherwise, and on a device, one chunk is the whole batch, kept for the backward.
    """

    def __init__(self, xp, geo: Geometry, rows: int, out_channels: int) -> None:
        n, c, hp, _ = xp.shape
        (kh, kw), (ho, wo) = geo.kernel, geo.out
        self.xp, self.geo, self.k = xp, geo, c * kh * kw
        per_sample = rows * ho * wo * xp.dtype.itemsize
        chunked = is_host(xp) and out_channels < CHUNK_BELOW_CHANNELS
        self.step = max(1, min(n, CHUNK_BYTES // per_sample)) if chunked else n
        self.starts = range(0, n, self.step)
        lib = xp_of(xp)
        self.cols = lib.empty((rows, self.step * ho * wo), dtype=xp.dtype)
        if rows > self.k:
            self.cols[self.k] = 1  # the bias row
        self.held = None  # the first sample of the chunk whose patches cols holds
        self.scratch = None
        if _two_steps(kh, wo):
            shifted = lib.empty((c, self.step, hp, wo), dtype=xp.dtype)
            rows = _windows(shifted.transpose(1, 0, 2, 3), (kh, 1), (geo.stride[0], 1), geo.out)
            self.scratch = shifted, rows

    def im2col(self, s: int):
        """The (rows, m) patch matrix of samples ``s`` .. ``s + step`` (a view of the buffer)."""
        geo, n = self.geo, self.xp.shape[0]
        (kh, kw), (ho, wo) = geo.kernel, geo.out
        b = min(self.step, n - s)
        cols = self.cols[:, : b * ho * wo]
        if self.held != s:
            xs = self.xp[s : s + b]
            target = cols[: self.k].reshape(xs.shape[1], kh, kw, b, ho, wo)
            if self.scratch is None:
                xp_of(xs).copyto(target, _windows(xs, geo.kernel, geo.stride, geo.out))
            else:
                shifted, rows = self.scratch
                _im2col_two_steps(xs, geo, target, shifted[:, :b], rows[:, :, :, :b])
            self.held = s
        return cols


def _im2col_two_steps(xp, geo: Geometry, cols, shifted, rows) -> None:
    """Fill ``cols`` (C, kh, kw, N, Ho, Wo) with the input under kernel cell (c, p, q) at
    output position (n, i, j), through ``shifted`` (C, N, Hp, Wo) and its view ``rows``
    (C, kh, 1, N, Ho, Wo).

    First the input shifted by q columns, then its rows for every p in one copy: the
    copies then move whole (Ho, Wo) planes instead of rows of Wo values.
    """
    kw, sw, wo = geo.kernel[1], geo.stride[1], geo.out[1]
    lib = xp_of(cols)
    planes = xp.transpose(1, 0, 2, 3)
    for q in range(kw):
        lib.copyto(shifted, planes[:, :, :, q : q + sw * (wo - 1) + 1 : sw])
        lib.copyto(cols[:, :, q : q + 1], rows)


def _input_grad(w4, g2, padded_shape, geo: Geometry):
    """The gradient (C, N, Hp, Wp) of the padded input: the patch gradient W.T @ g, put
    back where each patch came from (col2im), one kernel column q at a time.

    Per q, one GEMM gives the patch gradient of the cells (c, p, q), a (C*kh, N*Ho*Wo)
    slice small enough to be added back while still in cache: the whole patch gradient
    is never made.
    """
    (n, c, hp, wp), (sh, sw), (ho, wo) = padded_shape, geo.stride, geo.out
    o, _, kh, kw = w4.shape
    lib = xp_of(g2)
    dxp = lib.zeros((c, n, hp, wp), dtype=g2.dtype)
    two_steps = _two_steps(kh, wo)
    if two_steps:
        shifted = lib.empty((c, n, hp, wo), dtype=g2.dtype)
    for q in range(kw):
        dq = (w4[:, :, :, q].reshape(o, c * kh).T @ g2).reshape(c, kh, n, ho, wo)
        if not two_steps:
            for p in range(kh):
                dxp[:, :, p : p + sh * ho : sh, q : q + sw * wo : sw] += dq[:, p]
            continue
        # Rows first, into the q-shifted buffer, then that buffer onto its columns: most
        # adds then move whole (Ho, Wo) planes instead of rows of Wo values.
        if sh == 1:  # the first offset covers rows :Ho, so copy it instead of adding
            shifted[:, :, :ho] = dq[:, 0]
            shifted[:, :, ho:] = 0
        else:
            shifted.fill(0)
            shifted[:, :, : sh * (ho - 1) + 1 : sh] = dq[:, 0]
        for p in range(1, kh):
            shifted[:, :, p : p + sh * (ho - 1) + 1 : sh] += dq[:, p]
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
    shape, strides = (c, kh, kw, n, ho, wo), (s_c, s_h, s_w, s_n, s_h * sh, s_w * sw)
    if not is_host(xp):  # a device's as_strided has no read-only flag
        return xp_of(xp).lib.stride_tricks.as_strided(xp, shape=shape, strides=strides)
    return as_strided(xp, shape=shape, strides=strides, writeable=False)
