"""conv1d, conv2d and the pools in 1-D and 2-D: values against loops, finite-difference grads."""

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import descend as ds
from descend.nn.functional import (
    avg_pool1d,
    avg_pool2d,
    conv1d,
    conv2d,
    max_pool1d,
    max_pool2d,
)
from tests.tensor_strategies import windows

RNG = np.random.default_rng(7)


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def reference_conv(x, w, b, stride, padding):
    """The definition, one output value at a time (stride and padding: int or pair)."""
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (wd + 2 * pw - kw) // sw + 1
    out = np.zeros((n, o, ho, wo))
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    return out + (0 if b is None else b[None, :, None, None])


def reference_pool(x, k, stride, padding, reduce, fill):
    """The definition, one window at a time (kernel, stride and padding: int or pair)."""
    (kh, kw), (sh, sw), (ph, pw) = _pair(k), _pair(stride), _pair(padding)
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    ho = (h + 2 * ph - kh) // sh + 1
    wo = (w + 2 * pw - kw) // sw + 1
    out = np.zeros((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            window = xp[:, :, i * sh : i * sh + kh, j * sw : j * sw + kw]
            out[:, :, i, j] = reduce(window, axis=(2, 3))
    return out


CONV_CASES = [
    # (N, C, H, W, O, kh, kw, stride, padding)
    (2, 3, 6, 5, 4, 3, 3, 1, 0),
    (2, 2, 7, 7, 3, 3, 3, 2, 1),
    (1, 1, 8, 8, 2, 5, 5, 1, 2),
    (2, 2, 6, 7, 2, 2, 3, 3, 1),
    (1, 3, 4, 4, 2, 1, 1, 1, 0),
    (2, 1, 5, 5, 1, 5, 5, 1, 0),
    # Wide outputs: im2col and col2im copy row by row instead of in two steps.
    (1, 2, 4, 20, 2, 2, 2, 1, 0),
    (1, 2, 5, 36, 2, 3, 3, 1, 1),
]


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_matches_definition(case, float64):
    n, c, h, w, o, kh, kw, s, p = case
    x = RNG.standard_normal((n, c, h, w))
    weight = RNG.standard_normal((o, c, kh, kw))
    bias = RNG.standard_normal(o)
    expected = reference_conv(x, weight, bias, s, p)
    out = conv2d(ds.tensor(x), ds.tensor(weight), ds.tensor(bias), s, p)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv2d_gradients(case):
    n, c, h, w, o, kh, kw, s, p = case
    x = ds.tensor(RNG.standard_normal((n, c, h, w)))
    weight = ds.tensor(RNG.standard_normal((o, c, kh, kw)))
    bias = ds.tensor(RNG.standard_normal(o))
    assert ds.gradcheck(lambda a, b, c_: conv2d(a, b, c_, s, p), x, weight, bias)


def test_conv2d_without_bias_and_anisotropic_settings():
    x = ds.tensor(RNG.standard_normal((2, 2, 7, 6)))
    weight = ds.tensor(RNG.standard_normal((3, 2, 3, 2)))
    assert ds.gradcheck(lambda a, b: conv2d(a, b, None, (2, 1), (1, 0)), x, weight)
    out = conv2d(x, weight, stride=(2, 1), padding=(1, 0))
    assert out.shape == (2, 3, 4, 5)


def test_conv2d_keeps_float32_and_skips_unneeded_gradients():
    x = ds.randn(4, 1, 12, 12)
    weight = ds.randn(6, 1, 5, 5, requires_grad=True)
    bias = ds.zeros(6, requires_grad=True)
    out = conv2d(x, weight, bias, padding=2)
    assert out.dtype == np.float32 and out.shape == (4, 6, 12, 12)
    out.sum().backward()
    assert x.grad is None
    assert weight.grad.dtype == np.float32 and weight.grad.shape == (6, 1, 5, 5)
    # d(sum)/d(bias) counts the output positions of each channel.
    np.testing.assert_allclose(bias.grad, np.full(6, 4 * 12 * 12))


def test_conv2d_accepts_non_contiguous_input(float64):
    x = RNG.standard_normal((2, 5, 5, 3)).transpose(0, 3, 1, 2)
    w = RNG.standard_normal((2, 3, 3, 3))
    out = conv2d(ds.tensor(np.ascontiguousarray(x)), ds.tensor(w))
    np.testing.assert_allclose(conv2d(x, ds.tensor(w)).data, out.data)


def test_conv2d_output_is_a_channel_major_view_with_usual_values(float64):
    x = RNG.standard_normal((3, 2, 6, 6))
    w = RNG.standard_normal((4, 2, 3, 3))
    out = conv2d(ds.tensor(x), ds.tensor(w))
    assert out.shape == (3, 4, 4, 4)
    # (O, N, Ho, Wo) in memory, as the GEMM left it: no copy to transpose it.
    assert out.data.transpose(1, 0, 2, 3).flags.c_contiguous
    np.testing.assert_allclose(np.ascontiguousarray(out.data), reference_conv(x, w, None, 1, 0))


@pytest.mark.parametrize("padding", [0, 2])
def test_conv2d_in_chunks_equals_one_sample_at_a_time(float64, padding):
    # A batch this size spans several chunks of patches (the last one partial), and the
    # weight gradient makes each chunk's patches again: values and gradients must still be
    # those of each sample alone, also for a second backward through the same graph.
    from descend.nn.functional import conv as conv_module

    n, c, o = 60, 1, 6
    x = RNG.standard_normal((n, c, 16, 16))
    w, b = RNG.standard_normal((o, c, 3, 3)), RNG.standard_normal(o)
    rows_bytes = (c * 9 + 1) * 16 * 16 * 8
    assert 1 < conv_module.CHUNK_BYTES // rows_bytes < n and n % (
        conv_module.CHUNK_BYTES // rows_bytes
    )
    xt, wt, bt = (ds.tensor(a, requires_grad=True) for a in (x, w, b))
    out = conv2d(xt, wt, bt, padding=padding)
    np.testing.assert_allclose(out.data, reference_conv(x, w, b, 1, padding), atol=1e-12)
    g = RNG.standard_normal(out.shape)
    (out * ds.tensor(g)).sum().backward(retain_graph=True)
    grads = [t.grad.copy() for t in (xt, wt, bt)]
    (out * ds.tensor(g)).sum().backward()
    expected = [np.zeros_like(x), np.zeros_like(w), np.zeros_like(b)]
    for i in range(n):
        xi, wi, bi = (ds.tensor(a, requires_grad=True) for a in (x[i : i + 1], w, b))
        (conv2d(xi, wi, bi, padding=padding) * ds.tensor(g[i : i + 1])).sum().backward()
        expected[0][i], expected[1], expected[2] = (
            xi.grad[0],
            expected[1] + wi.grad,
            expected[2] + bi.grad,
        )
    for got, twice, want in zip(grads, (xt.grad, wt.grad, bt.grad), expected):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(twice, 2 * want, rtol=1e-10, atol=1e-10)


def test_conv2d_no_graph_without_grad():
    w = ds.randn(2, 1, 3, 3, requires_grad=True)
    with ds.no_grad():
        out = conv2d(ds.randn(1, 1, 5, 5), w)
    assert not out.requires_grad


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "kwargs", "message"),
    [
        ((1, 3, 8, 8), (6, 1, 5, 5), {}, "weight expects 1 input channels, input has 3"),
        ((1, 1, 4, 4), (2, 1, 5, 5), {}, "kernel 5x5 is larger than the padded input 4x4"),
        ((1, 1, 2, 2), (2, 1, 5, 5), {"padding": 1}, "padded input 4x4 (input 2x2, padding 1x1)"),
        ((1, 8, 8), (2, 1, 3, 3), {}, "expected input (N, C, H, W)"),
        ((1, 1, 8, 8), (2, 1, 3, 3), {"stride": 0}, "stride must be an int >= 1"),
        ((1, 1, 8, 8), (2, 1, 3, 3), {"padding": -1}, "padding must be an int >= 0"),
    ],
)
def test_conv2d_errors(x_shape, w_shape, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        conv2d(ds.zeros(*x_shape), ds.zeros(*w_shape), **kwargs)


def test_conv2d_bias_shape_error():
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\)"):
        conv2d(ds.zeros(1, 1, 4, 4), ds.zeros(2, 1, 3, 3), ds.zeros(3))


