import numpy as np
import pytest

import descend as ds
import descend.nn.functional as F
from descend import nn
from tests.nn.helpers import RNG

LAYERS = {
    "ReLU": (nn.ReLU(), F.relu),
    "LeakyReLU": (nn.LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2)),
    "Sigmoid": (nn.Sigmoid(), F.sigmoid),
    "Tanh": (nn.Tanh(), F.tanh),
    "Softmax": (nn.Softmax(dim=1), lambda x: F.softmax(x, 1)),
    "LogSoftmax": (nn.LogSoftmax(dim=1), lambda x: F.log_softmax(x, 1)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_activation_layers_match_functions_and_gradcheck(name):
    layer, fn = LAYERS[name]
    x = ds.tensor(RNG.uniform(0.1, 2.0, (3, 4)) * RNG.choice([-1.0, 1.0], (3, 4)))
    np.testing.assert_array_equal(layer(x).data, fn(x).data)
    assert ds.gradcheck(layer, x)
    assert not list(layer.parameters())


def test_activation_reprs():
    assert repr(nn.ReLU()) == "ReLU()"
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.Softmax()) == "Softmax(dim=-1)"
    assert repr(nn.LogSoftmax(1)) == "LogSoftmax(dim=1)"


def test_softmax_rows_sum_to_one():
    probs = nn.Softmax()(ds.randn(4, 5) * 100)
    np.testing.assert_allclose(probs.data.sum(axis=-1), 1, rtol=1e-6)
