import math

import numpy as np
import pytest

import descend as ds
from descend import nn, optim
from descend.models import MLP, LinearRegression
from descend.train import (
    Callback,
    Convergence,
    CSVLogger,
    DivergenceGuard,
    EarlyStopping,
    ModelCheckpoint,
    Trainer,
)


def _regression(n=100, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5]) + 0.3).astype(np.float32)
    return X, y


class ScriptedValLoss(Callback):
    """Replaces val_loss by a scripted sequence, to test the stopping logic exactly."""

    def __init__(self, values):
        super().__init__()
        self.values = values

    def on_epoch_end(self, epoch, logs):
        logs["val_loss"] = self.values[epoch - 1]


class SnapshotWeights(Callback):
    def __init__(self):
        super().__init__()
        self.by_epoch = {}

    def on_epoch_end(self, epoch, logs):
        self.by_epoch[epoch] = self.trainer.model.state_dict()


def _trainer(callbacks, lr=0.01, model=None):
    model = model or LinearRegression(3)
    return Trainer(
        model, nn.MSELoss(), optim.SGD(model.parameters(), lr=lr), callbacks=callbacks, verbose=0
    )


def test_early_stopping_stops_after_patience_and_restores_the_best():
    script = ScriptedValLoss([5.0, 4.0, 3.0, 3.5, 3.2, 3.1, 1.0])
    snapshots = SnapshotWeights()
    stopper = EarlyStopping(monitor="val_loss", patience=3)
    trainer = _trainer([script, snapshots, stopper])
    X, y = _regression()
    history = trainer.fit((X, y), epochs=7, val=(X, y))
    assert history.epochs == [1, 2, 3, 4, 5, 6]
    assert stopper.best_epoch == 3 and stopper.stopped_epoch == 6
    assert history.events["best_epoch"] == 3 and history.events["restored_epoch"] == 3
    for key, value in trainer.model.state_dict().items():
        np.testing.assert_array_equal(value, snapshots.by_epoch[3][key])


def test_early_stopping_restores_the_best_even_without_stopping():
    """keras#12511: the best weights come back when the epochs run out too."""
    script = ScriptedValLoss([5.0, 1.0, 2.0, 3.0])
    snapshots = SnapshotWeights()
    stopper = EarlyStopping(patience=10)
    trainer = _trainer([script, snapshots, stopper])
    X, y = _regression()
    trainer.fit((X, y), epochs=4, val=(X, y))
    assert stopper.stopped_epoch is None
    for key, value in trainer.model.state_dict().items():
        np.testing.assert_array_equal(value, snapshots.by_epoch[2][key])


def test_early_stopping_leaves_the_weights_alone_when_training_is_interrupted():
    class InterruptAtStep(Callback):
        def on_batch_end(self, step, logs):
            if step == 25:
                self.trainer.interrupt()

    script = ScriptedValLoss([5.0, 1.0, 2.0, 3.0, 4.0])
    trainer = _trainer([script, EarlyStopping(patience=10), InterruptAtStep()])
    X, y = _regression()
    trainer.fit((X, y), epochs=5, batch_size=10, val=(X, y))
    assert trainer.interrupted and trainer.epoch == 2 and trainer.step == 25
    current = trainer.model.state_dict()
    trainer.fit((X, y), epochs=3, batch_size=10, val=(X, y))  # finishes epochs 3-5
    assert trainer.epoch == 5 and trainer.step == 50
    assert "restored_epoch" in trainer.history.events  # the best (epoch 2) comes back at the end
    assert any(not np.array_equal(current[k], v) for k, v in trainer.model.state_dict().items())


def test_early_stopping_min_delta_and_missing_monitor():
    script = ScriptedValLoss([5.0, 4.95, 4.9, 4.85])
    stopper = EarlyStopping(patience=2, min_delta=0.1)
    trainer = _trainer([script, stopper])
    X, y = _regression()
    assert trainer.fit((X, y), epochs=4, val=(X, y)).epochs == [1, 2, 3]
    with pytest.raises(ValueError, match="cannot monitor 'val_loss' \\(pass validation data"):
        _trainer([EarlyStopping()]).fit((X, y), epochs=2)


def test_convergence_records_the_epoch_the_loss_stopped_changing():
    X, y = _regression()
    conv = Convergence(tol=1e-3, patience=2)
    history = _trainer([conv], lr=0.1).fit((X, y), epochs=500, batch_size="full")
    assert conv.converged_epoch is not None and conv.converged_epoch < 500
    assert history.events["converged_epoch"] == conv.converged_epoch == history.epochs[-1]
    losses = history["loss"]
    for prev, cur in zip(losses[-3:], losses[-2:]):
        assert abs(prev - cur) <= 1e-3 * abs(prev) or abs(prev - cur) <= 1e-10


def test_divergence_guard_stops_restores_and_advises(capsys):
    X, y = _regression()
    guard = DivergenceGuard()
    snapshots = SnapshotWeights()
    model = LinearRegression(3)
    trainer = Trainer(
        model,
        nn.MSELoss(),
        optim.SGD(model.parameters(), lr=10.0),
        callbacks=[snapshots, guard],
        verbose=1,
    )
    with np.errstate(all="ignore"):
        history = trainer.fit((X, y), epochs=50, batch_size=10)
    assert guard.diverged_step is not None
    assert "with lr=10; try lr=1 or lower" in guard.message
    assert "DivergenceGuard: loss" in capsys.readouterr().err
    epoch = history.events["diverged_epoch"]
    assert history.events["diverged_step"] == guard.diverged_step
    weights = model.state_dict()
    assert all(np.isfinite(v).all() for v in weights.values())
    reference = snapshots.by_epoch[epoch - 1] if epoch > 1 else None
    if reference is not None:
        for key, value in weights.items():
            np.testing.assert_array_equal(value, reference[key])


