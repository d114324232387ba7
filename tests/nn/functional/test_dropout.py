import numpy as np
import pytest

import descend as ds
import descend.nn.functional as F


def test_dropout_zeroes_with_probability_p_and_scales_the_rest():
    out = F.dropout(ds.ones(100_000), p=0.3)
    kept = out.data != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(out.data[kept], 1 / 0.7, rtol=1e-6)
    assert abs(out.data.mean() - 1.0) < 0.02


def test_dropout_gradient_uses_the_same_mask():
    x = ds.randn(50, requires_grad=True)
    out = F.dropout(x, p=0.5)
    out.sum().backward()
    np.testing.assert_allclose(x.grad, np.where(out.data != 0, 2.0, 0.0))


def test_dropout_is_repeatable_with_manual_seed_or_generator():
    ds.manual_seed(3)
    a = F.dropout(ds.ones(20), 0.5).data
    ds.manual_seed(3)
    b = F.dropout(ds.ones(20), 0.5).data
    np.testing.assert_array_equal(a, b)
    c = F.dropout(ds.ones(20), 0.5, generator=np.random.default_rng(1)).data
    d = F.dropout(ds.ones(20), 0.5, generator=np.random.default_rng(1)).data
    np.testing.assert_array_equal(c, d)


def test_dropout_identity_when_not_training_or_p_zero():
    x = ds.randn(5)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x


def test_dropout_p_one_zeroes_everything():
    x = ds.randn(5, requires_grad=True)
    out = F.dropout(x, 1.0)
    assert not out.data.any()
    out.sum().backward()
    assert not x.grad.any()


@pytest.mark.parametrize("p", [-0.1, 1.5, "half", True])
def test_dropout_rejects_bad_p(p):
    with pytest.raises(ValueError, match="p must be a probability in"):
        F.dropout(ds.ones(3), p)
