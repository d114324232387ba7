import numpy as np
import pytest

import descend as ds
import descend.nn.functional as F
from tests.nn.helpers import normal


def test_linear_values(float64):
    x, w, b = normal(5, 4), normal(3, 4), normal(3)
    np.testing.assert_allclose(F.linear(x, w, b).data, x.data @ w.data.T + b.data)
    np.testing.assert_allclose(F.linear(x, w).data, x.data @ w.data.T)


@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (4,)])
def test_linear_gradients(shape):
    assert ds.gradcheck(F.linear, normal(*shape), normal(3, 4), normal(3))


def test_linear_without_bias_gradients():
    assert ds.gradcheck(lambda x, w: F.linear(x, w), normal(5, 4), normal(3, 4))


def test_linear_keeps_leading_axes():
    assert F.linear(ds.zeros(2, 7, 4), ds.zeros(3, 4), ds.zeros(3)).shape == (2, 7, 3)
    assert F.linear(ds.zeros(4), ds.zeros(3, 4)).shape == (3,)


def test_linear_casts_raw_arrays_to_the_weight_dtype():
    out = F.linear(np.ones((2, 4)), ds.zeros(3, 4), ds.zeros(3))
    assert out.dtype == np.float32


def test_linear_errors():
    with pytest.raises(ValueError, match="weight expects 4 input features, input has 5"):
        F.linear(ds.zeros(2, 5), ds.zeros(3, 4))
    with pytest.raises(ValueError, match=r"bias must have shape \(3,\)"):
        F.linear(ds.zeros(2, 4), ds.zeros(3, 4), ds.zeros(4))
    with pytest.raises(ValueError, match="weight must have shape"):
        F.linear(ds.zeros(2, 4), ds.zeros(4))