POOL_CASES = [(2, None, 0), (3, 1, 1), (3, 2, 1), (2, 1, 0), (3, 3, 0), ((2, 3), (1, 2), (1, 0))]


@pytest.mark.parametrize("case", POOL_CASES[:5])
def test_pools_match_definition(case, float64):
    k, s, p = case
    x = RNG.standard_normal((2, 3, 7, 8))
    stride = k if s is None else s
    np.testing.assert_allclose(
        max_pool2d(ds.tensor(x), k, s, p).data, reference_pool(x, k, stride, p, np.max, -np.inf)
    )
    np.testing.assert_allclose(
        avg_pool2d(ds.tensor(x), k, s, p).data,
        reference_pool(x, k, stride, p, np.mean, 0.0),
        rtol=1e-12,
    )


@pytest.mark.parametrize("case", POOL_CASES)
@pytest.mark.parametrize("pool", [max_pool2d, avg_pool2d])
def test_pool_gradients(case, pool):
    k, s, p = case
    # Distinct values, so no window holds a tie within the finite-difference step.
    x = ds.tensor(RNG.permutation(2 * 3 * 7 * 8).reshape(2, 3, 7, 8) / 10.0)
    assert ds.gradcheck(lambda a: pool(a, k, s, p), x)


def test_max_pool_gradient_goes_to_the_first_maximum_of_a_tie():
    x = ds.tensor(np.array([[[[1.0, 3.0], [3.0, 3.0]]]]), requires_grad=True)
    max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [[[[0.0, 1.0], [0.0, 0.0]]]])


