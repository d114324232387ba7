import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import descend as ds
from descend.tensor import unbroadcast


def test_chain_rule_through_a_shared_node():
    x = ds.tensor(3.0, requires_grad=True)
    y = x * x  # used twice below: gradients must add up
    z = y * x + y
    z.backward()
    assert x.grad == pytest.approx(3 * 9 + 2 * 3)


def test_gradients_accumulate_until_reset():
    w = ds.tensor([1.0, 2.0], requires_grad=True)
    (w * 3).sum().backward()
    (w * 3).sum().backward()
    np.testing.assert_array_equal(w.grad, [6.0, 6.0])
    w.grad = None
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])


def test_no_grad_records_nothing():
    w = ds.tensor([1.0], requires_grad=True)
    with ds.no_grad():
        assert not ds.is_grad_enabled()
        y = w * 2
    assert ds.is_grad_enabled()
    assert not y.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()

    @ds.no_grad()
    def predict(t):
        return t * 2

    assert not predict(w).requires_grad


def test_no_grad_restores_the_mode_after_an_error():
    with pytest.raises(ZeroDivisionError), ds.no_grad():
        _ = 1 / 0
    assert ds.is_grad_enabled()


def test_non_scalar_backward_needs_grad():
    x = ds.randn(2, 3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"needs a scalar, got a tensor of shape \(2, 3\)"):
        y.backward()
    y.backward(np.ones((2, 3)))
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 2.0))
    with pytest.raises(ValueError, match=r"grad has shape \(3,\), expected \(2, 3\)"):
        (x * 2).backward(np.ones(3))


def test_backward_through_a_freed_graph_is_an_error():
    x = ds.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="already freed"):
        y.backward()
    h = x * x
    h.sum().backward()
    with pytest.raises(RuntimeError, match="already freed"):
        (h * 2).sum().backward()


def test_retain_graph_allows_a_second_backward():
    x = ds.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])


def test_graph_is_freed_after_backward():
    x = ds.randn(3, requires_grad=True)
    hidden = x.exp()
    ref = weakref.ref(hidden)
    y = (hidden * 2).sum()
    del hidden
    assert ref() is not None  # y's graph keeps it alive...
    y.backward()
    gc.collect()
    assert ref() is None  # ...until backward frees the graph


def test_memory_does_not_grow_over_1000_steps():
    w = ds.randn(64, 32, requires_grad=True)
    x = ds.randn(16, 64)

    def step():
        loss = ((x @ w).tanh() ** 2).mean()
        loss.backward()
        w.data -= 0.01 * w.grad
        w.grad = None

    for _ in range(50):
        step()
    gc.collect()
    tracemalloc.start()
    for _ in range(100):
        step()
    after_100, _ = tracemalloc.get_traced_memory()
    for _ in range(900):
        step()
    after_1000, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert after_1000 - after_100 < 20_000, (after_100, after_1000)


def test_leaf_gradients_never_alias_each_other():
    a = ds.randn(3, requires_grad=True)
    b = ds.randn(3, requires_grad=True)
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad, b.grad)
    a.grad *= 10
    np.testing.assert_array_equal(b.grad, np.ones(3))
    c, d = ds.randn(4, requires_grad=True), ds.randn(4, requires_grad=True)
    (c.reshape(2, 2) + d.reshape(2, 2)).sum().backward()
    assert not np.shares_memory(c.grad, d.grad)
    assert c.grad.flags.writeable and d.grad.flags.writeable


def test_deep_graph_needs_no_recursion():
    x = ds.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.backward()
    assert x.grad == pytest.approx(1.0001**5000, rel=1e-3)


def test_constants_get_no_gradient():
    w = ds.tensor([1.0, 2.0], requires_grad=True)
    c = ds.tensor([5.0, 6.0])
    (w * c).sum().backward()
    assert c.grad is None


def test_unbroadcast_sums_over_broadcast_axes():
    g = np.ones((4, 2, 3))
    assert unbroadcast(g, (4, 2, 3)) is g
    np.testing.assert_array_equal(unbroadcast(g, (3,)), np.full(3, 8.0))
    np.testing.assert_array_equal(unbroadcast(g, (2, 1)), np.full((2, 1), 12.0))
    np.testing.assert_array_equal(unbroadcast(g, ()), 24.0)
    np.testing.assert_array_equal(unbroadcast(g, (1, 1, 3)), np.full((1, 1, 3), 8.0))
