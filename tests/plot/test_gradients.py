import numpy as np
import pytest

import descend as ds
from descend import nn, optim, plot
from descend.data import load_digits
from descend.models import MLP
from descend.plot.gradients import gradients_figure
from descend.train import GradientMonitor, History, Trainer
from tests.plot.png import assert_picture


@pytest.fixture(scope="module")
def sigmoid_history() -> History:
    X, y = load_digits()
    X = ((X - X.mean(0)) / (X.std(0) + 1e-8)).astype(np.float32)
    ds.manual_seed(0)
    model = MLP([64, 32, 32, 32, 32, 32, 32, 10], activation="sigmoid")
    trainer = Trainer(
        model,
        nn.CrossEntropyLoss(),
        optim.Adam(model.parameters()),
        callbacks=[GradientMonitor(print_warnings=False)],
        verbose=0,
    )
    return trainer.fit(X[:400], y[:400], epochs=4, batch_size=50, seed=0)


def test_gradients_picture_is_written_and_labelled(tmp_path, sigmoid_history):
    path = plot.gradients(sigmoid_history, tmp_path / "gradients.png")
    assert path == tmp_path / "gradients.png"
    width, height = assert_picture(path)
    assert width > height

    figure = gradients_figure(sigmoid_history)
    axes = figure.axes
    assert [ax.get_title() for ax in axes] == [
        "Gradient norm per tensor",
        "Update-to-weight ratio",
        "Weight norm per tensor",
    ]
    assert all(ax.get_yscale() == "log" for ax in axes)
    assert axes[0].get_xlabel() == "epoch (its first update)"
    names = [name for name, _ in MLP([64, 32, 32, 32, 32, 32, 32, 10]).named_parameters()]
    labels = [f"Linear {i // 2 + 1} ({name})" for i, name in enumerate(names)]
    assert labels[:2] == ["Linear 1 (0.weight)", "Linear 1 (0.bias)"]
    assert [line.get_label() for line in axes[0].get_lines()] == labels
    # The plotted values are the records, per epoch.
    first = axes[0].get_lines()[0]
    np.testing.assert_array_equal(first.get_xdata(), [1, 2, 3, 4])
    np.testing.assert_allclose(first.get_ydata(), sigmoid_history.gradients.grad_norm["0.weight"])
    # The monitor's vanishing warnings are printed on the picture.
    texts = " ".join(t.get_text() for t in figure.texts)
    assert "vanishing gradients in Linear 1 (layer '0'): below 0.001 times" in texts


def test_records_every_k_steps_are_drawn_by_update_and_a_dict_history_works(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)).astype(np.float32)
    y = X.sum(1, keepdims=True).astype(np.float32)
    model = MLP([3, 8, 1])
    trainer = Trainer(
        model,
        nn.MSELoss(),
        optim.SGD(model.parameters(), lr=0.01),
        callbacks=[GradientMonitor(every=2)],
        verbose=0,
    )
    history = trainer.fit(X, y, epochs=2, batch_size=16, seed=0)
    figure = gradients_figure(history.to_dict(), title="MLP on a sum")
    assert figure.axes[0].get_xlabel() == "update (step)"
    np.testing.assert_array_equal(figure.axes[0].get_lines()[0].get_xdata(), [1, 3, 5, 7])
    assert figure._suptitle.get_text() == "MLP on a sum"
    assert_picture(plot.gradients(history, tmp_path / "g.png"))


def test_a_history_without_records_is_refused(tmp_path):
    history = History.from_dict({"epoch": [1], "loss": [0.5]})
    with pytest.raises(ValueError, match="train with a GradientMonitor callback"):
        plot.gradients(history, tmp_path / "g.png")
    with pytest.raises(TypeError, match="expected a History"):
        plot.gradients([1, 2], tmp_path / "g.png")


def test_points_a_log_axis_cannot_show_are_marked_not_dropped():
    """Zero initial weights: step 1 has no update ratio and a weight norm of 0."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)).astype(np.float32)
    model = ds.models.LinearRegression(3)
    trainer = Trainer(
        model,
        nn.MSELoss(),
        optim.SGD(model.parameters(), lr=0.01),
        callbacks=[GradientMonitor()],
        verbose=0,
    )
    history = trainer.fit(X, X.sum(1), epochs=3, batch_size=16)
    grad, ratio, weight = gradients_figure(history).axes[:3]
    assert len(grad.collections) == 0  # every gradient norm has its point
    for ax, said in ((ratio, "× no ratio: the weights were all 0 before the update"),
                     (weight, "× all weights 0")):  # fmt: skip
        (crosses,) = ax.collections
        np.testing.assert_array_equal(crosses.get_offsets()[:, 0], [1, 1])  # weight and bias
        assert [t.get_text() for t in ax.texts] == [said]
        assert ax.get_xlim()[0] < 1  # inside the panel
