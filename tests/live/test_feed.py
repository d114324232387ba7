"""What the run page shows: the History's data, the progress, a run folder as it grows."""

import json
import math

import pytest

import descend as ds
from descend import nn
from descend.live.feed import FolderFeed, describe, progress
from descend.live.run_page import curves, epoch_columns
from descend.train.history import History


def _trainer(callbacks=()):
    X, y = ds.data.load_iris()
    X = ds.data.StandardScaler().fit_transform(X)
    model = ds.models.MLP([4, 8, 3])
    trainer = ds.Trainer(
        model,
        nn.CrossEntropyLoss(),
        ds.optim.Adam(model.parameters(), lr=0.01),
        metrics=["accuracy"],
        callbacks=list(callbacks),
        verbose=0,
    )
    return trainer, (X, y)


def test_progress_counts_epochs_and_updates_and_the_time_left():
    history = {
        "epoch": [1, 2],
        "step_loss": [1.0] * 10,
        "time": [2.0, 4.0],
        "plan": {"updates_per_epoch": 5},
    }
    state = progress(history, epochs=4, finished=False)
    assert state == {
        "epoch": 2,
        "epochs": 4,
        "updates": 10,
        "total_updates": 20,
        "seconds_left": 3.0 / 5 * 10,
        "finished": False,
    }
    assert describe(state) == "epoch 2 of 4 done · update 10 of 20 · about 6 s left"
    assert describe(progress(history, 2, True)) == "finished: 2 epochs, 10 updates"
    assert describe(progress({}, None, False)) == "epoch 0 done · update 0"


def test_live_view_feeds_the_trainers_history_and_runs_a_monitor(tmp_path):
    live = ds.callbacks.LiveView(announce=False)
    try:
        trainer, (X, y) = _trainer([live])
        assert live.snapshot()["history"]["step_loss"] == []
        trainer.fit(X, y, epochs=3, batch_size=50, val=(X[::3], y[::3]))
        snap = live.snapshot()
    finally:
        live.stop()
    assert snap["history"] == trainer.history.to_dict()
    assert snap["progress"]["finished"] and snap["progress"]["updates"] == 9
    assert snap["history"]["gradients"]["step"] == [1, 4, 7]  # its own GradientMonitor
    assert live.url.startswith("http://127.0.0.1:") and "/run?token=" in live.url


def test_the_pages_curves_are_the_history_json_numbers(tmp_path):
    trainer, (X, y) = _trainer([ds.GradientMonitor(print_warnings=False)])
    trainer.fit(X, y, epochs=2, batch_size=75, val=(X[::3], y[::3]))
    trainer.history.write_json(tmp_path / "history.json")
    saved = json.loads((tmp_path / "history.json").read_text())
    shown = curves(History.from_json(json.dumps(saved)).to_dict())
    assert shown_by_label(shown) == expected_curves(saved)
    # The tensors are named as gradients.png names them.
    assert ("grad_norm_solid", "Linear 1 (0.weight)") in shown_by_label(shown)


def shown_by_label(shown: dict) -> dict:
    """``{(source name, label): (xs, ys)}`` of the page's curves."""
    return {
        (name, row["label"]): (row["xs"], row["ys"]) for name, rows in shown.items() for row in rows
    }


def expected_curves(saved: dict) -> dict:
    """What the page must draw, read straight from a history.json."""
    expected = {
        ("loss_solid", "train loss"): (saved["updates"], saved["loss"]),
        ("loss_dashed", "validation loss"): (saved["updates"], saved["val_loss"]),
        ("metrics_solid", "train accuracy"): (saved["epoch"], saved["accuracy"]),
        ("metrics_dashed", "validation accuracy"): (saved["epoch"], saved["val_accuracy"]),
        ("lr_solid", "lr"): (saved["epoch"], saved["lr"]),
    }
    records = saved["gradients"]
    for quantity in ("grad_norm", "update_ratio"):
        for tensor, values in records[quantity].items():
            style = "dashed" if tensor.endswith("bias") else "solid"
            label = f"{records['layers'][tensor.rpartition('.')[0]]} ({tensor})"
            expected[(f"{quantity}_{style}", label)] = (records["step"], values)
    return expected


def test_epoch_columns_are_cut_to_the_rows_every_column_has():
    half_appended = {"epoch": [1, 2], "loss": [0.5, 0.4], "val_loss": [0.6], "step_loss": [1.0]}
    assert epoch_columns(half_appended) == {"epoch": [1], "loss": [0.5], "val_loss": [0.6]}


def test_a_folder_feed_follows_the_checkpoint_then_the_saved_history(tmp_path):
    from descend.cli import main

    folder = tmp_path / "run"
    assert (
        main(
            [
                "train",
                "--data",
                "iris",
                "--model",
                "softmax",
                "--epochs",
                "2",
                "--out",
                str(folder),
                "--quiet",
            ]
        )
        == 0
    )
    saved = json.loads((folder / "history.json").read_text())
    feed = FolderFeed(folder)
    snap = feed.snapshot()
    assert snap["progress"]["finished"] and snap["progress"]["epoch"] == 2
    assert snap["history"]["step_loss"] == saved["step_loss"]
    # While training, only the checkpoint is there: its History is shown, not finished.
    (folder / "history.json").unlink()
    snap = FolderFeed(folder).snapshot()
    assert snap["history"]["step_loss"] == pytest.approx(saved["step_loss"])
    assert snap["history"]["epoch"] == [1, 2] and not snap["progress"]["finished"]
    assert math.isfinite(snap["history"]["loss"][-1])


def test_a_folder_feed_refuses_a_folder_without_a_run(tmp_path):
    with pytest.raises(ValueError, match="not a run folder"):
        FolderFeed(tmp_path)
