import numpy as np
import pytest

from descend.nn.functional.reduction import check_reduction, reduce, upstream


def test_reduce_and_upstream():
    losses = np.array([1.0, 2.0, 3.0, 6.0], dtype=np.float32)
    assert reduce(losses, "mean").item() == 3.0
    assert reduce(losses, "sum").item() == 12.0
    assert reduce(losses, "none") is losses
    assert reduce(losses, "mean", count=2.0).item() == 6.0
    assert reduce(losses, "mean").dtype == np.float32
    g = np.array(2.0, dtype=np.float32)
    assert upstream(g, "mean", 4).item() == 0.5
    assert upstream(g, "sum", 4).item() == 2.0


def test_check_reduction():
    check_reduction("none", "f")
    with pytest.raises(ValueError, match="f: reduction must be"):
        check_reduction("max", "f")
