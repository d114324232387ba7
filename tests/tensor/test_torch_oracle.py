"""PyTorch as a second oracle: the same float64 computation, values and gradients."""

import numpy as np
import pytest

import descend as ds

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(99)

CASES = {
    "arithmetic": (
        lambda a, b: ((a * b - a / (b * b + 1)) ** 2 + 3.0 - b).sum(),
        [(3, 4), (4,)],
    ),
    "matmul_batched": (lambda a, b: (a @ b).tanh().mean(), [(2, 3, 4), (4, 5)]),
    "matvec": (lambda a, b: (a @ b).sigmoid().sum(), [(3, 4), (4,)]),
    "elementwise": (
        lambda a: (a.exp() + (a * a + 1).log() + (a.abs() + 1).sqrt() + a.relu()).sum(),
        [(2, 5)],
    ),
    "clip": (lambda a: (a.clip(-0.5, 0.5) * a).sum(), [(10,)]),
    "reductions": (
        lambda a: (
            a.sum(axis=1) * a.mean(axis=0).sum() + a.max(axis=1) - a.min(axis=0).sum()
        ).sum(),
        [(3, 4)],
    ),
    "var": (lambda a: a.var(axis=0).sum() + a.var(), [(5, 3)]),
    "shape": (lambda a: (a.reshape(6, 2).T[1:, ::2] ** 2).sum(), [(3, 4)]),
    "indexing": (lambda a: (a[[0, 2, 2], 1:] * 2).sum(), [(3, 4)]),
}


def _torch_version(name, tensors):
    a = tensors[0]
    b = tensors[1] if len(tensors) > 1 else None
    return {
        "arithmetic": lambda: ((a * b - a / (b * b + 1)) ** 2 + 3.0 - b).sum(),
        "matmul_batched": lambda: (a @ b).tanh().mean(),
        "matvec": lambda: (a @ b).sigmoid().sum(),
        "elementwise": lambda: (
            a.exp() + (a * a + 1).log() + (a.abs() + 1).sqrt() + a.relu()
        ).sum(),
        "clip": lambda: (a.clamp(-0.5, 0.5) * a).sum(),
        "reductions": lambda: (
            a.sum(dim=1) * a.mean(dim=0).sum() + a.amax(dim=1) - a.amin(dim=0).sum()
        ).sum(),
        "var": lambda: a.var(dim=0).sum() + a.var(),
        "shape": lambda: (a.reshape(6, 2).T[1:, ::2] ** 2).sum(),
        "indexing": lambda: (a[[0, 2, 2], 1:] * 2).sum(),
    }[name]()


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_pytorch(name):
    fn, shapes = CASES[name]
    arrays = [RNG.standard_normal(s) for s in shapes]
    ours = [ds.tensor(x, requires_grad=True) for x in arrays]
    theirs = [torch.tensor(x, requires_grad=True) for x in arrays]
    out = fn(*ours)
    out.backward()
    expected = _torch_version(name, theirs)
    expected.backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad, reference.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_concat_stack_where_match_pytorch():
    x = RNG.standard_normal((2, 3))
    y = RNG.standard_normal((2, 3))
    cond = x > y
    a, b = ds.tensor(x, requires_grad=True), ds.tensor(y, requires_grad=True)
    ta, tb = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
    out = (ds.concat([a, b], axis=1) ** 2).sum() + (ds.stack([a, b]) * 3).sum()
    out = out + (ds.where(cond, a, b) ** 3).sum()
    ref = (torch.cat([ta, tb], dim=1) ** 2).sum() + (torch.stack([ta, tb]) * 3).sum()
    ref = ref + (torch.where(torch.tensor(cond), ta, tb) ** 3).sum()
    out.backward()
    ref.backward()
    np.testing.assert_allclose(out.item(), ref.item(), rtol=1e-12)
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.grad, tb.grad.numpy(), rtol=1e-12)


def _written_for_pytorch(a):
    """PyTorch's spellings (dim, keepdim, view, max(dim) -> values/indices), valid for both."""
    top = a.max(dim=1)
    low = a.min(dim=0, keepdim=True)
    out = a.sum(dim=1, keepdim=True) * a.mean(dim=0) + top.values[:, None] * low.values
    out = out + a.var(dim=0) + a.softmax(dim=1) + a.log_softmax(dim=0) + a.view(4, 3).T
    return out.sum(), top.indices, low.indices, a.argmax(dim=0), a.argmin(dim=1)


def test_code_written_for_pytorch_runs_unchanged_with_the_same_numbers():
    x = RNG.standard_normal((3, 4))
    ours, theirs = ds.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, *indices = _written_for_pytorch(ours)
    ref, *ref_indices = _written_for_pytorch(theirs)
    out.backward()
    ref.backward()
    np.testing.assert_allclose(out.item(), ref.item(), rtol=1e-12)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
    for mine, reference in zip(indices, ref_indices):
        assert mine.dtype == np.int64
        np.testing.assert_array_equal(mine.data, reference.numpy())


def test_max_with_dim_routes_the_gradient_to_the_index_as_pytorch():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    ours, theirs = ds.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours.max(dim=1).values.sum().backward()
    theirs.max(dim=1).values.sum().backward()
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


def test_parameter_update_in_place_under_no_grad_as_pytorch():
    x = RNG.standard_normal(5)
    for lib, make in ((ds, ds.tensor), (torch, torch.tensor)):
        w = make(x, requires_grad=True)
        (w * w).sum().backward()
        before = w
        with lib.no_grad():
            w -= 0.1 * w.grad
            w *= 2.0
        assert w is before and w.requires_grad
        np.testing.assert_allclose(np.asarray(w.detach()), x * 0.8 * 2.0)
