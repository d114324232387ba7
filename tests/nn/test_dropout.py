import numpy as np
import pytest

import descend as ds
from descend import nn


def test_dropout_trains_with_a_mask_and_is_identity_in_eval():
    drop = nn.Dropout(0.25)
    x = ds.ones(10_000)
    out = drop(x)
    assert abs((out.data == 0).mean() - 0.25) < 0.02
    np.testing.assert_allclose(out.data[out.data != 0], 1 / 0.75, rtol=1e-6)
    drop.eval()
    assert drop(x) is x
    drop.train()
    assert drop(x) is not x


def test_dropout_inside_a_model_follows_model_eval():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
    x = ds.randn(3, 4)
    model.eval()
    np.testing.assert_array_equal(model(x).data, model(x).data)


def test_dropout_gradient():
    ds.manual_seed(1)
    x = ds.randn(4, 5, requires_grad=True)
    out = nn.Dropout(0.4)(x)
    (out * 3).sum().backward()
    np.testing.assert_allclose(x.grad, np.where(out.data != 0, 3 / 0.6, 0), rtol=1e-6)


def test_dropout_draws_from_the_library_generator():
    ds.manual_seed(11)
    a = nn.Dropout()(ds.ones(32)).data
    ds.manual_seed(11)
    b = nn.Dropout()(ds.ones(32)).data
    np.testing.assert_array_equal(a, b)


def test_dropout_repr_and_bad_p():
    assert repr(nn.Dropout(0.2)) == "Dropout(p=0.2)"
    with pytest.raises(ValueError, match=r"Dropout: p must be a probability in \[0, 1\], got 2"):
        nn.Dropout(2)
