import numpy as np
import pytest

import descend as ds
import descend.nn.functional as F
from tests.nn.helpers import RNG, normal


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 3, 2, 4)])
def test_batch_norm_training_normalises_each_channel(shape, float64):
    x = ds.tensor(RNG.standard_normal(shape) * 3 + 1)
    out = F.batch_norm(x, None, None, training=True, eps=0.0)
    axes = (0,) + tuple(range(2, len(shape)))
    np.testing.assert_allclose(out.data.mean(axis=axes), 0, atol=1e-12)
    np.testing.assert_allclose(out.data.var(axis=axes), 1, rtol=1e-10)


@pytest.mark.parametrize("shape", [(6, 3), (3, 3, 2, 2)])
def test_batch_norm_training_gradients(shape):
    w, b = normal(3), normal(3)
    fn = lambda x, w_, b_: F.batch_norm(x, None, None, w_, b_, training=True)  # noqa: E731
    assert ds.gradcheck(fn, normal(*shape), w, b)
    assert ds.gradcheck(lambda x: F.batch_norm(x, None, None, training=True), normal(*shape))


def test_batch_norm_eval_uses_running_statistics(float64):
    x = normal(4, 3)
    mean, var = np.array([1.0, -1.0, 0.5]), np.array([4.0, 0.25, 1.0])
    w, b = normal(3), normal(3)
    out = F.batch_norm(x, mean, var, w, b, training=False, eps=1e-5)
    expected = (x.data - mean) / np.sqrt(var + 1e-5) * w.data + b.data
    np.testing.assert_allclose(out.data, expected)
    fn = lambda x_, w_, b_: F.batch_norm(x_, mean, var, w_, b_)  # noqa: E731
    assert ds.gradcheck(fn, x, w, b)


def test_batch_norm_updates_running_statistics_in_place():
    x = ds.tensor(RNG.standard_normal((8, 2)) * 2 + 3)
    mean, var = np.zeros(2, np.float32), np.ones(2, np.float32)
    F.batch_norm(x, mean, var, training=True, momentum=0.1)
    np.testing.assert_allclose(mean, 0.1 * x.data.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(var, 0.9 + 0.1 * x.data.var(axis=0, ddof=1), rtol=1e-5)


def test_batch_norm_training_needs_two_values_per_channel():
    with pytest.raises(ValueError, match="more than one value per channel"):
        F.batch_norm(ds.zeros(1, 3), None, None, training=True)


def test_batch_norm_parameter_shape_error():
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\)"):
        F.batch_norm(ds.zeros(2, 3), None, None, weight=ds.ones(2), training=True)
