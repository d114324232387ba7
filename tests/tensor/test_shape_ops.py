import numpy as np
import pytest
from hypothesis import given, settings

import descend as ds
from tests.tensor.helpers import normal
from tests.tensor_strategies import shape_and_index, shape_and_permutation


@pytest.mark.parametrize(
    ("shape", "new"), [((), (1,)), ((6,), (2, 3)), ((2, 3), (3, 2)), ((2, 3, 4), (4, -1))]
)
def test_reshape(shape, new):
    x = normal(*shape)
    assert x.reshape(*new).shape == x.data.reshape(new).shape
    assert ds.gradcheck(lambda t: t.reshape(new), x)


def test_reshape_error_names_shapes():
    with pytest.raises(ValueError, match=r"shape \(2, 3\) \(6 values\) into \(4,\)"):
        ds.ones(2, 3).reshape(4)


@pytest.mark.parametrize(
    ("shape", "axes"), [((3,), ()), ((2, 3), ()), ((2, 3, 4), (1, 2, 0)), ((2, 3, 4), (-1, 0, 1))]
)
def test_transpose(shape, axes):
    x = normal(*shape)
    np.testing.assert_array_equal(x.transpose(*axes).data, x.data.transpose(*axes))
    assert ds.gradcheck(lambda t: t.transpose(*axes), x)


def test_T_and_flatten():
    x = normal(2, 3, 4)
    assert ds.gradcheck(lambda t: t.T, normal(3, 4))
    assert x.flatten().shape == (24,)
    assert x.flatten(1).shape == (2, 12)
    assert x.flatten(0, 1).shape == (6, 4)
    assert ds.tensor(3.0).flatten().shape == (1,)
    assert ds.gradcheck(lambda t: t.flatten(1), x)


@pytest.mark.parametrize(
    "key",
    [
        1,
        -1,
        slice(1, None),
        (slice(None), 0),
        (slice(None, None, 2), slice(1, 3)),
        (Ellipsis, 1),
        (None, 0),
        [0, 2, 2],
        (np.arange(3), np.array([1, 0, 1])),
        np.array([[0, 1], [2, 2]]),
        np.array([True, False, True]),
        (slice(None), [3, 0, 3]),
    ],
    ids=str,
)
def test_getitem(key):
    x = normal(3, 4)
    np.testing.assert_array_equal(x[key].data, x.data[key])
    assert ds.gradcheck(lambda t: t[key], x)


def test_getitem_repeated_indices_add_up():
    x = ds.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])


def test_getitem_with_tensor_index():
    x = normal(4, 2)
    idx = ds.tensor(np.array([3, 1]))
    np.testing.assert_array_equal(x[idx].data, x.data[[3, 1]])


def test_getitem_out_of_range_is_clear():
    with pytest.raises(IndexError, match=r"shape \(3,\)"):
        ds.ones(3)[5]


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat(axis):
    shapes = {0: [(2, 3), (1, 3), (4, 3)], 1: [(2, 1), (2, 3)], -1: [(2, 2), (2, 2)]}[axis]
    xs = [normal(*s) for s in shapes]
    out = ds.concat(xs, axis=axis)
    np.testing.assert_array_equal(out.data, np.concatenate([x.data for x in xs], axis=axis))
    assert ds.gradcheck(lambda *ts: ds.concat(list(ts), axis=axis), *xs)


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_stack(axis):
    xs = [normal(2, 3) for _ in range(3)]
    out = ds.stack(xs, axis=axis)
    np.testing.assert_array_equal(out.data, np.stack([x.data for x in xs], axis=axis))
    assert ds.gradcheck(lambda *ts: ds.stack(list(ts), axis=axis), *xs)


def test_stack_of_scalars():
    xs = [normal() for _ in range(3)]
    assert ds.stack(xs).shape == (3,)
    assert ds.gradcheck(lambda *ts: ds.stack(list(ts)), *xs)


def test_concat_and_stack_errors_name_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\), \(2, 4\)"):
        ds.concat([ds.ones(2, 3), ds.ones(2, 4)])
    with pytest.raises(ValueError, match=r"\(2,\), \(3,\)"):
        ds.stack([ds.ones(2), ds.ones(3)])
    with pytest.raises(ValueError, match="at least one"):
        ds.concat([])


@pytest.mark.parametrize(
    ("cond_shape", "sa", "sb"),
    [((3,), (3,), (3,)), ((2, 3), (2, 3), (3,)), ((2, 1), (1, 3), ()), ((), (2,), (2,))],
)
def test_where(cond_shape, sa, sb):
    cond = np.random.default_rng(0).random(cond_shape) > 0.5
    a, b = normal(*sa), normal(*sb)
    np.testing.assert_array_equal(ds.where(cond, a, b).data, np.where(cond, a.data, b.data))
    assert ds.gradcheck(lambda x, y: ds.where(cond, x, y), a, b)


def test_where_with_scalar_branch_and_tensor_condition():
    x = ds.tensor([-1.0, 2.0, -3.0], requires_grad=True)
    y = ds.where(x > 0, x, 0.0)
    y.sum().backward()
    np.testing.assert_array_equal(y.data, [0.0, 2.0, 0.0])
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0])


@settings(max_examples=40, deadline=None)
@given(case=shape_and_permutation())
def test_transpose_any_permutation(case):
    shape, axes = case
    x = normal(*shape)
    np.testing.assert_array_equal(x.transpose(*axes).data, x.data.transpose(*axes))
    assert ds.gradcheck(lambda t: t.transpose(*axes), x)


@settings(max_examples=60, deadline=None)
@given(case=shape_and_index())
def test_getitem_any_index(case):
    shape, key = case
    x = normal(*shape)
    np.testing.assert_array_equal(x[key].data, x.data[key])
    # Against the definition: the gradient of sum(w * x[key]) scatters w back, adding up
    # where an index repeats.
    w = np.random.default_rng(1).standard_normal(x.data[key].shape)
    leaf = ds.tensor(x.data, requires_grad=True)
    (leaf[key] * w).sum().backward()
    expected = np.zeros(shape)
    np.add.at(expected, key, w)
    np.testing.assert_allclose(leaf.grad, expected, rtol=1e-12)