def test_divergence_guard_catches_nan():
    X, y = _regression()
    X[5, 0] = np.inf  # not caught by data checks here: the guard must notice the NaN loss
    guard = DivergenceGuard()
    trainer = _trainer([guard])
    with np.errstate(all="ignore"):
        try:
            trainer.fit((X, y), epochs=2, batch_size=10)
        except ValueError as error:  # the data checks may refuse inf first: also fine
            assert "infinite" in str(error)
            return
    assert guard.diverged_step is not None and "nan" in guard.message


def test_csv_logger_and_model_checkpoint(tmp_path):
    X, y = _regression()
    csv_path, model_path = tmp_path / "log.csv", tmp_path / "best.safetensors"
    checkpoint = ModelCheckpoint(model_path, monitor="val_loss")
    trainer = _trainer([CSVLogger(csv_path), checkpoint], lr=0.05)
    trainer.fit((X, y), epochs=3, val=(X, y))
    lines = csv_path.read_text().splitlines()
    assert lines[0].startswith("epoch,loss,val_loss")
    assert len(lines) == 4
    assert checkpoint.saved_epoch == 3
    saved = ds.io.load(model_path)
    for key, value in trainer.model.state_dict().items():
        np.testing.assert_array_equal(saved[key], value)


def test_history_json_and_csv_round_trip(tmp_path):
    X, y = _regression()
    model = MLP([3, 8, 1])
    trainer = Trainer(
        model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.01), metrics=["mae"], verbose=0
    )
    history = trainer.fit((X, y[:, None]), epochs=3, val=(X, y[:, None]), batch_size=25)
    history.events["note"] = math.inf
    history.write_json(tmp_path / "h.json")
    history.write_csv(tmp_path / "h.csv")
    again = ds.train.History.from_json((tmp_path / "h.json").read_text())
    assert again.records == history.records and again.step_loss == history.step_loss
    assert again.events["note"] == math.inf
    assert again.plan["updates_per_epoch"] == 4
    header = (tmp_path / "h.csv").read_text().splitlines()[0].split(",")
    assert header == ["epoch", "loss", "mae", "val_loss", "val_mae", "lr", "updates", "time"]
    assert history.best("val_loss")[0] in history.epochs


class _AtStep(Callback):
    """Does ``act(trainer)`` after update ``step``."""

    def __init__(self, step, act):
        super().__init__()
        self.at, self.act = step, act

    def on_batch_end(self, step, logs):
        if step == self.at:
            self.act(self.trainer)


def _lr_blows_up(trainer):
    """The lr becomes huge: the loss diverges at the next update."""
    trainer.optimizer.param_groups[0]["lr"] = 1e6


def _every_callback(tmp_path, name):
    return [
        _AtStep(17, _lr_blows_up),
        EarlyStopping(monitor="loss", patience=50),
        Convergence(tol=1e-12),
        ds.callbacks.GradientMonitor(every=3),
        ds.callbacks.TensorBoard(tmp_path / f"tb-{name}", update_freq=2),
        ModelCheckpoint(tmp_path / f"{name}.safetensors", monitor="loss"),
        CSVLogger(tmp_path / f"{name}.csv"),
    ]


def _plain(value):
    """The state as a checkpoint file keeps it: plain lists, no shared arrays."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value.tolist() if isinstance(value, np.ndarray) else value


@pytest.mark.parametrize("stop", [6, 13, 15])
def test_every_callbacks_state_makes_a_resumed_run_bit_identical(tmp_path, stop):
    """Interrupted in the middle of an epoch and resumed from its state_dict, a run with
    every callback ends as one that never stopped: weights, history, gradient records,
    every callback's state; here the divergence guard restores the start of epoch 2,
    though the run was resumed inside it."""
    pytest.importorskip("tensorboardX")
    X, y = _regression(96)

    def trainer(name, *extra):
        ds.manual_seed(0)
        model = MLP([3, 8, 1])
        opt = optim.SGD(model.parameters(), lr=0.01)
        callbacks = [*_every_callback(tmp_path, name), *extra]
        return Trainer(model, nn.MSELoss(), opt, callbacks=callbacks, verbose=0)

    with np.errstate(all="ignore"):
        straight = trainer("straight")
        straight.fit(X, y[:, None], epochs=4, batch_size=8, seed=0)
        cut = trainer("cut", _AtStep(stop, Trainer.interrupt))
        cut.fit(X, y[:, None], epochs=4, batch_size=8, seed=0)
        assert cut.interrupted and cut.step == stop
        resumed = trainer("resumed")
        resumed.model.load_state_dict(cut.model.state_dict())
        resumed.load_state_dict(_plain(cut.state_dict()))
        resumed.fit(X, y[:, None], epochs=4 - cut.epoch, batch_size=8, seed=0)
    assert straight.history.events["diverged_step"] == 19  # in epoch 2 (12 updates each)
    for key, value in straight.model.state_dict().items():
        np.testing.assert_array_equal(resumed.model.state_dict()[key], value)
    mine, theirs = _plain(resumed.state_dict()), _plain(straight.state_dict())
    del mine["history"]["time"], theirs["history"]["time"]  # wall seconds
    assert mine["history"] == theirs["history"]
    assert mine["callbacks"] == theirs["callbacks"]
