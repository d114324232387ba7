import numpy as np
import pytest

import descend as ds
from descend import nn


def test_flatten_keeps_the_batch_axis_in_pytorch_order():
    x = ds.tensor(np.arange(2 * 3 * 2 * 2, dtype=np.float32).reshape(2, 3, 2, 2))
    out = nn.Flatten()(x)
    assert out.shape == (2, 12)
    np.testing.assert_array_equal(out.data, x.data.reshape(2, 12))
    assert nn.Flatten(0, 1)(x).shape == (6, 2, 2)


def test_flatten_gradient_and_repr():
    assert ds.gradcheck(nn.Flatten(), ds.randn(2, 3, 2))
    assert repr(nn.Flatten()) == "Flatten()"
    assert repr(nn.Flatten(0, 2)) == "Flatten(start_dim=0, end_dim=2)"


def test_flatten_start_dim_error():
    with pytest.raises(ValueError, match="start_dim 3 is out of range for input of shape"):
        nn.Flatten(3)(ds.zeros(2, 3))
