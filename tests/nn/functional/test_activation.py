import numpy as np
import pytest

import descend as ds
import descend.nn.functional as F
from tests.nn.helpers import RNG


def away_from_zero(*shape):
    return ds.tensor(RNG.uniform(0.1, 2.0, shape) * RNG.choice([-1.0, 1.0], shape))


def test_elementwise_values():
    x = ds.tensor([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(F.relu(x).data, [0, 0, 3])
    np.testing.assert_allclose(F.leaky_relu(x, 0.1).data, [-0.2, 0, 3])
    np.testing.assert_allclose(F.sigmoid(x).data, 1 / (1 + np.exp([2.0, 0.0, -3.0])), rtol=1e-6)
    np.testing.assert_allclose(F.tanh(x).data, np.tanh([-2.0, 0.0, 3.0]), rtol=1e-6)


def test_functions_accept_arrays():
    assert F.relu(np.array([-1.0, 1.0])).tolist() == [0.0, 1.0]


@pytest.mark.parametrize(
    "fn",
    [F.relu, F.sigmoid, F.tanh, F.leaky_relu, lambda x: F.leaky_relu(x, 0.3)],
    ids=["relu", "sigmoid", "tanh", "leaky_relu", "leaky_relu_0.3"],
)
def test_elementwise_gradients(fn):
    assert ds.gradcheck(fn, away_from_zero(3, 4))


def test_leaky_relu_gradient_with_negative_slope_above_one():
    x = ds.tensor([-1.0, 2.0], requires_grad=True)
    F.leaky_relu(x, 2.0).sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 1.0])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_values_and_gradients(dim, float64):
    x = ds.tensor(RNG.standard_normal((3, 4)))
    e = np.exp(x.data)
    np.testing.assert_allclose(F.softmax(x, dim).data, e / e.sum(axis=dim, keepdims=True))
    np.testing.assert_allclose(
        F.log_softmax(x, dim).data, np.log(e / e.sum(axis=dim, keepdims=True))
    )
    assert ds.gradcheck(lambda t: F.softmax(t, dim), x)
    assert ds.gradcheck(lambda t: F.log_softmax(t, dim), x)


def test_softmax_on_3d_input_gradients():
    x = ds.tensor(RNG.standard_normal((2, 3, 4)))
    assert ds.gradcheck(lambda t: F.softmax(t, 1), x)
    assert ds.gradcheck(lambda t: F.log_softmax(t, 1), x)


def test_softmax_is_stable_for_huge_logits():
    x = ds.tensor([[1000.0, 0.0, -1000.0]], requires_grad=True)
    probs = F.softmax(x)
    np.testing.assert_allclose(probs.data, [[1.0, 0.0, 0.0]])
    log_probs = F.log_softmax(x)
    assert np.all(np.isfinite(log_probs.data))
    np.testing.assert_allclose(log_probs.data, [[0.0, -1000.0, -2000.0]])
    log_probs.sum().backward()
    assert np.all(np.isfinite(x.grad))


def test_softmax_dim_error():
    with pytest.raises(ValueError, match="dim 2 is out of range for a 2-d tensor"):
        F.softmax(ds.zeros(2, 3), 2)
