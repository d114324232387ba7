import numpy as np
import pytest

import descend as ds
from descend import nn
from tests.nn.helpers import RNG, check_module, normal


def test_batchnorm1d_training_uses_batch_statistics():
    bn = nn.BatchNorm1d(3)
    x = ds.tensor((RNG.standard_normal((64, 3)) * [1, 5, 0.1] + [0, 3, -2]).astype(np.float32))
    out = bn(x)
    np.testing.assert_allclose(out.data.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(out.data.std(axis=0), 1, rtol=1e-3)
    np.testing.assert_allclose(bn.running_mean, 0.1 * x.data.mean(axis=0), rtol=1e-4)
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * x.data.var(axis=0, ddof=1), rtol=1e-4)
    assert bn.num_batches_tracked == 1


def test_batchnorm_eval_uses_running_statistics():
    bn = nn.BatchNorm2d(2)
    for _ in range(30):
        bn(ds.tensor(RNG.standard_normal((8, 2, 3, 3)) * 2 + 5, dtype=np.float32))
    bn.eval()
    x = ds.tensor(RNG.standard_normal((4, 2, 3, 3)), dtype=np.float32)
    expected = (x.data - bn.running_mean[:, None, None]) / np.sqrt(
        bn.running_var[:, None, None] + 1e-5
    )
    np.testing.assert_allclose(bn(x).data, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.running_mean, 5, atol=0.3)
    # One sample at a time gives the same answer as the whole batch in eval mode.
    np.testing.assert_allclose(bn(x[:1]).data, bn(x).data[:1], rtol=1e-6)
    assert bn.num_batches_tracked == 30


def test_batchnorm_momentum_none_is_a_cumulative_average():
    bn = nn.BatchNorm1d(1, momentum=None)
    batches = [RNG.standard_normal((10, 1)) + i for i in range(3)]
    for b in batches:
        bn(ds.tensor(b, dtype=np.float32))
    np.testing.assert_allclose(bn.running_mean, np.mean([b.mean() for b in batches]), rtol=1e-5)


def test_batchnorm_without_affine_or_running_stats():
    bn = nn.BatchNorm1d(2, affine=False, track_running_stats=False)
    assert list(bn.parameters()) == [] and bn.state_dict() == {}
    bn.eval()
    out = bn(ds.tensor([[1.0, 2.0], [3.0, 6.0]]))
    np.testing.assert_allclose(out.data, [[-1, -1], [1, 1]], atol=1e-4)
    assert repr(bn) == "BatchNorm1d(2, affine=False, track_running_stats=False)"


def test_batchnorm_gradients_in_train_and_eval():
    assert check_module(nn.BatchNorm1d(3), normal(5, 3))
    assert check_module(nn.BatchNorm1d(3), normal(4, 3, 2))
    assert check_module(nn.BatchNorm2d(2), normal(3, 2, 2, 2))
    assert check_module(nn.BatchNorm2d(2).eval(), normal(3, 2, 2, 2))


def test_batchnorm_state_dict_uses_pytorch_names():
    assert list(nn.BatchNorm2d(4).state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]


def test_batchnorm_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"BatchNorm2d\(6\) expected 6 channels, got 3"):
        nn.BatchNorm2d(6)(ds.zeros(2, 3, 4, 4))
    with pytest.raises(
        ValueError, match=r"BatchNorm2d\(6\) expected input of shape \(N, C, H, W\)"
    ):
        nn.BatchNorm2d(6)(ds.zeros(2, 6))
    with pytest.raises(ValueError, match="more than one value per channel"):
        nn.BatchNorm1d(3)(ds.zeros(1, 3))
    with pytest.raises(ValueError, match="num_features must be a positive int"):
        nn.BatchNorm1d(0)
