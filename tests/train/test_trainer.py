import io as text_io

import numpy as np
import pytest

import descend as ds
from descend import nn, optim
from descend.data import DataLoader, TensorDataset
from descend.models import MLP, LinearRegression, LogisticRegression, SoftmaxRegression
from descend.train import Callback, Trainer


def _blobs(n=200, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centres = np.array([[2.0, 0.0], [-2.0, 1.0], [0.0, -2.5]])
    return (centres[y] + rng.normal(0, 0.5, (n, 2))).astype(np.float32), y


class Recorder(Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_begin(self, logs):
        self.calls.append(("train_begin", dict(logs)))

    def on_epoch_begin(self, epoch, logs):
        self.calls.append(("epoch_begin", epoch))

    def on_batch_end(self, step, logs):
        self.calls.append(("batch_end", step, logs["loss"]))

    def on_epoch_end(self, epoch, logs):
        self.calls.append(("epoch_end", epoch, dict(logs)))

    def on_train_end(self, logs):
        self.calls.append(("train_end",))


def test_the_loop_is_the_seven_steps_done_by_hand():
    """One epoch through the Trainer equals the same updates written out by hand."""
    X, y = _blobs(60)
    ds.manual_seed(3)
    model = SoftmaxRegression(2, 3)
    ds.manual_seed(3)
    by_hand = SoftmaxRegression(2, 3)
    trainer = Trainer(
        model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.5), verbose=0
    )
    trainer.fit((X, y), epochs=1, batch_size=20, shuffle=False)
    opt = optim.SGD(by_hand.parameters(), lr=0.5)
    for start in range(0, 60, 20):
        cost = nn.CrossEntropyLoss()(
            by_hand(ds.tensor(X[start : start + 20])), y[start : start + 20]
        )
        opt.zero_grad()
        cost.backward()
        opt.step()
    for (name, a), b in zip(model.state_dict().items(), by_hand.state_dict().values()):
        np.testing.assert_allclose(a, b, rtol=1e-6, err_msg=name)


def test_callbacks_are_called_in_order_with_logs():
    X, y = _blobs(100)
    model = SoftmaxRegression(2, 3)
    recorder = Recorder()
    trainer = Trainer(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.1),
        metrics=["accuracy"],
        callbacks=[recorder],
        verbose=0,
    )
    history = trainer.fit((X, y), epochs=2, batch_size=40, val=(X[:30], y[:30]))
    kinds = [c[0] for c in recorder.calls]
    assert kinds == [
        "train_begin",
        "epoch_begin",
        "batch_end",
        "batch_end",
        "batch_end",
        "epoch_end",
        "epoch_begin",
        "batch_end",
        "batch_end",
        "batch_end",
        "epoch_end",
        "train_end",
    ]
    plan = recorder.calls[0][1]
    assert plan == {
        "n_samples": 100,
        "batch_size": 40,
        "updates_per_epoch": 3,
        "epochs": 2,
        "first_epoch": 1,
        "last_epoch": 2,
        "total_updates": 6,
        "threads": 1,  # a small model: one thread
    }
    last = recorder.calls[-2][2]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "updates", "time"} <= set(last)
    assert last["updates"] == 6 and last["lr"] == 0.1
    assert history["loss"] == [c[2]["loss"] for c in recorder.calls if c[0] == "epoch_end"]
    assert len(history.step_loss) == 6
    assert history.epochs == [1, 2]


def test_batch_size_picks_the_strategy():
    X, y = _blobs(100)
    for batch_size, updates in [("full", 1), (1, 100), (32, 4)]:
        model = SoftmaxRegression(2, 3)
        trainer = Trainer(
            model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), verbose=0
        )
        history = trainer.fit((X, y), epochs=2, batch_size=batch_size)
        assert history["updates"] == [updates, 2 * updates]
        assert len(history.step_loss) == 2 * updates


def test_fit_accepts_a_dataloader_and_says_the_plan():
    X, y = _blobs(1000)
    loader = DataLoader(TensorDataset(X, y), batch_size=100, shuffle=True, seed=0)
    model = SoftmaxRegression(2, 3)
    out = text_io.StringIO()
    trainer = Trainer(
        model,
        nn.CrossEntropyLoss(),
        optim.SGD(model.parameters(), lr=0.1),
        callbacks=[ds.train.ProgressBar(file=out)],
    )
    trainer.fit(loader, epochs=20)
    text = out.getvalue()
    assert "1000 samples, batch 100: 10 updates per epoch, 20 epochs: 200 updates" in text
    assert text.count("\n") == 21  # the plan, then one line per epoch off a terminal


