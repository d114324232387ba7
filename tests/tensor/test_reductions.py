import numpy as np
import pytest

import descend as ds
from tests.tensor.helpers import normal

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
    if (
        name == "var"
        and int(np.prod([shape[a] for a in np.atleast_1d(axis)] if axis is not None else shape)) < 2
    ):
        pytest.skip("variance with correction=1 needs two values")
    x = normal(*shape)
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
