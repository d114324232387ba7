"""The affine map ``x @ weight.T + bias`` as one graph node."""

from __future__ import annotations

from descend.tensor.operands import operands
from descend.tensor.tensor import Tensor, make


def linear(x, weight, bias=None) -> Tensor:
    """``x @ weight.T + bias``, as ``torch.nn.functional.linear``.

    One fused op: a single GEMM forward, and two GEMMs plus a column sum backward,
    instead of a transpose, a matmul and a broadcast add.

    Parameters
    ----------
    x : Tensor of shape (*, in_features)
    weight : Tensor of shape (out_features, in_features)
    bias : Tensor of shape (out_features,), optional

    Shape
    -----
    Output (*, out_features): the leading axes of ``x`` are kept.

    Examples
    --------
    >>> w, b = ds.randn(3, 4), ds.zeros(3)
    >>> linear(ds.randn(2, 4), w, b).shape
    (2, 3)
    """
    x, weight = operands(x, weight)
    xd, wd = x.data, weight.data
    if wd.ndim != 2:
        raise ValueError(
            f"linear: weight must have shape (out_features, in_features), got {wd.shape}"
        )
    n_out, n_in = wd.shape
    if xd.ndim == 0 or xd.shape[-1] != n_in:
        got = xd.shape[-1] if xd.ndim else "a 0-d tensor"
        raise ValueError(f"linear: weight expects {n_in} input features, input has {got}")
    if bias is not None:
        bias = operands(weight, bias)[1]
        if bias.shape != (n_out,):
            raise ValueError(f"linear: bias must have shape ({n_out},), got {bias.shape}")

    x2 = xd if xd.ndim == 2 else xd.reshape(-1, n_in)
    out = x2 @ wd.T
    # The weight's gradient in the weight's own layout (nn.Linear keeps it column-major),
    # so that the optimizer's elementwise passes never mix layouts (20x slower in NumPy).
    column_major = wd.flags.f_contiguous and not wd.flags.c_contiguous
    if bias is not None:
        out += bias.data
    out_shape = xd.shape[:-1] + (n_out,)

    def backward(g):
        g2 = g if g.ndim == 2 else g.reshape(-1, n_out)
        gx = (g2 @ wd).reshape(xd.shape) if x.requires_grad else None
        gw = None
        if weight.requires_grad:
            gw = (x2.T @ g2).T if column_major else g2.T @ x2
        gb = g2.sum(axis=0) if bias is not None and bias.requires_grad else None
        return gx, gw, gb

    parents = (x, weight) if bias is None else (x, weight, bias)
    return make(out if xd.ndim == 2 else out.reshape(out_shape), parents, backward, "linear")
