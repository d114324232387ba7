"""The Trainer's seams: train_step, what a loss says a prediction is, when a schedule steps."""

import io as text_io

import numpy as np
import pytest

import descend as ds
from descend import nn, optim
from descend.models import SoftmaxRegression
from descend.optim.scheduler import LRScheduler
from descend.train import Callback, DivergenceGuard, EarlyStopping, ProgressBar, Trainer


def _blobs(n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centres = np.array([[2.0, 0.0], [-2.0, 1.0], [0.0, -2.5]])
    return (centres[y] + rng.normal(0, 0.5, (n, 2))).astype(np.float32), y


def _trainer(model=None, **kwargs):
    model = model or SoftmaxRegression(2, 3)
    kwargs.setdefault("verbose", 0)
    return Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), **kwargs)


def test_train_step_is_one_update_by_hand():
    X, y = _blobs(16)
    ds.manual_seed(0)
    model = SoftmaxRegression(2, 3)
    ds.manual_seed(0)
    by_hand = SoftmaxRegression(2, 3)
    cost = _trainer(model).train_step(ds.tensor(X), y)

    expected = nn.CrossEntropyLoss()(by_hand(ds.tensor(X)), y)
    expected.backward()
    with ds.no_grad():
        for p in by_hand.parameters():
            p.data -= 0.1 * p.grad
    assert cost == pytest.approx(expected.item())
    for a, b in zip(model.parameters(), by_hand.parameters()):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-6)


def test_fit_takes_X_and_y_as_keras_and_sklearn_do():
    X, y = _blobs()
    history = _trainer(metrics=["accuracy"]).fit(X, y, epochs=3, batch_size=20, seed=0)
    assert len(history) == 3 and history["accuracy"][-1] > 0.9
    with pytest.raises(TypeError, match="not both"):
        _trainer().fit((X, y), y, epochs=1)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        _trainer().fit(X, y, epochs=0)


class _Task(nn.Module):
    """A loss of a user's own that declares a binary task and nothing else."""

    task = "binary"

    def forward(self, output, target):
        return nn.functional.binary_cross_entropy_with_logits(output[:, 0], target)


def test_a_users_loss_that_declares_its_task_is_treated_like_the_built_in_ones():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.float32)
    model = nn.Linear(2, 1)
    mine = Trainer(model, _Task(), optim.SGD(model.parameters(), lr=0.5), metrics=["accuracy"])
    mine.verbose = 0
    mine.callbacks = [c for c in mine.callbacks if not isinstance(c, ProgressBar)]
    mine.fit(X, y, epochs=5, batch_size=16, seed=0)
    builtin = Trainer(model, nn.BCEWithLogitsLoss(), None, verbose=0)
    assert mine.task == "binary"
    np.testing.assert_array_equal(mine.predict(X), builtin.predict(X[:, :2]))
    np.testing.assert_allclose(mine.predict_proba(X), builtin.predict_proba(X))
    assert mine.predict_proba(X).shape == (80, 2)
    assert (mine.predict(X) == y).mean() > 0.9


def test_a_loss_without_a_task_is_regression_and_a_bad_task_is_named():
    model = nn.Linear(2, 1)
    trainer = Trainer(model, lambda out, target: ((out - target) ** 2).mean(), None, verbose=0)
    assert trainer.task == "regression"
    with pytest.raises(TypeError, match="predict_proba needs a classification loss"):
        trainer.predict_proba(np.zeros((3, 2), np.float32))
    bad = nn.MSELoss()
    bad.task = "ranking"
    with pytest.raises(ValueError, match="MSELoss.task must be one of"):
        Trainer(model, bad, None, verbose=0).predict(np.zeros((3, 2), np.float32))


class _Halving(LRScheduler):
    """A schedule of a user's own that halves the rate after every batch."""

    step_on = "batch"

    def get_lr(self):
        if self._is_initial:
            return list(self.base_lrs)
        return [group["lr"] / 2 for group in self.optimizer.param_groups]


def test_a_schedule_says_when_it_steps():
    X, y = _blobs(40)
    model = SoftmaxRegression(2, 3)
    opt = optim.SGD(model.parameters(), lr=1.0)
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt, _Halving(opt), verbose=0)
    history = trainer.fit(X, y, epochs=2, batch_size=10)  # 4 batches an epoch
    assert history["lr"] == [1.0 / 2**4, 1.0 / 2**8]


def test_fitting_again_numbers_epochs_over_the_whole_run():
    X, y = _blobs(40)
    out = text_io.StringIO()
    trainer = _trainer(callbacks=[ProgressBar(file=out)])
    trainer.fit(X, y, epochs=2, batch_size=20)
    trainer.fit(X, y, epochs=1, batch_size=20)
    lines = out.getvalue().splitlines()
    assert lines[0] == "40 samples, batch 20: 2 updates per epoch, 2 epochs: 4 updates; 1 thread"
    assert [line.split()[1] for line in lines if line.startswith("epoch")] == ["1/2", "2/2", "3/3"]
    assert "40 samples, batch 20: 2 updates per epoch, epoch 3: 2 updates; 1 thread" in lines


