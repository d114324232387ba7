import json

import numpy as np
import pytest

import descend as ds
from descend import nn, optim, plot
from descend.models import LinearRegression, LogisticRegression
from descend.plot.curves import (
    compare_curves_figure,
    learning_curves_figure,
    main_metric,
    step_positions,
)
from descend.plot.gradients import gradients_figure
from descend.train import Convergence, DivergenceGuard, EarlyStopping, History, Trainer
from tests.plot.png import assert_picture


def blobs(n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(0, 0.7, n) > 0).astype(np.float32)
    return X.astype(np.float32), y


@pytest.fixture(scope="module")
def classifier_history() -> History:
    X, y = blobs()
    model = LogisticRegression(2)
    trainer = Trainer(
        model,
        nn.BCEWithLogitsLoss(),
        optim.SGD(model.parameters(), lr=0.5),
        metrics=["accuracy"],
        callbacks=[EarlyStopping(patience=3)],
        verbose=0,
    )
    return trainer.fit((X[:90], y[:90]), epochs=25, val=(X[90:], y[90:]), batch_size=10, seed=0)


def regression_history(**fit) -> History:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(64, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=64)).astype(np.float32)
    model = LinearRegression(3)
    trainer = Trainer(
        model,
        nn.MSELoss(),
        optim.SGD(model.parameters(), lr=fit.pop("lr", 0.1)),
        metrics=["r2", "mae"],
        callbacks=[Convergence(tol=1e-3), DivergenceGuard()],
        verbose=0,
    )
    epochs = fit.pop("epochs", 100)
    return trainer.fit((X, y), epochs=epochs, batch_size=fit.pop("batch_size", "full"), seed=0)


def test_learning_curves_writes_a_readable_png(tmp_path, classifier_history):
    path = plot.learning_curves(classifier_history, tmp_path / "curves.png")
    assert path == tmp_path / "curves.png"
    width, height = assert_picture(path)
    assert width > height  # two panels side by side


def test_the_panels_hold_the_runs_own_numbers(classifier_history):
    h = classifier_history
    figure = learning_curves_figure(h)
    loss_ax, metric_ax = figure.axes
    lines = {line.get_label(): line for line in loss_ax.lines}
    np.testing.assert_array_equal(lines["train loss"].get_ydata(), h["loss"])
    np.testing.assert_array_equal(lines["validation loss"].get_ydata(), h["val_loss"])
    np.testing.assert_array_equal(lines["loss of each update"].get_ydata(), h.step_loss)
    metric_lines = {line.get_label(): line for line in metric_ax.lines}
    np.testing.assert_array_equal(
        metric_lines["validation accuracy"].get_ydata(), h["val_accuracy"]
    )
    assert metric_ax.get_title() == "Accuracy"


def test_best_epoch_and_early_stop_are_marked(classifier_history):
    h = classifier_history
    assert "stopped_epoch" in h.events and "best_epoch" in h.events
    labels = [t.get_text() for t in learning_curves_figure(h).axes[0].get_legend().get_texts()]
    best = h.events["best_epoch"]
    # Early stopping restored the best epoch's weights: the star marks the weights kept.
    assert any(label.startswith(f"weights kept: epoch {best} (val_loss") for label in labels)
    assert f"early stop (epoch {h.events['stopped_epoch']})" in labels
    star = next(
        line for line in learning_curves_figure(h).axes[0].lines if line.get_marker() == "*"
    )
    assert star.get_xdata()[0] == best
    assert star.get_ydata()[0] == h["val_loss"][h.epochs.index(best)]


def test_step_positions_put_each_epochs_last_step_on_the_epoch(classifier_history):
    h = classifier_history
    x = step_positions(h)
    assert len(x) == len(h.step_loss) == h["updates"][-1]
    per_epoch = h.plan["updates_per_epoch"]  # 90 samples, batch 10: 9 updates
    assert per_epoch == 9
    np.testing.assert_allclose(x[:per_epoch], np.arange(1, 10) / 9)
    np.testing.assert_allclose(x[per_epoch - 1 :: per_epoch], h.epochs)


def test_a_dict_or_json_history_draws_the_same(tmp_path, classifier_history):
    data = json.loads(classifier_history.to_json())
    figure = learning_curves_figure(History.from_json(json.dumps(data)))
    again = learning_curves_figure(classifier_history.to_dict())
    for a, b in zip(figure.axes[0].lines, again.axes[0].lines):
        np.testing.assert_array_equal(a.get_ydata(), b.get_ydata())
    assert_picture(plot.learning_curves(classifier_history.to_dict(), tmp_path / "d.png"))


