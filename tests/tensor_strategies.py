"""Hypothesis strategies shared by the tests: shapes with an axis, a permutation or an index,
and the geometry of a convolution or pooling window (as minitorch's tests/tensor_strategies.py).
"""

from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


def shapes(min_dims: int = 0, max_dims: int = 4, max_side: int = 4):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)


@st.composite
def axes(draw, ndim: int):
    """None, one axis, or several distinct axes, each written positive or negative."""
    if ndim == 0:
        return None
    kind = draw(st.sampled_from(["none", "one", "several"]))
    if kind == "none":
        return None
    chosen = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    signed = tuple(a - ndim if draw(st.booleans()) else a for a in chosen)
    return signed[0] if kind == "one" else signed


@st.composite
def shape_and_axes(draw, max_dims: int = 4):
    shape = draw(shapes(max_dims=max_dims))
    return shape, draw(axes(len(shape)))


@st.composite
def shape_and_permutation(draw, max_dims: int = 4):
    """A shape and an order of its axes (some written negative), or () for the reverse."""
    shape = draw(shapes(max_dims=max_dims))
    ndim = len(shape)
    if draw(st.booleans()):
        return shape, ()
    order = draw(st.permutations(range(ndim)))
    return shape, tuple(a - ndim if draw(st.booleans()) else a for a in order)


@st.composite
def shape_and_index(draw, max_dims: int = 3):
    """A shape and an index into it: basic (ints, slices, None, ...), integer arrays, or a mask."""
    shape = draw(shapes(min_dims=1, max_dims=max_dims))
    kind = draw(st.sampled_from(["basic", "integer arrays", "mask"]))
    if kind == "basic":
        index = draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    elif kind == "integer arrays":
        index = draw(hnp.integer_array_indices(shape, result_shape=shapes(1, 2, 4)))
    else:
        index = draw(hnp.arrays(bool, shape[:1]))
    return shape, index


@st.composite
def windows(draw, d: int, pool: bool = False):
    """Kernel, stride, padding and an input size the padded kernel fits, ``d`` axes each.

    Pooling keeps padding within half the kernel (so every window holds an input value);
    convolution may pad more.
    """
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(d))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(d))
    padding = tuple(draw(st.integers(0, k // 2 if pool else 2)) for k in kernel)
    size = tuple(
        draw(st.integers(max(1, k - 2 * p), max(1, k - 2 * p) + 5)) for k, p in zip(kernel, padding)
    )
    return kernel, stride, padding, size
