import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import descend as ds
from tests.tensor.helpers import normal
from tests.tensor_strategies import shape_and_axes

REDUCTIONS = {
    "sum": lambda x, **kw: x.sum(**kw),
    "mean": lambda x, **kw: x.mean(**kw),
    "max": lambda x, **kw: x.max(**kw),
    "min": lambda x, **kw: x.min(**kw),
    "var": lambda x, **kw: x.var(**kw),
}
CASES = [
    ((), None),
    ((5,), None),
    ((5,), 0),
    ((3, 4), None),
    ((3, 4), 0),
    ((3, 4), 1),
    ((3, 4), -1),
    ((2, 3, 4), (0, 2)),
    ((2, 3, 4), 1),
]


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@pytest.mark.parametrize(("shape", "axis"), CASES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_gradients(name, shape, axis, keepdims):
    fn = REDUCTIONS[name]
    x = normal(*shape)
    if name == "var" and x.data.size // np.var(x.data, axis=axis).size < 2:
        # One value: no spread to estimate; NaN with its NaN gradient, as NumPy and PyTorch.
        x.requires_grad_()
        out = fn(x, axis=axis, keepdims=keepdims)
        out.sum().backward()
        assert np.isnan(out.data).all() and np.isnan(x.grad).all()
        return
    out = fn(x, axis=axis, keepdims=keepdims)
    reference = getattr(np, name)(
        x.data, axis=axis, keepdims=keepdims, **({"ddof": 1} if name == "var" else {})
    )
    np.testing.assert_allclose(out.data, reference)
    assert ds.gradcheck(lambda t: fn(t, axis=axis, keepdims=keepdims), x)


def test_var_correction_zero_is_population_variance():
    x = normal(4, 3)
    np.testing.assert_allclose(x.var(axis=0, correction=0).data, np.var(x.data, axis=0))
    assert ds.gradcheck(lambda t: t.var(axis=0, correction=0), x)


def test_max_ties_share_the_gradient():
    x = ds.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, -1.0]], requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [1, 0, 0]])
    x.grad = None
    x.min().backward()
    np.testing.assert_allclose(x.grad, [[0, 0, 0], [0, 0, 1]])


def test_bad_axis_is_a_clear_error():
    with pytest.raises(ValueError, match="axis 2 is out of range for a tensor with 2 dimensions"):
        ds.ones(2, 3).sum(axis=2)


def test_reductions_keep_float32():
    x = ds.randn(4, 5)
    for name, fn in REDUCTIONS.items():
        assert fn(x, axis=0).dtype == np.float32, name


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_pytorch_spelling_dim_and_keepdim(name):
    x = normal(3, 4)
    fn = getattr(x, name)
    extreme = name in ("max", "min")  # torch.max(x, dim) gives (values, indices)
    for axis in (0, 1, -1) if extreme else (0, 1, -1, (0, 1)):
        for keep in (False, True):
            ours = fn(dim=axis, keepdim=keep)
            ours = ours.values if extreme else ours
            np.testing.assert_array_equal(ours.data, fn(axis=axis, keepdims=keep).data)
    if extreme:
        with pytest.raises(TypeError, match=f"{name}: dim must be one int"):
            fn(dim=(0, 1))
    with pytest.raises(TypeError, match=f"{name}: got axis=0 and dim=1; dim is PyTorch's name"):
        fn(axis=0, dim=1)


def test_max_and_min_with_dim_give_values_and_indices():
    x = ds.tensor([[1.0, 5.0, 5.0], [7.0, 0.0, -2.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    np.testing.assert_array_equal(values.data, [5.0, 7.0])
    np.testing.assert_array_equal(indices.data, [1, 0])
    assert indices.dtype == np.int64 and not indices.requires_grad
    kept = x.min(dim=0, keepdim=True)
    assert kept.values.shape == (1, 3) and kept.indices.shape == (1, 3)
    np.testing.assert_array_equal(kept.indices.data, [[0, 1, 1]])
    values.sum().backward()  # the gradient goes to the index, ties included
    np.testing.assert_array_equal(x.grad, [[0, 1, 0], [1, 0, 0]])


def test_max_with_dim_gradients(float64):
    x = normal(3, 4)
    assert ds.gradcheck(lambda t: t.max(dim=1).values, x)
    assert ds.gradcheck(lambda t: t.min(dim=0, keepdim=True).values, x)


def test_argmax_and_argmin():
    x = ds.tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.9]])
    np.testing.assert_array_equal(x.argmax(dim=1).data, [1, 2])
    np.testing.assert_array_equal(x.argmin(axis=0).data, [0, 1, 0])
    assert x.argmax().item() == 5 and x.argmax(1, keepdims=True).shape == (2, 1)
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        x.argmax(dim=2)


@settings(max_examples=40, deadline=None)
@given(case=shape_and_axes(), name=st.sampled_from(sorted(REDUCTIONS)), keepdims=st.booleans())
def test_reductions_over_any_axes_match_numpy(case, name, keepdims):
    shape, axis = case
    reduced = np.prod([shape[a] for a in np.atleast_1d(axis)] if axis is not None else shape)
    assume(name != "var" or reduced >= 2)  # variance with correction=1 needs two values
    # Distinct values: max and min have no ties, so their gradient is defined.
    x = ds.tensor(np.random.default_rng(0).permutation(int(np.prod(shape))).reshape(shape) / 7.0)
    fn = REDUCTIONS[name]
    reference = getattr(np, name)(
        x.data, axis=axis, keepdims=keepdims, **({"ddof": 1} if name == "var" else {})
    )
    np.testing.assert_allclose(fn(x, axis=axis, keepdims=keepdims).data, reference, rtol=1e-12)
    assert ds.gradcheck(lambda t: fn(t, axis=axis, keepdims=keepdims), x)