def test_max_pool_overlapping_windows_add_their_gradients():
    x = ds.tensor(np.array([[[[0.0, 5.0, 0.0, 0.0]]]]), requires_grad=True)
    max_pool2d(x, (1, 2), stride=1).sum().backward()
    # Windows [0, 5], [5, 0], [0, 0]: the last is a tie, won by its first element.
    np.testing.assert_array_equal(x.grad, [[[[0.0, 2.0, 1.0, 0.0]]]])


def test_pool_drops_rows_that_do_not_fill_a_window():
    x = ds.tensor(RNG.standard_normal((1, 1, 5, 5)), requires_grad=True)
    out = max_pool2d(x, 2)
    assert out.shape == (1, 1, 2, 2)
    out.sum().backward()
    assert not x.grad[:, :, 4, :].any() and not x.grad[:, :, :, 4].any()


@pytest.mark.parametrize("pool", [max_pool2d, avg_pool2d])
def test_pool_errors(pool):
    with pytest.raises(ValueError, match="kernel 3x3 is larger than the padded input 2x2"):
        pool(ds.zeros(1, 1, 2, 2), 3)
    with pytest.raises(ValueError, match="padding 2x2 must be at most half the kernel 3x3"):
        pool(ds.zeros(1, 1, 8, 8), 3, padding=2)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C, H, W\)"):
        pool(ds.zeros(8, 8), 2)


def test_conv2d_frozen_weight_still_gives_bias_and_input_gradients():
    x = ds.randn(2, 2, 5, 5, requires_grad=True)
    weight = ds.randn(3, 2, 3, 3)
    bias = ds.zeros(3, requires_grad=True)
    conv2d(x, weight, bias).sum().backward()
    assert weight.grad is None
    np.testing.assert_allclose(bias.grad, np.full(3, 2 * 3 * 3))
    assert x.grad.shape == x.shape


# -- one spatial axis: signals (N, C, L) ---------------------------------------------


def reference_conv1d(x, w, b, stride, padding):
    """The definition, one output position at a time."""
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding)))
    k = w.shape[2]
    lo = (x.shape[2] + 2 * padding - k) // stride + 1
    out = np.stack(
        [
            np.tensordot(xp[:, :, i * stride : i * stride + k], w, axes=([1, 2], [1, 2]))
            for i in range(lo)
        ],
        axis=2,
    )
    return out + (0 if b is None else b[None, :, None])


def reference_pool1d(x, k, stride, padding, reduce, fill):
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding)), constant_values=fill)
    lo = (x.shape[2] + 2 * padding - k) // stride + 1
    return np.stack([reduce(xp[:, :, i * stride : i * stride + k], axis=2) for i in range(lo)], 2)


CONV1D_CASES = [
    # (N, C, L, O, k, stride, padding)
    (2, 3, 10, 4, 3, 1, 0),
    (2, 2, 11, 3, 5, 2, 2),
    (1, 1, 7, 2, 7, 1, 0),
    (3, 2, 9, 2, 1, 3, 0),
    (2, 4, 40, 3, 5, 2, 1),
]