def test_the_trainer_guards_against_divergence_by_default_and_can_be_told_not_to():
    X, y = _blobs(60)
    X = X * 1e3
    guarded = _trainer()
    start = [p.data.copy() for p in guarded.model.parameters()]
    with np.errstate(all="ignore"):
        guarded.fit(X, y, epochs=5, batch_size=10, seed=0)
    # The epoch that diverged is recorded, so the history shows the divergence.
    assert "diverged" in guarded.history.events and len(guarded.history) == 1
    assert [isinstance(c, DivergenceGuard) for c in guarded.callbacks].count(True) == 1
    for p, p0 in zip(guarded.model.parameters(), start):
        np.testing.assert_array_equal(p.data, p0)  # restored to the start of epoch 1

    free = _trainer(divergence_guard=False)
    assert not any(isinstance(c, DivergenceGuard) for c in free.callbacks)
    with np.errstate(all="ignore"):
        free.fit(X, y, epochs=5, batch_size=10, seed=0)
    assert len(free.history) == 5


def test_a_divergence_at_infinite_lr_suggests_a_finite_one():
    X, y = _blobs(20)
    model = SoftmaxRegression(2, 3)
    trainer = Trainer(
        model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=1e300), verbose=0
    )
    with np.errstate(all="ignore"):
        trainer.fit(X * 1e3, y, epochs=3, batch_size=5)
    message = trainer.history.events["diverged"]
    assert "with lr=1e+300; try lr=1 or lower" in message


def test_callback_state_is_restored_directly_and_derived_state_is_not_saved():
    X, y = _blobs(60)
    stop = EarlyStopping(patience=2)
    assert stop.wait == 0 and stop.best_epoch is None  # state exists from construction
    trainer = _trainer(callbacks=[stop])
    trainer.fit(X, y, epochs=3, batch_size=20, val=(X[:20], y[:20]))
    saved = trainer.state_dict()
    assert "last_epoch" not in saved["callbacks"]["EarlyStopping"]

    again = EarlyStopping(patience=2)
    other = _trainer(callbacks=[again])
    other.load_state_dict(saved)  # no fit needed before the state is back
    assert (again.wait, again.best_epoch) == (stop.wait, stop.best_epoch)
    assert again._tracker.best == stop._tracker.best


def test_early_stopping_says_which_weights_it_kept(capsys):
    X, y = _blobs(60)
    model = SoftmaxRegression(2, 3)
    # No later epoch can improve the loss by 10: the first is the best, the second stops.
    stop = EarlyStopping(monitor="loss", patience=1, min_delta=10)
    trainer = Trainer(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.5),
        callbacks=[stop, ProgressBar(file=text_io.StringIO())],
    )
    trainer.fit(X, y, epochs=30, batch_size=20)
    events = trainer.history.events
    assert (events["best_epoch"], events["stopped_epoch"], events["restored_epoch"]) == (1, 2, 1)
    err = capsys.readouterr().err
    assert "early stopping: stopped after epoch 2: loss last improved in epoch 1" in err
    assert "the weights of epoch 1 are kept" in err


def test_history_repr_reads_at_a_glance():
    X, y = _blobs(40)
    history = _trainer().fit(X, y, epochs=2, batch_size=20, val=(X, y))
    text = repr(history)
    assert text.startswith("History(2 epochs, loss ")
    assert "val_loss" in text and "->" in text
    assert repr(ds.History()) == "History(no epochs)"


class _Steps(Callback):
    def reset(self):
        self.seen = []

    def on_batch_begin(self, step, logs):
        self.seen.append(("begin", step))

    def on_batch_end(self, step, logs):
        grads = [p.grad is not None for p in self.trainer.model.parameters()]
        self.seen.append(("end", step, all(grads)))


def test_batch_hooks_surround_each_step_and_see_its_gradients():
    X, y = _blobs(20)
    steps = _Steps()
    _trainer(callbacks=[steps]).fit(X, y, epochs=1, batch_size=10)
    assert steps.seen == [("begin", 1), ("end", 1, True), ("begin", 2), ("end", 2, True)]


class _LateInterrupt(Callback):
    """Asks for an interruption once the last epoch has ended (Ctrl-C while it validates)."""

    def on_epoch_end(self, epoch, logs):
        if epoch == 2:
            self.trainer.interrupt()


def test_an_interruption_after_the_last_epoch_cuts_nothing_short():
    X, y = _blobs(40)
    trainer = _trainer(callbacks=[_LateInterrupt()])
    trainer.fit(X, y, epochs=2, batch_size=20)
    assert not trainer.interrupted and trainer.epoch == 2
    assert trainer.state_dict()["progress"] is None
