import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import descend as ds
from tests.tensor.helpers import RNG, away_from_zero, normal, positive

BROADCAST_PAIRS = [
    ((), ()),
    ((3,), ()),
    ((), (2, 3)),
    ((2, 3), (2, 3)),
    ((2, 3), (3,)),
    ((4, 1), (1, 5)),
    ((2, 1, 3), (4, 1)),
    ((5, 2, 3), (5, 1, 1)),
]


@pytest.mark.parametrize(("sa", "sb"), BROADCAST_PAIRS)
@pytest.mark.parametrize(
    "op",
    [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b],
    ids=["add", "sub", "mul"],
)
def test_binary_gradients_broadcast(op, sa, sb):
    assert ds.gradcheck(op, normal(*sa), normal(*sb))


@pytest.mark.parametrize(("sa", "sb"), BROADCAST_PAIRS)
def test_div_gradients_broadcast(sa, sb):
    assert ds.gradcheck(lambda a, b: a / b, normal(*sa), away_from_zero(*sb))


@pytest.mark.parametrize(("sa", "sb"), BROADCAST_PAIRS)
def test_pow_gradients_tensor_exponent(sa, sb):
    assert ds.gradcheck(lambda a, b: a**b, positive(*sa), normal(*sb))


@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1.5])
def test_pow_gradients_constant_exponent(exponent):
    assert ds.gradcheck(lambda a: a**exponent, positive(2, 3))


def test_reflected_operators_and_negation():
    assert ds.gradcheck(lambda a: 2.0 - a, normal(3))
    assert ds.gradcheck(lambda a: 3.0 / a, away_from_zero(3))
    assert ds.gradcheck(lambda a: 2.0**a, normal(2, 2))
    assert ds.gradcheck(lambda a: -a, normal(2, 3))
    assert ds.gradcheck(lambda a: 1.5 * a + 1, normal(4))


def test_pow_gradient_at_zero_base_is_zero_for_exponent():
    a = ds.tensor([0.0, 2.0])
    b = ds.tensor([2.0, 3.0], requires_grad=True)
    (a**b).sum().backward()
    np.testing.assert_allclose(b.grad, [0.0, 8.0 * np.log(2.0)], rtol=1e-6)


def test_the_gradient_of_a_power_zero_is_zero_also_at_zero():
    # d(x**0)/dx = 0 everywhere; 0 * 0**-1 would give NaN at x = 0 (PyTorch gives 0).
    x = ds.tensor([0.0, 0.0, 2.0], requires_grad=True)
    with np.errstate(all="raise"):  # and no warning on the way
        (x**0).sum().backward()
        np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])
        x.grad = None
        (x ** ds.tensor([0.0, 1.0, 0.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0])


def test_the_gradient_of_a_power_zero_matches_pytorch():
    torch = pytest.importorskip("torch")
    base, exponent = [0.0, 0.0, 2.0, -1.5], [0.0, 1.0, 0.0, 2.0]
    x, tx = ds.tensor(base, requires_grad=True), torch.tensor(base, requires_grad=True)
    (x ** ds.tensor(exponent)).sum().backward()
    (tx ** torch.tensor(exponent)).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize(
    ("sa", "sb"),
    [
        ((3, 4), (4, 2)),
        ((4,), (4, 2)),
        ((3, 4), (4,)),
        ((4,), (4,)),
        ((5, 3, 4), (4, 2)),
        ((3, 4), (5, 4, 2)),
        ((2, 1, 3, 4), (5, 4, 2)),
        ((1, 1), (1, 1)),
    ],
)
def test_matmul_gradients(sa, sb):
    assert ds.gradcheck(lambda a, b: a @ b, normal(*sa), normal(*sb))


def test_matmul_with_ndarray_operand():
    w = ds.tensor(RNG.standard_normal((3, 2)).astype(np.float32), requires_grad=True)
    x = RNG.standard_normal((4, 3))
    out = x @ w
    assert out.dtype == np.float32
    out.sum().backward()
    np.testing.assert_allclose(w.grad, np.ones((4, 2)).T.dot(x).T, rtol=1e-5)


def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4, 5\).*3 columns.*4 rows"):
        ds.ones(2, 3) @ ds.ones(4, 5)
    with pytest.raises(ValueError, match=r"\(\) and \(3,\)"):
        ds.tensor(1.0) @ ds.ones(3)


def test_broadcast_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        ds.ones(2, 3) + ds.ones(4)
    with pytest.raises(ValueError, match=r"mul: shapes \(2,\) and \(3,\)"):
        ds.ones(2) * ds.ones(3)


def test_float32_is_never_upcast():
    a = ds.randn(3)
    assert (a * 2.5).dtype == np.float32
    assert (a + np.arange(3.0)).dtype == np.float32  # float64 array operand
    assert (a * np.float64(2.0)).dtype == np.float32
    assert (a + ds.arange(3)).dtype == np.float32  # int64 tensor
    assert (a**2).dtype == np.float32 and (2**a).dtype == np.float32
    with pytest.raises(TypeError, match="float32 and float64"):
        a + ds.tensor(np.ones(3))
    assert (ds.arange(3) * 0.5).dtype == np.float32


def _binary_shapes():
    return hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)


@settings(max_examples=40, deadline=None)
@given(shapes=_binary_shapes(), op=st.sampled_from(["add", "sub", "mul", "div", "pow"]))
def test_binary_ops_random_broadcast_shapes(shapes, op):
    sa, sb = shapes.input_shapes
    ops = {
        "add": (lambda a, b: a + b, normal, normal),
        "sub": (lambda a, b: a - b, normal, normal),
        "mul": (lambda a, b: a * b, normal, normal),
        "div": (lambda a, b: a / b, normal, away_from_zero),
        "pow": (lambda a, b: a**b, positive, normal),
    }
    fn, make_a, make_b = ops[op]
    a, b = make_a(*sa), make_b(*sb)
    out = fn(a, b)
    assert out.shape == shapes.result_shape
    assert ds.gradcheck(fn, a, b)