def test_regressors_get_r2_and_convergence_is_marked():
    h = regression_history()
    assert "converged_epoch" in h.events
    assert main_metric(h) == "r2"
    figure = learning_curves_figure(h, metric="mae")
    labels = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert f"converged (epoch {h.events['converged_epoch']})" in labels
    assert figure.axes[1].get_title() == "Mae"
    np.testing.assert_array_equal(figure.axes[1].lines[0].get_ydata(), h["mae"])


def test_divergence_is_marked_at_its_step(tmp_path):
    h = regression_history(lr=5.0, epochs=5, batch_size=16)
    assert "diverged_step" in h.events
    figure = learning_curves_figure(h)
    labels = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert f"diverged (step {h.events['diverged_step']})" in labels
    assert_picture(plot.learning_curves(h, tmp_path / "diverged.png"))


def test_a_history_without_metrics_has_one_panel(tmp_path):
    h = History.from_dict({"epoch": [1, 2, 3], "loss": [3.0, 2.0, 1.5], "step_loss": []})
    figure = learning_curves_figure(h)
    assert len(figure.axes) == 1
    assert_picture(plot.learning_curves(h, tmp_path / "one.png"), min_size=(500, 300))


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="expected a History"):
        learning_curves_figure([1, 2, 3])
    with pytest.raises(ValueError, match="empty"):
        learning_curves_figure(History())
    h = History.from_dict({"epoch": [1], "loss": [1.0], "accuracy": [0.5]})
    with pytest.raises(ValueError, match="'f1' was not recorded; recorded metrics: accuracy"):
        learning_curves_figure(h, metric="f1")


def test_only_png_paths_are_written(tmp_path, classifier_history):
    with pytest.raises(ValueError, match="ending in .png"):
        plot.learning_curves(classifier_history, tmp_path / "curves.jpg")
    assert not list(tmp_path.iterdir())


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


def test_a_run_that_ended_inside_its_first_epoch_counts_updates_on_the_x_axis():
    """Diverged at step 3 of 34: the axis was a fraction of epoch 1 (0.3 to 1.0)."""
    history = History.from_dict(
        {
            "epoch": [1],
            "loss": [1139.0],
            "accuracy": [0.104],
            "val_loss": [2.3],
            "val_accuracy": [0.1],
            "updates": [3],
            "step_loss": [2.26, 9.9, 3408.0],
            "plan": {"n_samples": 1077, "batch_size": 32, "updates_per_epoch": 34},
            "events": {"diverged_step": 3, "diverged_epoch": 1},
        }
    )
    loss_ax, metric_ax = learning_curves_figure(history).axes
    label = "update (the run ended in epoch 1, after 3 of its 34 updates)"
    assert loss_ax.get_xlabel() == metric_ax.get_xlabel() == label
    steps = next(line for line in loss_ax.get_lines() if line.get_label() == "loss of each update")
    np.testing.assert_array_equal(steps.get_xdata(), [1, 2, 3])
    train = next(line for line in loss_ax.get_lines() if line.get_label() == "train loss")
    np.testing.assert_array_equal(train.get_xdata(), [3])
    diverged = next(line for line in loss_ax.get_lines() if "diverged" in line.get_label())
    assert list(diverged.get_xdata()) == [3, 3]
    assert metric_ax.get_xlim() == loss_ax.get_xlim()
    # A whole epoch or more: epochs, as before.
    history.plan["updates_per_epoch"] = 3
    assert learning_curves_figure(history).axes[0].get_xlabel() == "epoch"


def test_a_one_epoch_run_is_drawn_on_whole_epochs():
    X, y = blobs()
    model = LogisticRegression(2)
    trainer = Trainer(
        model,
        nn.BCEWithLogitsLoss(),
        optim.SGD(model.parameters(), lr=0.5),
        metrics=["accuracy"],
        callbacks=[ds.GradientMonitor(print_warnings=False)],
        verbose=0,
    )
    history = trainer.fit((X[:90], y[:90]), epochs=1, val=(X[90:], y[90:]), batch_size=10)
    for figure in (learning_curves_figure(history), gradients_figure(history)):
        for ax in figure.axes:
            if ax.get_legend_handles_labels()[0] or ax.get_title():  # a panel, not a legend
                low, high = ax.get_xlim()
                ticks = [t for t in ax.get_xticks() if low <= t <= high]
                assert ticks and all(float(t).is_integer() for t in ticks), (ax.get_title(), ticks)
