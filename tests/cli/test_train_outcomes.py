"""How a run ends: diverged (exit 3), stuck at the loss of guessing (a warning), failed
before its first epoch (nothing left behind), resumed (epochs counted over the whole run),
stopped early (the weights kept named), and MNIST's standard folder."""

import json
import re

import numpy as np
from tests.cli.conftest import descend
from tests.data.test_mnist import write_pair

from descend import runs
from descend.plot.curves import learning_curves_figure
from descend.train import Callback

IRIS = ("--data", "iris", "--model", "softmax")


def test_infinite_lr_is_refused_before_any_work(tmp_path):
    result = descend("train", "--lr", "inf", "--out", "r", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    expected = "descend train: error: --lr must be a positive, finite number, got inf\n"
    assert result.stderr == expected
    assert not (tmp_path / "r").exists()


def test_a_run_that_fails_before_its_first_epoch_leaves_nothing(tmp_path, monkeypatch):
    def fail(self, *args, **kwargs):
        raise ValueError("the first batch could not be read")

    monkeypatch.setattr("descend.train.Trainer.train_step", fail)
    result = descend("train", *IRIS, "--out", "deep/r", cwd=tmp_path)
    assert result.returncode == 2 and "the first batch could not be read" in result.stderr
    assert list(tmp_path.iterdir()) == []  # neither deep/r nor deep


def test_a_diverged_run_exits_3_and_keeps_its_history(tmp_path):
    result = descend("train", *IRIS, "--optimizer", "sgd", "--lr", "1e4", "--epochs", "3",
                     "--out", "r", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 3
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("descend train: diverged: loss exploded to ")
    assert "with lr=10000; try lr=1 or lower" in last
    assert last.endswith("Train again with a smaller --lr (now 10000).")
    history = json.loads((tmp_path / "r" / "history.json").read_text())
    assert history["events"]["diverged_epoch"] == 1 and history["loss"][0] > 10
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["diverged"] == history["events"]["diverged"]
    # Diverged in epoch 1: the weights kept are the untrained ones, and the picture says so.
    loss_axis = learning_curves_figure(history).axes[0]
    assert not [line for line in loss_axis.lines if line.get_marker() == "*"]
    labels = [text.get_text() for text in loss_axis.get_legend().get_texts()]
    assert "weights kept: the untrained start" in labels
    info = descend("info", "r", cwd=tmp_path, check=True).stdout
    assert f"DIVERGED: {metrics['diverged']}" in info
    # Its predictions come with a warning: the weights are those before the divergence.
    evaluated = descend("evaluate", "r", cwd=tmp_path, check=True)
    assert evaluated.stderr.startswith("warning: r diverged in training (loss exploded")


def test_a_batch_of_one_that_diverges_is_told_to_grow_too(tmp_path):
    result = descend("train", "--data", "wine", "--optimizer", "momentum", "--batch-size", "1",
                     "--epochs", "2", "--out", "r", "--quiet", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 3 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()  # --quiet: the verdict alone
    assert "with lr=0.05; try lr=0.005 or lower" in line
    assert line.endswith("or a larger --batch-size (now 1), whose steps are noisier.")


def test_a_loss_that_rises_to_guessing_and_stays_gets_a_warning(tmp_path):
    # lr 1.8 rises back with either memory order of nn.Linear's weights; at lr 2 the
    # last bits of the matrix products decided whether the loss ended above guessing.
    result = descend("train", "--optimizer", "sgd", "--lr", "1.8", "--epochs", "8", "--out", "r",
                     cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0
    warning = result.stderr.strip().splitlines()[-1]
    match = re.match(
        r"warning: the training loss ended at (\S+), no lower than guessing from the class "
        r"frequencies gives \((\S+)\): the model has learned nothing\. It was down to (\S+) in "
        r"epoch \d+ and rose back: the steps are too large to settle; try a smaller --lr "
        r"\(now 1.8\)$",
        warning,
    )
    assert match, warning
    final, guess, lowest = map(float, match.groups())
    assert abs(guess - np.log(10)) < 0.01 and final >= 0.97 * guess and lowest < 0.9 * final


def test_a_good_run_gets_no_warning(tmp_path):
    result = descend("train", *IRIS, "--lr", "0.05", "--epochs", "20", "--out", "r",
                     cwd=tmp_path, check=True)  # fmt: skip
    assert "warning" not in result.stderr


def test_resume_counts_epochs_over_the_whole_run(tmp_path):
    common = (*IRIS, "--batch-size", "16")
    descend("train", *common, "--epochs", "3", "--out", "r", "--quiet", cwd=tmp_path, check=True)
    result = descend("train", "--resume", "r", "--epochs", "5", cwd=tmp_path, check=True)
    # 90 samples, batch 16: 6 updates per epoch; epochs 4 and 5 are left.
    assert "90 samples, batch 16: 6 updates per epoch, epochs 4-5: 12 updates" in result.stderr
    assert re.findall(r"^epoch (\d/\d) ", result.stderr, re.M) == ["4/5", "5/5"]
    history = json.loads((tmp_path / "r" / "history.json").read_text())
    assert history["epoch"] == [1, 2, 3, 4, 5] and history["updates"][-1] == 30


def test_resume_after_an_interruption_gives_the_updates_left(tmp_path):
    config = runs.RunConfig(data="iris", model="softmax", batch_size=16, epochs=3)
    run = runs.prepare_run(config)
    checkpoint = runs.RunCheckpoint(run, tmp_path / "r")

    class StopAt8(Callback):  # Ctrl-C after update 8
        def on_batch_end(self, step, logs):
            if step == 8:
                self.trainer.interrupt()

    trainer = run.trainer([StopAt8(), checkpoint], verbose=0)
    run.fit(trainer)
    assert trainer.interrupted and trainer.epoch == 1
    checkpoint.write()
    result = descend("train", "--resume", "r", cwd=tmp_path, check=True)
    # Epoch 2 is half done (2 of its 6 updates): 4 + 6 updates are left.
    assert "6 updates per epoch, epochs 2-3: 10 updates" in result.stderr
    assert re.findall(r"^epoch (\d/\d) ", result.stderr, re.M) == ["2/3", "3/3"]


def test_early_stopping_says_which_weights_it_kept_and_the_star_marks_them(tmp_path):
    result = descend("train", *IRIS, "--optimizer", "sgd", "--lr", "3", "--batch-size", "4",
                     "--epochs", "40", "--early-stopping", "2", "--out", "r",
                     cwd=tmp_path, check=True)  # fmt: skip
    line = next(x for x in result.stderr.splitlines() if x.startswith("early stopping:"))
    history = json.loads((tmp_path / "r" / "history.json").read_text())
    events = history["events"]
    best, stopped = events["best_epoch"], events["stopped_epoch"]
    assert line.startswith(f"early stopping: stopped after epoch {stopped}: val_loss last "
                           f"improved in epoch {best} (")  # fmt: skip
    assert line.endswith(f"the weights of epoch {best} are kept")
    assert events["restored_epoch"] == best < stopped == history["epoch"][-1]
    star = next(line for line in learning_curves_figure(history).axes[0].lines
                if line.get_marker() == "*")  # fmt: skip
    assert star.get_xdata()[0] == best
    assert star.get_label().startswith(f"weights kept: epoch {best} (val_loss")


def test_the_star_marks_the_last_epoch_when_its_weights_were_kept(tmp_path):
    descend("train", *IRIS, "--epochs", "4", "--out", "r", "--quiet", cwd=tmp_path, check=True)
    history = json.loads((tmp_path / "r" / "history.json").read_text())
    assert "best_epoch" not in history["events"]
    star = next(line for line in learning_curves_figure(history).axes[0].lines
                if line.get_marker() == "*")  # fmt: skip
    assert star.get_xdata()[0] == 4 and star.get_label().startswith("weights kept: epoch 4")


def test_a_standard_mnist_folder_trains_on_train_and_tests_on_t10k(tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    write_pair(folder, "train", n=100, seed=1, compress=True)
    _, test_labels = write_pair(folder, "t10k", n=12, seed=2, compress=True)
    result = descend("train", "--data", folder, "--model", "lenet", "--epochs", "1",
                     "--out", "r", cwd=tmp_path, check=True)  # fmt: skip
    assert "lenet on mnist (10 classes, 100 samples + 12 to test)" in result.stdout
    assert "80 samples, batch 32: 3 updates per epoch" in result.stderr  # 20 of 100 validate
    evaluated = descend("evaluate", "r", cwd=tmp_path, check=True).stdout
    assert "on the test part of mnist (12 samples)" in evaluated
    rows = evaluated.split("confusion matrix")[1].strip().splitlines()[2:12]
    counts = np.array([[int(v) for v in row.split()[1:]] for row in rows])
    np.testing.assert_array_equal(counts.sum(axis=1), np.bincount(test_labels, minlength=10))


def test_the_linear_warm_up_reaches_the_lr_of_a_short_run(tmp_path):
    # By default the warm-up takes at most half the run: 2 of 4 epochs, then the lr asked for.
    config = runs.RunConfig(data="iris", model="softmax", scheduler="linear", epochs=4)
    assert runs.prepare_run(config).scheduler.total_iters == 2
    descend("train", *IRIS, "--lr", "0.1", "--scheduler", "linear:3", "--epochs", "4",
            "--out", "set", "--quiet", cwd=tmp_path, check=True)  # fmt: skip
    lrs = json.loads((tmp_path / "set" / "history.json").read_text())["lr"]
    np.testing.assert_allclose(lrs, [0.01, 0.04, 0.07, 0.1])  # 0.1 * (0.1 + 0.9 * k / 3)


def test_scheduler_help_says_what_each_one_does(tmp_path):
    text = " ".join(descend("train", "--help", cwd=tmp_path).stdout.split())
    for said in ("none: the lr stays as set", "step:N lr x0.1 every N epochs",
                 "exponential:G lr xG after every epoch", "cosine:N lr down to 0",
                 "linear:N warm-up from lr/10 to lr over the first N epochs",
                 "onecycle:F lr up to the set lr", "plateau:N lr halved"):  # fmt: skip
        assert said in text, said