def test_verbose_zero_is_silent(capsys):
    X, y = _blobs(50)
    model = SoftmaxRegression(2, 3)
    Trainer(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), verbose=0).fit(
        (X, y), epochs=2
    )
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_evaluate_and_predict():
    X, y = _blobs(300)
    model = MLP([2, 16, 3])
    trainer = Trainer(
        model,
        nn.CrossEntropyLoss(),
        optim.Adam(model.parameters(), lr=0.05),
        metrics=["accuracy", "f1"],
        verbose=0,
    )
    trainer.fit((X, y), epochs=15, batch_size=32, seed=0)
    scores = trainer.evaluate((X, y))
    assert set(scores) == {"loss", "accuracy", "f1"}
    assert scores["accuracy"] > 0.95
    labels = trainer.predict(X)
    assert labels.shape == (300,) and labels.dtype.kind == "i"
    assert np.mean(labels == y) == pytest.approx(scores["accuracy"])
    proba = trainer.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(proba.argmax(axis=1), labels)
    assert model.training  # predict leaves the mode as it found it


def test_binary_and_regression_tasks():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2)).astype(np.float32)
    y = (X[:, 0] - X[:, 1] > 0).astype(np.int64)
    model = LogisticRegression(2)
    trainer = Trainer(
        model,
        nn.BCEWithLogitsLoss(),
        optim.SGD(model.parameters(), lr=0.5),
        metrics=["accuracy"],
        verbose=0,
    )
    trainer.fit((X, y.astype(np.float32)), epochs=20, batch_size="full")
    assert trainer.task == "binary"
    assert trainer.evaluate((X, y.astype(np.float32)))["accuracy"] > 0.97
    assert trainer.predict_proba(X).shape == (200, 2)

    target = (3 * X[:, 0] - 2 * X[:, 1] + 1).astype(np.float32)
    model = LinearRegression(2)
    trainer = Trainer(
        model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), metrics=["r2"], verbose=0
    )
    trainer.fit((X, target), epochs=100, batch_size="full")
    assert trainer.task == "regression"
    assert trainer.evaluate((X, target))["r2"] > 0.9999
    np.testing.assert_allclose(trainer.predict(X[:3]), target[:3], atol=1e-2)


def test_unknown_metric_and_bad_epochs_are_clear_errors():
    model = SoftmaxRegression(2, 3)
    with pytest.raises(ValueError, match="unknown metric 'acc'.*accuracy"):
        Trainer(
            model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), metrics=["acc"]
        )
    trainer = Trainer(
        model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), verbose=0
    )
    with pytest.raises(ValueError, match="epochs must be a positive integer, got 0"):
        trainer.fit(_blobs(10), epochs=0)
    with pytest.raises(TypeError, match="DataLoader or an \\(X, y\\) pair"):
        trainer.fit(np.zeros((3, 2)), epochs=1)


def test_schedulers_step_per_epoch_and_onecycle_per_batch():
    X, y = _blobs(100)
    model = SoftmaxRegression(2, 3)
    opt = optim.SGD(model.parameters(), lr=1.0)
    trainer = Trainer(
        model,
        nn.CrossEntropyLoss(),
        opt,
        scheduler=optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5),
        verbose=0,
    )
    history = trainer.fit((X, y), epochs=3, batch_size=50)
    assert history["lr"] == [1.0, 0.5, 0.25]  # the rate each epoch's updates used

    model = SoftmaxRegression(2, 3)
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=8)
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt, scheduler=sched, verbose=0)
    trainer.fit((X, y), epochs=2, batch_size=25)
    assert sched.last_epoch == 8


def test_running_scores_merge_joins_each_batch_of_every_process_in_order():
    from descend.train.epoch import RunningScores

    scores = [RunningScores() for _ in range(2)]
    scores[0].add(0.5, 4, np.array([0, 1]), np.array([0, 0]))
    scores[1].add(0.5, 4, np.array([1, 1]), np.array([1, 0]))
    scores[0].add(0.25, 1, np.array([0]), np.array([0]))
    scores[1].add(0.25, 1, np.array([], dtype=np.int64), None)  # an empty share
    parts = [s.unmerged() for s in scores]
    for s in scores:
        s.merge(parts)
        assert [t.tolist() for t in s.targets] == [[0, 1, 1, 1], [0]]
        assert [p.tolist() for p in s.predictions] == [[0, 0, 1, 0], [0]]
        assert s.unmerged() == ([], [])
    accuracy = scores[1].result(lambda t, p: {"accuracy": float((t == p).mean())})
    assert accuracy == {"loss": (0.5 * 4 + 0.25) / 5, "accuracy": 0.6}
