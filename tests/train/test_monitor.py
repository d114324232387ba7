import json
import math

import numpy as np
import pytest

import descend as ds
from descend import nn, optim
from descend.data import load_digits
from descend.models import MLP
from descend.train import Callback, GradientMonitor, History, Trainer
from descend.train.monitor import GradientRecords


def _regression(n=64, seed=0):
    """Inputs (n, 3) and targets (n, 1), a column as an MLP with one output gives."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5]) + 0.3).astype(np.float32)
    return X, y[:, None]


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits()
    X = (X - X.mean(0)) / (X.std(0) + 1e-8)
    return X.astype(np.float32)[:600], y[:600]


class Snapshots(Callback):
    """Weights before, gradients and weights after every step (runs after the monitor)."""

    def reset(self):
        self.before, self.grads, self.after = {}, {}, {}

    def on_batch_begin(self, step, logs):
        self.before[step] = self.trainer.model.state_dict()

    def on_batch_end(self, step, logs):
        named = self.trainer.model.named_parameters()
        self.grads[step] = {name: p.grad.copy() for name, p in named}
        self.after[step] = self.trainer.model.state_dict()


def _fit(model, monitor, opt=None, epochs=3, data=None, loss=None, **fit):
    snapshots = Snapshots()
    opt = opt or optim.Adam(model.parameters(), lr=0.01)
    trainer = Trainer(model, loss or nn.MSELoss(), opt, callbacks=[monitor, snapshots], verbose=0)
    X, y = data if data is not None else _regression()
    history = trainer.fit(X, y, epochs=epochs, batch_size=fit.pop("batch_size", 16), seed=0, **fit)
    return history, snapshots


def test_records_every_epoch_match_the_steps_gradients_and_updates():
    model = MLP([3, 8, 1])
    history, snap = _fit(model, GradientMonitor(), epochs=3)
    records = history.gradients
    # 64 samples in batches of 16: 4 updates per epoch; the first of each is recorded.
    assert records.steps == [1, 5, 9]
    assert records.epochs == [1, 2, 3]
    names = [name for name, _ in model.named_parameters()]
    assert records.tensors == names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    for i, step in enumerate(records.steps):
        for name in names:
            before = snap.before[step][name].astype(np.float64)
            change = snap.after[step][name] - snap.before[step][name]
            grad = snap.grads[step][name].astype(np.float64)
            assert records.grad_norm[name][i] == pytest.approx(np.linalg.norm(grad), rel=1e-5)
            assert records.weight_norm[name][i] == pytest.approx(np.linalg.norm(before), rel=1e-5)
            ratio = np.linalg.norm(change) / np.linalg.norm(before)
            assert records.update_ratio[name][i] == pytest.approx(ratio, rel=1e-4)


def test_plain_sgd_update_ratio_is_lr_times_gradient_over_weights(float64):
    """With SGD the step is -lr * g, so the ratio is lr * ||g|| / ||w|| exactly."""
    model = MLP([3, 4, 1])
    history, _ = _fit(model, GradientMonitor(every=1), optim.SGD(model.parameters(), lr=0.05))
    records = history.gradients
    assert records.steps == list(range(1, 13))
    for name in records.grad_norm:
        grad, weight = np.array(records.grad_norm[name]), np.array(records.weight_norm[name])
        np.testing.assert_allclose(records.update_ratio[name], 0.05 * grad / weight, rtol=1e-9)


def test_every_k_steps_records_the_first_step_and_every_kth_after_it():
    history, _ = _fit(MLP([3, 4, 1]), GradientMonitor(every=5), epochs=3)
    assert history.gradients.steps == [1, 6, 11]
    assert history.gradients.epochs == [1, 2, 3]
    assert history.gradients.every == 5


def test_zero_weights_have_no_ratio_and_records_survive_json():
    X, y = _regression()
    history, _ = _fit(ds.models.LinearRegression(3), GradientMonitor(), epochs=2, data=(X, y[:, 0]))
    ratios = history.gradients.update_ratio["linear.weight"]
    assert math.isnan(ratios[0]) and ratios[1] > 0  # weights start at zero
    again = History.from_json(history.to_json())
    assert json.loads(history.to_json())["gradients"]["update_ratio"]["linear.weight"][0] is None
    assert again.gradients.steps == history.gradients.steps
    assert math.isnan(again.gradients.update_ratio["linear.weight"][0])
    assert again.gradients.grad_norm == history.gradients.grad_norm


def _deep(digits, activation, capsys):
    ds.manual_seed(0)
    model = MLP([64, 32, 32, 32, 32, 32, 32, 10], activation=activation)
    monitor = GradientMonitor()
    trainer = Trainer(
        model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()), callbacks=[monitor]
    )
    trainer.fit(*digits, epochs=2, batch_size=64, seed=0)
    return monitor, trainer.history, capsys.readouterr().err


def test_deep_sigmoid_network_is_flagged_vanishing_and_relu_is_not(digits, capsys):
    monitor, history, printed = _deep(digits, "sigmoid", capsys)
    assert monitor.warnings and all("vanishing" in w for w in monitor.warnings)
    assert monitor.warnings[0].startswith(
        "vanishing gradients in Linear 1 (layer '0'): below 0.001 times the last layer's "
        "(Linear 7) in 2 of 2 records, lowest "
    )
    assert "not recovered by step 11, the last record" in monitor.warnings[0]
    assert history.gradients.warnings == monitor.warnings
    assert printed.count("GradientMonitor: vanishing gradients") == len(monitor.warnings)
    # Each layer is named once, however many records show it.
    assert len({w.split(":")[0] for w in monitor.warnings}) == len(monitor.warnings)
    first = history.gradients.grad_norm["0.weight"][0]
    last = history.gradients.grad_norm["12.weight"][0]
    assert first < 1e-3 * last

    monitor, history, printed = _deep(digits, "relu", capsys)
    assert monitor.warnings == [] and "GradientMonitor" not in printed
    assert len(history.gradients.steps) == 2


def test_gradients_far_above_the_last_layers_are_flagged_exploding(capsys):
    """Huge inputs into a layer whose output is tiny: its weight gradient dwarfs the last's."""
    ds.manual_seed(0)
    model = MLP([4, 4, 1])
    model[0].weight.data[...] = 1e-6
    model[0].bias.data[...] = 0.0
    X, y = _regression(32)
    X = np.c_[X, X[:, :1]] * 1e5
    monitor = GradientMonitor(print_warnings=False)
    trainer = Trainer(
        model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.0), callbacks=[monitor]
    )
    trainer.fit(X, y, epochs=1, batch_size=32)
    assert len(monitor.warnings) == 1
    assert monitor.warnings[0].startswith(
        "exploding gradients in Linear 1 (layer '0'): above 1000 times the last layer's "
        "(Linear 2) in 1 of 1 records, highest "
    )
    assert "GradientMonitor" not in capsys.readouterr().err  # print_warnings=False


