"""In-place operators: PyTorch's rules for changing a tensor's values where they are."""

import numpy as np
import pytest

import descend as ds


def test_update_inside_no_grad_changes_the_leaf_itself():
    w = ds.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    leaf, array = w, w.data
    with ds.no_grad():
        w -= 0.1 * w.grad
        w += ds.tensor([1.0, 1.0])
        w *= 2
        w /= 4
        w **= 2
    assert w is leaf and w.data is array and w.requires_grad and w.is_leaf
    np.testing.assert_allclose(w.data, ((np.array([0.8, 1.6]) + 1) * 2 / 4) ** 2, rtol=1e-6)
    assert w.dtype == np.float32


def test_the_update_is_seen_by_an_optimizer_holding_the_parameter():
    model = ds.nn.Linear(2, 1)
    opt = ds.optim.SGD(model.parameters(), lr=0.1)
    with ds.no_grad():
        model.weight *= 0
    assert opt.param_groups[0]["params"][0] is model.weight
    assert not model.weight.data.any()


def test_leaf_that_requires_grad_refuses_in_place_change_outside_no_grad():
    w = ds.tensor([1.0, 2.0], requires_grad=True)
    before = w.data.copy()
    with pytest.raises(RuntimeError, match=r"leaf tensor that requires grad .* in-place .*\(-=\)"):
        w -= 1.0
    with pytest.raises(RuntimeError, match=r"inside `with ds.no_grad\(\):`"):
        w *= ds.tensor([2.0, 2.0])
    np.testing.assert_array_equal(w.data, before)


def test_tensors_without_gradients_change_in_place_anywhere():
    x = ds.tensor([1.0, 2.0, 3.0])
    view = x[1:]
    x += 1
    np.testing.assert_array_equal(x.data, [2.0, 3.0, 4.0])
    np.testing.assert_array_equal(view.data, [3.0, 4.0])  # views share memory, as in PyTorch


def test_in_place_on_a_graph_tensor_records_the_op_out_of_place():
    w = ds.tensor([1.0, 2.0], requires_grad=True)
    h = w * 3
    saved = h
    h += w  # PyTorch changes h in place; here h is rebound, with the same values and grads
    assert h is not saved
    np.testing.assert_array_equal(saved.data, [3.0, 6.0])
    h.sum().backward()
    np.testing.assert_array_equal(w.grad, [4.0, 4.0])


def test_a_constant_that_takes_a_gradient_joins_the_graph():
    w = ds.tensor([1.0, 2.0], requires_grad=True)
    acc = ds.zeros(2)
    acc += w * w
    acc.sum().backward()
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])


def test_in_place_keeps_the_dtype_and_shape():
    x = ds.arange(3)  # int64
    with pytest.raises(
        TypeError, match=r"in-place /=: the result cannot be stored in this tensor.s dtype int64"
    ):
        x /= 2
    with pytest.raises(
        ValueError, match=r"operand of shape \(2, 3\) does not broadcast to .* \(3,\)"
    ):
        x += np.ones((2, 3), dtype=np.int64)
    y = ds.zeros(3)
    y += np.arange(3.0)  # a float64 operand is stored in float32, as PyTorch casts
    assert y.dtype == np.float32 and y.data.tolist() == [0.0, 1.0, 2.0]
