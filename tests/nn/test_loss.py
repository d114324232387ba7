import numpy as np
import pytest

import descend as ds
import descend.nn.functional as F
from descend import nn
from tests.nn.helpers import RNG, normal

PAIRS = {
    "MSELoss": (nn.MSELoss, F.mse_loss, "regression"),
    "L1Loss": (nn.L1Loss, F.l1_loss, "regression"),
    "HuberLoss": (nn.HuberLoss, F.huber_loss, "regression"),
    "BCELoss": (nn.BCELoss, F.binary_cross_entropy, "probability"),
    "BCEWithLogitsLoss": (nn.BCEWithLogitsLoss, F.binary_cross_entropy_with_logits, "binary"),
    "CrossEntropyLoss": (nn.CrossEntropyLoss, F.cross_entropy, "classes"),
    "NLLLoss": (nn.NLLLoss, F.nll_loss, "classes"),
}


def batch(kind):
    if kind == "classes":
        return normal(6, 4), RNG.integers(0, 4, 6)
    if kind == "probability":
        return ds.tensor(RNG.uniform(0.1, 0.9, (6, 2))), ds.tensor(RNG.uniform(0, 1, (6, 2)))
    if kind == "binary":
        return normal(6, 2), ds.tensor(RNG.integers(0, 2, (6, 2)).astype(float))
    t = RNG.standard_normal((6, 2))
    return ds.tensor(t + RNG.choice([-2.0, -0.5, 0.5, 2.0], (6, 2))), ds.tensor(t)


@pytest.mark.parametrize("name", sorted(PAIRS))
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_modules_match_functions_and_gradcheck(name, reduction):
    cls, fn, kind = PAIRS[name]
    loss = cls(reduction=reduction)
    x, t = batch(kind)
    np.testing.assert_array_equal(loss(x, t).data, fn(x, t, reduction=reduction).data)
    assert ds.gradcheck(lambda a: loss(a, t), x)
    assert isinstance(loss, nn.Module)


def test_loss_reprs_and_state():
    assert repr(nn.MSELoss()) == "MSELoss()"
    assert repr(nn.L1Loss(reduction="sum")) == "L1Loss(reduction='sum')"
    assert repr(nn.HuberLoss(delta=2.0)) == "HuberLoss(delta=2.0)"
    weighted = nn.CrossEntropyLoss(weight=[1.0, 2.0])
    assert list(weighted.state_dict()) == ["weight"]
    assert nn.CrossEntropyLoss().state_dict() == {}


def test_loss_bad_reduction_is_caught_at_construction():
    with pytest.raises(ValueError, match="MSELoss: reduction must be"):
        nn.MSELoss(reduction="avg")


def test_cross_entropy_loss_target_error_names_classes_and_value():
    with pytest.raises(ValueError, match=r"\[0, 10\) for 10 classes, got 12"):
        nn.CrossEntropyLoss()(ds.zeros(3, 10), np.array([1, 12, 3]))


def test_cross_entropy_loss_options():
    z, y = normal(5, 3), RNG.integers(0, 3, 5)
    loss = nn.CrossEntropyLoss(weight=np.array([1.0, 2.0, 3.0]), label_smoothing=0.1)
    expected = F.cross_entropy(z, y, weight=[1.0, 2.0, 3.0], label_smoothing=0.1)
    np.testing.assert_allclose(loss(z, y).data, expected.data)


def test_bce_with_logits_loss_options():
    x, t = normal(4, 2), ds.tensor(RNG.integers(0, 2, (4, 2)).astype(float))
    loss = nn.BCEWithLogitsLoss(weight=np.array([1.0, 0.5]), pos_weight=np.array([2.0, 3.0]))
    expected = F.binary_cross_entropy_with_logits(x, t, [1.0, 0.5], pos_weight=[2.0, 3.0])
    np.testing.assert_allclose(loss(x, t).data, expected.data)


def test_huber_loss_rejects_bad_delta():
    with pytest.raises(ValueError, match="delta must be positive"):
        nn.HuberLoss(delta=-1)
