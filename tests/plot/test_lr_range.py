import numpy as np
import pytest

from descend import nn, optim, plot
from descend.lr_finder import LRFinderResult, lr_find
from descend.models import MLP
from descend.plot.lr_range import lr_find_figure
from tests.plot.png import assert_picture


@pytest.fixture(scope="module")
def result() -> LRFinderResult:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6)).astype(np.float32)
    y = (X[:, 0] - X[:, 1] > 0).astype(np.int64)
    model = MLP([6, 16, 2])
    return lr_find(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters()), (X, y), seed=0)


def test_the_curve_is_the_tests_loss_against_lr_on_a_log_axis(result):
    figure = lr_find_figure(result)
    ax = figure.axes[0]
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "learning rate (log scale)"
    lines = {line.get_label(): line for line in ax.lines}
    np.testing.assert_array_equal(lines["smoothed loss"].get_xdata(), result.lrs)
    np.testing.assert_array_equal(lines["smoothed loss"].get_ydata(), result.losses)
    np.testing.assert_array_equal(lines["loss of each update"].get_ydata(), result.raw_losses)


def test_the_suggestion_is_marked(tmp_path, result):
    assert result.suggestion is not None
    ax = lr_find_figure(result).axes[0]
    marker = next(line for line in ax.lines if line.get_label().startswith("suggested lr"))
    assert marker.get_xdata()[0] == result.suggestion
    assert f"suggested lr = {result.suggestion:.3g} (steepest descent)" == marker.get_label()
    assert_picture(plot.lr_find(result, tmp_path / "lr.png"))


def test_only_results_of_lr_find_are_drawn(tmp_path):
    with pytest.raises(TypeError, match="expected the result of ds.lr_find"):
        plot.lr_find({"lrs": [1.0]}, tmp_path / "lr.png")
    empty = LRFinderResult(np.array([]), np.array([]), np.array([]), None, False)
    with pytest.raises(ValueError, match="recorded no update"):
        plot.lr_find(empty, tmp_path / "lr.png")
