"""The diagnosis read from real runs made to under-fit, over-fit, fit, stop short or diverge."""

import json
import re

import numpy as np
import pytest

import descend as ds
from descend import nn, optim
from descend.data import StandardScaler, load_diabetes, load_digits
from descend.models import MLP, SoftmaxRegression
from descend.train import History, Trainer
from descend.train.diagnosis import diagnose


def circles(n, seed, noise=0.1):
    """Two noisy rings, one inside the other: no straight line separates them."""
    rng = np.random.default_rng(seed)
    radius = np.where(rng.random(n) < 0.5, 1.0, 0.5)
    angle = rng.uniform(0, 2 * np.pi, n)
    X = np.c_[radius * np.cos(angle), radius * np.sin(angle)] + rng.normal(0, noise, (n, 2))
    return (X / 0.55).astype(np.float32), (radius == 1.0).astype(np.int64)


def fit(model, opt, train, val, epochs, batch_size=32, **trainer):
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt, verbose=0, **trainer)
    return trainer.fit(*train, epochs=epochs, batch_size=batch_size, val=val, seed=0)


def numbers(line: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+\.?\d*(?:e[-+]?\d+)?", line)]


def test_linear_model_on_rings_under_fits():
    model = SoftmaxRegression(2, 2)
    history = fit(
        model, optim.SGD(model.parameters(), lr=0.1), circles(400, 0), circles(200, 1), 20
    )
    line = history.events["diagnosis"]
    assert line.startswith("diagnosis: under-fitting: after 20 epochs the training loss ")
    assert history.events["diagnosis_kind"] == "under-fitting"
    level = re.search(r"is still (\d+)% of its starting", line)
    assert int(level.group(1)) > 90  # a line cannot split the rings: it learns nothing
    assert f"{history['loss'][-1]:.4g}" in line and f"{history['val_loss'][-1]:.4g}" in line
    assert history.events["diagnosis_epoch"] in history.epochs


def test_big_network_on_few_samples_over_fits():
    ds.manual_seed(0)
    model = MLP([2, 256, 256, 2])
    train, val = circles(30, 2, noise=0.3), circles(300, 3, noise=0.3)
    history = fit(model, optim.Adam(model.parameters(), lr=0.01), train, val, 40, "full")
    diagnosis = diagnose(history)
    assert diagnosis.kind == "over-fitting"
    best = int(np.nanargmin(history["val_loss"])) + 1
    assert diagnosis.epoch == best == history.events["diagnosis_epoch"]
    lowest, last = history["val_loss"][best - 1], history["val_loss"][-1]
    train_then, train_now = history["loss"][best - 1], history["loss"][-1]
    assert diagnosis.line == (
        f"diagnosis: over-fitting from epoch {best}: validation loss rose from {lowest:.4g} "
        f"to {last:.4g} (+{(last - lowest) / lowest:.0%}) by epoch 40 while training loss "
        f"fell from {train_then:.4g} to {train_now:.4g}"
    )
    assert last > 1.3 * lowest and train_now < 0.6 * train_then

    # The learning-curve picture marks that epoch and prints the line under the panels.
    from descend.plot.curves import learning_curves_figure

    figure = learning_curves_figure(history)
    marks = [l for l in figure.axes[0].get_lines() if l.get_label().startswith("over-fitting")]
    assert [m.get_label() for m in marks] == [f"over-fitting from epoch {best}"]
    assert list(marks[0].get_xdata()) == [best, best]
    assert diagnosis.line in " ".join(t.get_text().replace("\n", " ") for t in figure.texts)


def test_small_network_on_enough_samples_fits_well():
    ds.manual_seed(0)
    model = MLP([2, 32, 2])
    history = fit(
        model, optim.Adam(model.parameters(), lr=0.01), circles(400, 0), circles(200, 1), 25
    )
    diagnosis = diagnose(history)
    assert diagnosis.kind == "good fit", diagnosis.line
    assert "not rising" in diagnosis.line
    assert history["loss"][-1] < 0.1 * history.step_loss[0]


def test_tiny_learning_rate_under_fits_and_a_small_one_has_not_converged():
    X, y = load_digits()
    X = ((X - X.mean(0)) / (X.std(0) + 1e-8)).astype(np.float32)
    train, val = (X[:500], y[:500]), (X[500:800], y[500:800])
    kinds = {}
    for lr in (1e-4, 0.1):
        ds.manual_seed(0)
        model = MLP([64, 32, 10])
        history = fit(model, optim.SGD(model.parameters(), lr=lr), train, val, 5)
        kinds[lr] = diagnose(history)
    assert kinds[1e-4].kind == "under-fitting", kinds[1e-4].line
    assert kinds[0.1].kind == "not converged yet", kinds[0.1].line
    assert "the training loss is still falling" in kinds[0.1].line
    assert "; train longer" in kinds[0.1].line


def test_a_diverged_run_says_so_with_the_guards_numbers():
    ds.manual_seed(0)
    model = MLP([2, 32, 2])
    opt = optim.SGD(model.parameters(), lr=1e4)
    history = fit(model, opt, circles(200, 0), None, 5)
    assert history.events["diagnosis_kind"] == "diverged"
    assert history.events["diagnosis"] == f"diagnosis: diverged: {history.events['diverged']}"
    assert "lr=10000" in history.events["diagnosis"]


def test_without_a_guard_a_non_finite_loss_is_divergence():
    history = History.from_dict(
        {"epoch": [1, 2, 3], "loss": [1.0, 0.5, float("inf")], "step_loss": [1.2, 1.0]}
    )
    diagnosis = diagnose(history)
    assert diagnosis.kind == "diverged" and diagnosis.epoch == 3
    assert diagnosis.line == (
        "diagnosis: diverged: the training loss became inf in epoch 3 (it was 0.5 in epoch 2); "
        "lower the learning rate"
    )
    rising = History.from_dict({"epoch": [1, 2, 3, 4], "loss": [0.9, 0.2, 0.6, 1.5]})
    assert diagnose(rising).line.startswith(
        "diagnosis: diverged: the training loss rose from 0.2 (epoch 2) to 1.5 (epoch 4)"
    )


def test_the_diagnosis_is_kept_in_the_history_json_and_not_made_for_an_empty_run():
    assert diagnose(History()) is None
    model = SoftmaxRegression(2, 2)
    history = fit(model, optim.SGD(model.parameters(), lr=0.1), circles(100, 0), None, 3)
    events = json.loads(history.to_json())["events"]
    assert events["diagnosis"] == diagnose(history).line
    assert events["diagnosis_kind"] == diagnose(history).kind
    assert History.from_json(history.to_json()).events == history.events


def test_under_fitting_that_still_falls_fast_is_told_to_train_longer():
    data = {"epoch": [1, 2], "loss": [2.0, 1.7], "step_loss": [2.3]}
    diagnosis = diagnose(History.from_dict(data))
    assert diagnosis.kind == "under-fitting", diagnosis.line
    assert diagnosis.line.endswith("; it is still falling fast: train longer, or try a larger "
                                   "learning rate")  # fmt: skip
    data["loss"] = [2.0, 1.98]  # barely moving: the model or the rate is at fault
    assert diagnose(History.from_dict(data)).line.endswith("and look at its gradients")


@pytest.mark.parametrize(
    ("loss", "val", "kind"),
    [
        ([2.0, 1.0, 0.5, 0.3, 0.2, 0.19, 0.185, 0.184, 0.1839, 0.1838], None, "good fit"),
        ([2.0, 1.9, 1.95, 1.92, 1.91, 1.9, 1.9, 1.9, 1.9, 1.9], None, "under-fitting"),
        ([2.0, 1.5, 1.2, 1.0, 0.8, 0.6], None, "not converged yet"),
        ([2.0, 0.5, 0.22, 0.205, 0.2], [2.0, 1.1, 0.7, 0.72, 0.69], "good fit"),
        ([2.0, 0.5, 0.22, 0.205, 0.2], [2.0, 1.1, 0.7, 0.8, 0.9], "over-fitting"),
    ],
)
def test_the_thresholds_on_made_up_curves(loss, val, kind):
    data = {"epoch": list(range(1, len(loss) + 1)), "loss": loss, "step_loss": [2.1]}
    if val:
        data["val_loss"] = val
    diagnosis = diagnose(History.from_dict(data))
    assert diagnosis.kind == kind, diagnosis.line
    assert diagnosis.line.startswith(f"diagnosis: {kind}")
    assert all(np.isfinite(numbers(diagnosis.line)))


def test_without_a_guard_a_loss_that_blew_up_at_once_and_stayed_high_is_divergence():
    """Adam with lr 100, divergence_guard=False: 1.02 at the first update, then 7.8e11; the
    run ends at 2.4e7. Averaged into the start, the blow-up made this a "good fit"."""
    loss = [1e11, 9.3e10, 2.5e10, 3.6e9, 8.1e8, 1.7e8, 7.6e7, 4.5e7, 3.1e7, 2.4e7]
    history = History.from_dict(
        {
            "epoch": list(range(1, 11)),
            "loss": loss,
            "step_loss": [1.02, 8.3e10, 7.8e11, 1.1e11, 7.2e9],
            "plan": {"updates_per_epoch": 14},
        }
    )
    diagnosis = diagnose(history)
    assert diagnosis.kind == "diverged", diagnosis.line
    assert diagnosis.line == (
        "diagnosis: diverged: the training loss rose from its starting 1.02 to 2.4e+07 "
        "(epoch 10), 2.4e+07 times its starting 1.02; lower the learning rate"
    )
    assert diagnosis.epoch is None


def test_a_real_run_without_a_guard_that_blows_up_then_falls_is_divergence():
    X, y = load_diabetes()
    X = StandardScaler().fit_transform(X).astype(np.float32)
    y = ((y - y.mean()) / y.std()).astype(np.float32)[:, None]
    ds.manual_seed(0)
    model = MLP([10, 32, 1])
    trainer = Trainer(
        model, nn.MSELoss(), optim.Adam(model.parameters(), lr=100), verbose=0,
        divergence_guard=False,
    )  # fmt: skip
    history = trainer.fit(X, y, epochs=10, batch_size=32)
    assert max(history.step_loss) > 1e11 and history["loss"][-1] > 1e6
    assert history.events["diagnosis_kind"] == "diverged", history.events["diagnosis"]