def test_a_learning_rate_far_too_large_ends_in_non_finite_exploding_gradients():
    """Each full-batch step multiplies the error: the gradient grows until it overflows."""
    X, y = _regression(16)
    monitor = GradientMonitor(every=1, print_warnings=False)
    model = ds.models.LinearRegression(3)
    trainer = Trainer(
        model,
        nn.MSELoss(),
        optim.SGD(model.parameters(), lr=5.0),
        callbacks=[monitor],
        verbose=0,
        divergence_guard=False,
    )
    with np.errstate(over="ignore", invalid="ignore"):  # the overflow is the point
        trainer.fit(X, y[:, 0], epochs=80, batch_size="full")
    norms = trainer.history.gradients.grad_norm["linear.weight"]
    assert norms[10] > 1e6 * norms[0]
    assert len(monitor.warnings) == 1
    first_bad = next(i for i, v in enumerate(norms) if not np.isfinite(v)) + 1
    assert monitor.warnings[0].startswith(
        f"exploding gradients in Linear 1 (layer 'linear'): gradient norm {norms[first_bad - 1]} "
        f"at step {first_bad}; updates will overshoot"
    )
    with np.errstate(over="ignore", invalid="ignore"):  # a second fit says nothing twice
        trainer.fit(X, y[:, 0], epochs=2, batch_size="full")
    assert len(monitor.warnings) == len(trainer.history.gradients.warnings) == 1


def test_state_round_trip_keeps_warnings_and_bad_settings_are_named():
    monitor = GradientMonitor()
    monitor.warnings, monitor._alarms = ["exploding gradients in layer '0'"], ["exploding ..."]
    monitor._said, monitor._epoch, monitor._due = {("0", "exploding")}, 3, True
    other = GradientMonitor()
    other.load_state_dict(json.loads(json.dumps(monitor.state_dict())))
    assert other.state_dict() == monitor.state_dict()
    assert other._said == monitor._said and (other._epoch, other._due) == (3, True)
    older = GradientMonitor()  # a checkpoint written before the counters were kept
    older.load_state_dict({"warnings": ["vanishing ..."], "warned": [["0", "vanishing"]]})
    assert older.warnings == ["vanishing ..."] and (older._epoch, older._due) == (0, False)
    with pytest.raises(ValueError, match="every must be 'epoch' or a positive number"):
        GradientMonitor(every=0)
    with pytest.raises(ValueError, match="every must be"):
        GradientMonitor(every="batch")
    with pytest.raises(ValueError, match="expected 0 < vanishing < 1 < exploding"):
        GradientMonitor(vanishing=10)
    with pytest.raises(ValueError, match="window must be a positive number of records"):
        GradientMonitor(window=0)


