import numpy as np
import pytest

import descend as ds
from descend.gradcheck import GradcheckError
from descend.tensor import make


def test_gradcheck_passes_a_correct_gradient_and_runs_in_float64():
    x = ds.randn(3, 4)
    seen = []

    def fn(t):
        seen.append(t.dtype)
        return (t * t).sum(axis=1)

    assert ds.gradcheck(fn, x)
    assert set(seen) == {np.dtype(np.float64)}
    assert ds.get_default_dtype() == np.float32  # restored


def test_gradcheck_catches_a_wrong_backward():
    def wrong_square(x):
        return make(x.data**2, (x,), lambda g: (g * x.data,))  # misses the factor 2

    with pytest.raises(GradcheckError, match=r"input 0 .*autodiff .*finite differences"):
        ds.gradcheck(wrong_square, ds.randn(3))
    assert ds.gradcheck(wrong_square, ds.randn(3), raise_exception=False) is False


def test_gradcheck_passes_non_tensor_inputs_through():
    labels = np.array([0, 2])
    assert ds.gradcheck(lambda x, y: x[np.arange(2), y].sum(), ds.randn(2, 3), labels)


def test_gradcheck_needs_something_to_differentiate():
    with pytest.raises(ValueError, match="no floating tensor"):
        ds.gradcheck(lambda y: y * 2, ds.arange(3))