@pytest.mark.parametrize("case", CONV1D_CASES)
def test_conv1d_matches_definition(case, float64):
    n, c, length, o, k, s, p = case
    x = RNG.standard_normal((n, c, length))
    weight = RNG.standard_normal((o, c, k))
    bias = RNG.standard_normal(o)
    out = conv1d(ds.tensor(x), ds.tensor(weight), ds.tensor(bias), s, p)
    np.testing.assert_allclose(
        out.data, reference_conv1d(x, weight, bias, s, p), rtol=1e-12, atol=1e-12
    )
    assert out.shape == (n, o, (length + 2 * p - k) // s + 1)


@pytest.mark.parametrize("case", CONV1D_CASES)
def test_conv1d_gradients(case):
    n, c, length, o, k, s, p = case
    x = ds.tensor(RNG.standard_normal((n, c, length)))
    weight = ds.tensor(RNG.standard_normal((o, c, k)))
    bias = ds.tensor(RNG.standard_normal(o))
    assert ds.gradcheck(lambda a, b, c_: conv1d(a, b, c_, s, p), x, weight, bias)
    assert ds.gradcheck(lambda a, b: conv1d(a, b, None, s, p), x, weight)


def test_conv1d_is_conv2d_of_height_one(float64):
    x = ds.tensor(RNG.standard_normal((2, 3, 12)), requires_grad=True)
    w = ds.tensor(RNG.standard_normal((4, 3, 3)), requires_grad=True)
    x2 = ds.tensor(x.data[:, :, None, :], requires_grad=True)
    w2 = ds.tensor(w.data[:, :, None, :], requires_grad=True)
    out, out2 = conv1d(x, w, stride=2, padding=1), conv2d(x2, w2, stride=(1, 2), padding=(0, 1))
    np.testing.assert_array_equal(out.data, out2.data[:, :, 0])
    g = RNG.standard_normal(out.shape)
    out.backward(g)
    out2.backward(g[:, :, None])
    np.testing.assert_array_equal(x.grad, x2.grad[:, :, 0])
    np.testing.assert_array_equal(w.grad, w2.grad[:, :, 0])


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "kwargs", "message"),
    [
        ((1, 3, 8), (6, 1, 5), {}, "conv1d: weight expects 1 input channels, input has 3"),
        ((1, 1, 4), (2, 1, 5), {}, "conv1d: kernel 5 is larger than the padded input 4"),
        ((1, 1, 2), (2, 1, 5), {"padding": 1}, "padded input 4 (input 2, padding 1)"),
        ((1, 8, 8), (2, 1, 3, 3), {}, "expected input (N, C, L) and weight (O, C, k)"),
        ((1, 1, 8), (2, 1, 3), {"stride": (1, 1)}, "stride must be an int >= 1, got (1, 1)"),
        ((1, 1, 8), (2, 1, 3), {"padding": -1}, "padding must be an int >= 0"),
    ],
)
def test_conv1d_errors(x_shape, w_shape, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        conv1d(ds.zeros(*x_shape), ds.zeros(*w_shape), **kwargs)


POOL1D_CASES = [(2, None, 0), (3, 1, 1), (3, 2, 1), (2, 1, 0), (4, None, 0), (5, 3, 2)]


@pytest.mark.parametrize("case", POOL1D_CASES)
def test_pools1d_match_definition(case, float64):
    k, s, p = case
    x = RNG.standard_normal((2, 3, 11))
    stride = k if s is None else s
    np.testing.assert_array_equal(
        max_pool1d(ds.tensor(x), k, s, p).data,
        reference_pool1d(x, k, stride, p, np.max, -np.inf),
    )
    np.testing.assert_allclose(
        avg_pool1d(ds.tensor(x), k, s, p).data,
        reference_pool1d(x, k, stride, p, np.mean, 0.0),
        rtol=1e-12,
    )


@pytest.mark.parametrize("case", POOL1D_CASES)
@pytest.mark.parametrize("pool", [max_pool1d, avg_pool1d])
def test_pool1d_gradients(case, pool):
    k, s, p = case
    x = ds.tensor(RNG.permutation(2 * 3 * 11).reshape(2, 3, 11) / 10.0)
    assert ds.gradcheck(lambda a: pool(a, k, s, p), x)


def test_max_pool1d_tie_goes_to_the_first_and_leftovers_get_nothing():
    x = ds.tensor([[[2.0, 2.0, 1.0, 3.0, 9.0]]], requires_grad=True)
    max_pool1d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [[[1.0, 0.0, 0.0, 1.0, 0.0]]])