def _records(first_layer_ratios, every="epoch"):
    """Records of a two-layer model whose first layer's gradient is ``ratio`` times the last's."""
    records = GradientRecords(every)
    records.layers = {"0": "Linear 1", "2": "Linear 2"}
    for i, ratio in enumerate(first_layer_ratios):
        records.append(
            10 * i + 1, i + 1, {"0.weight": (ratio, 1.0, 0.01), "2.weight": (1.0, 1.0, 0.01)}
        )
    return records


def test_vanishing_is_judged_over_a_window_and_says_whether_the_layer_recovered():
    judge = GradientMonitor(window=3).judge
    # One record below the threshold (the network as initialised) is not enough.
    assert judge(_records([1e-5, 0.1, 0.1, 0.1])) == []
    assert judge(_records([1e-5, 1e-5, 0.1, 1e-5, 0.1])) == []
    # Three in a row are, and the warning says that it came back and when.
    [(key, message)] = judge(_records([1e-5, 2e-5, 5e-4, 0.01, 0.02]))
    assert key == ("0", "vanishing")
    assert message == (
        "vanishing gradients in Linear 1 (layer '0'): below 0.001 times the last layer's "
        "(Linear 2) in 3 of 5 records, lowest 1e-05 times at step 1 (epoch 1), recovered from "
        "step 31 (epoch 4) on (0.02 times at step 41); until then it got almost no learning "
        "signal (saturated sigmoid or tanh units, dead ReLUs, or too many layers)"
    )
    [(_, message)] = judge(_records([0.1, 1e-4, 1e-4, 3e-4]))
    assert (
        "in 3 of 4 records, lowest 0.0001 times at step 11 (epoch 2), not recovered by " in message
    )
    assert message.endswith(
        "step 31, the last record (0.0003 times); it gets almost no learning "
        "signal (saturated sigmoid or tanh units, dead ReLUs, or too many layers)"
    )
    # Fewer records than the window: all of them must be below.
    assert len(judge(_records([1e-5, 1e-5]))) == 1
    assert judge(_records([1e-5, 0.1])) == []
    [(key, message)] = judge(_records([5e3, 4e3, 3e3]))
    assert key == ("0", "exploding") and "highest 5e+03 times at step 1" in message


def test_records_layout_survives_json_and_old_files_without_layer_names_load():
    records = _records([1e-5, 0.1])
    again = GradientRecords.from_dict(json.loads(json.dumps(records.to_dict())))
    assert again.to_dict() == records.to_dict()
    assert again.label("0.weight") == "Linear 1 (0.weight)"
    old = records.to_dict()
    del old["layers"]
    assert GradientRecords.from_dict(old).label("0.weight") == "0.weight"
    assert not GradientRecords.from_dict(None) and len(again) == 2
    with pytest.raises(ValueError, match="unknown quantity 'norm'; known: grad_norm"):
        records.values("norm")


def test_a_run_resumed_mid_epoch_has_the_records_of_one_that_never_stopped():
    """The resumed epoch's first update is behind it: no second record for that epoch."""

    class StopAt(Callback):
        def on_batch_end(self, step, logs):
            if step == 6:
                self.trainer.interrupt()

    def trainer(*callbacks):
        ds.manual_seed(0)
        model = MLP([3, 4, 1])
        opt = optim.SGD(model.parameters(), lr=0.01)
        return Trainer(
            model, nn.MSELoss(), opt, callbacks=[GradientMonitor(), *callbacks], verbose=0
        )

    X, y = _regression()
    straight = trainer()
    straight.fit(X, y, epochs=3, batch_size=16, seed=0)
    cut = trainer(StopAt())
    cut.fit(X, y, epochs=3, batch_size=16, seed=0)
    assert cut.interrupted and cut.epoch == 1
    state = json.loads(json.dumps(cut.state_dict(), default=lambda a: a.tolist()))
    resumed = trainer()
    resumed.model.load_state_dict(cut.model.state_dict())
    resumed.load_state_dict(state)
    resumed.fit(X, y, epochs=2, batch_size=16, seed=0)
    assert resumed.history.gradients.steps == straight.history.gradients.steps == [1, 5, 9]
    assert resumed.history.gradients.to_dict() == straight.history.gradients.to_dict()
    assert resumed.history.plan["epochs"] == 3  # the run's, not the resumed fit's 2
