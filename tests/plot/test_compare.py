import numpy as np
import pytest

from descend import plot
from descend.plot.compare import compare_curves_figure
from descend.train import History
from tests.plot.png import assert_picture


def test_compare_curves_overlays_every_run(tmp_path, classifier_history):
    other = History.from_dict(classifier_history.to_dict())
    other.records["loss"] = [v * 2 for v in other.records["loss"]]
    other.events = {"converged_epoch": other.epochs[-1]}
    runs = {"sgd": classifier_history, "slower": other}
    figure = compare_curves_figure(runs)
    loss_ax, metric_ax = figure.axes
    by_label = {line.get_label(): line for line in loss_ax.lines}
    np.testing.assert_array_equal(by_label["sgd"].get_ydata(), classifier_history["loss"])
    np.testing.assert_array_equal(by_label["slower"].get_ydata(), other["loss"])
    assert "converged" in by_label  # the legend explains the marker
    assert [line.get_label() for line in metric_ax.lines] == ["sgd", "slower"]
    assert metric_ax.get_title() == "Accuracy (validation)"
    assert_picture(plot.compare_curves(runs, tmp_path / "compare.png"))
    with pytest.raises(ValueError, match="at least one run"):
        compare_curves_figure({})


def test_compare_keeps_a_diverged_run_from_flattening_the_others():
    calm = History.from_dict({"epoch": [1, 2, 3], "loss": [3.0, 2.0, 1.5]})
    wild = History.from_dict(
        {"epoch": [1], "loss": [3e11], "events": {"diverged_epoch": 1, "diverged_step": 2}}
    )
    ax = compare_curves_figure({"lr=0.1": calm, "lr=1000": wild}).axes[0]
    low, high = ax.get_ylim()
    assert low < 1.5 and 3.0 < high < 10  # the scale of the run that did not diverge
    marker = next(line for line in ax.lines if line.get_marker() == "X" and len(line.get_xdata()))
    assert marker.get_ydata()[0] == high  # pinned to the top edge ...
    assert [t.get_text() for t in ax.texts] == ["loss 3e+11"]  # ... and labelled