@pytest.mark.parametrize("pool", [max_pool1d, avg_pool1d])
def test_pool1d_errors(pool):
    name = pool.__name__
    with pytest.raises(ValueError, match=f"{name}: kernel 3 is larger than the padded input 2"):
        pool(ds.zeros(1, 1, 2), 3)
    with pytest.raises(ValueError, match="padding 2 must be at most half the kernel 3"):
        pool(ds.zeros(1, 1, 8), 3, padding=2)
    with pytest.raises(
        ValueError, match=r"expected input of shape \(N, C, L\), got \(1, 1, 8, 8\)"
    ):
        pool(ds.zeros(1, 1, 8, 8), 2)
    with pytest.raises(ValueError, match=r"kernel_size must be an int >= 1, got \(2, 2\)"):
        pool(ds.zeros(1, 1, 8), (2, 2))


# -- any geometry (hypothesis): values against the loops above, gradients by differences --


def _distinct(shape):
    """Values without ties (max pooling's gradient is not defined at a tie)."""
    return RNG.permutation(int(np.prod(shape))).reshape(shape) / 10.0


@settings(max_examples=40, deadline=None)
@given(geometry=windows(2), n=st.integers(1, 2), c=st.integers(1, 3), o=st.integers(1, 3),
       bias=st.booleans())  # fmt: skip
def test_conv2d_any_geometry(geometry, n, c, o, bias):
    kernel, stride, padding, size = geometry
    x, w = RNG.standard_normal((n, c, *size)), RNG.standard_normal((o, c, *kernel))
    b = RNG.standard_normal(o) if bias else None
    out = conv2d(ds.tensor(x), ds.tensor(w), None if b is None else ds.tensor(b), stride, padding)
    np.testing.assert_allclose(out.data, reference_conv(x, w, b, stride, padding), atol=1e-12)
    inputs = [ds.tensor(x), ds.tensor(w)] + ([] if b is None else [ds.tensor(b)])
    assert ds.gradcheck(lambda *t: conv2d(*t, stride=stride, padding=padding), *inputs)


@settings(max_examples=40, deadline=None)
@given(geometry=windows(1), n=st.integers(1, 2), c=st.integers(1, 3), o=st.integers(1, 3))
def test_conv1d_any_geometry(geometry, n, c, o):
    (k,), (s,), (p,), (length,) = geometry
    x, w, b = (
        RNG.standard_normal((n, c, length)),
        RNG.standard_normal((o, c, k)),
        RNG.standard_normal(o),
    )
    out = conv1d(ds.tensor(x), ds.tensor(w), ds.tensor(b), s, p)
    np.testing.assert_allclose(out.data, reference_conv1d(x, w, b, s, p), atol=1e-12)
    assert ds.gradcheck(lambda *t: conv1d(*t, s, p), ds.tensor(x), ds.tensor(w), ds.tensor(b))


@settings(max_examples=40, deadline=None)
@given(geometry=windows(2, pool=True), kind=st.sampled_from(["max", "avg"]),
       default_stride=st.booleans())  # fmt: skip
def test_pool2d_any_geometry(geometry, kind, default_stride):
    kernel, stride, padding, size = geometry
    stride = None if default_stride else stride
    pool, reduce, fill = (
        (max_pool2d, np.max, -np.inf) if kind == "max" else (avg_pool2d, np.mean, 0.0)
    )
    x = _distinct((2, 2, *size))
    out = pool(ds.tensor(x), kernel, stride, padding)
    expected = reference_pool(
        x, kernel, kernel if stride is None else stride, padding, reduce, fill
    )
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
    assert ds.gradcheck(lambda t: pool(t, kernel, stride, padding), ds.tensor(x))


@settings(max_examples=40, deadline=None)
@given(geometry=windows(1, pool=True), kind=st.sampled_from(["max", "avg"]))
def test_pool1d_any_geometry(geometry, kind):
    (k,), (s,), (p,), (length,) = geometry
    pool, reduce, fill = (
        (max_pool1d, np.max, -np.inf) if kind == "max" else (avg_pool1d, np.mean, 0.0)
    )
    x = _distinct((2, 3, length))
    out = pool(ds.tensor(x), k, s, p)
    np.testing.assert_allclose(out.data, reference_pool1d(x, k, s, p, reduce, fill), rtol=1e-12)
    assert ds.gradcheck(lambda t: pool(t, k, s, p), ds.tensor(x))
