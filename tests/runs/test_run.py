import json

import numpy as np
import pytest

import descend as ds
from descend import io, runs
from tests.cli.conftest import descend


def test_python_reproduces_descend_train_bit_for_bit(tmp_path):
    descend("train", "--data", "iris", "--model", "mlp", "--hidden", "8", "--epochs", "4",
            "--optimizer", "momentum", "--scheduler", "cosine", "--out", "cli", "--quiet",
            cwd=tmp_path, check=True)  # fmt: skip
    config = ds.RunConfig(data="iris", model="mlp", hidden=[8], epochs=4, optimizer="momentum",
                          scheduler="cosine")  # fmt: skip
    run = ds.prepare_run(config)
    trainer = run.fit(run.trainer(verbose=0))
    run.save(tmp_path / "py", trainer)
    a, b = (
        io.load(tmp_path / "cli" / "model.safetensors"),
        io.load(tmp_path / "py" / "model.safetensors"),
    )
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    for name in ("config.toml", "metrics.json", "history.csv"):
        cli, py = (tmp_path / folder / name for folder in ("cli", "py"))
        if name == "history.csv":  # wall time differs; everything else is the same
            cli = [line.split(",")[:-1] for line in cli.read_text().splitlines()]
            py = [line.split(",")[:-1] for line in py.read_text().splitlines()]
            assert cli == py
        else:
            assert cli.read_text() == py.read_text(), name
    metrics = json.loads((tmp_path / "py" / "metrics.json").read_text())
    assert {"train", "val", "test"} <= metrics.keys() and "diverged" not in metrics


def test_prepare_run_builds_what_the_config_names():
    run = ds.prepare_run(ds.RunConfig(data="wine", model="softmax", optimizer="rmsprop",
                                      scheduler="step", batch_size=16, epochs=6))  # fmt: skip
    assert type(run.model).__name__ == "SoftmaxRegression"
    assert type(run.optimizer).__name__ == "RMSprop" and run.optimizer.defaults["lr"] == 0.001
    assert type(run.scheduler).__name__ == "StepLR" and run.scheduler.step_size == 2
    assert run.loader.batch_size == 16
    n_train, n_val, n_test = len(run.loader.dataset), len(run.val[0]), len(run.test[0])
    assert n_train + n_val + n_test == 178 and n_test == 36
    np.testing.assert_allclose(run.loader.dataset.X.mean(axis=0), 0, atol=1e-5)


def test_a_model_that_cannot_learn_the_data_is_refused():
    with pytest.raises(ValueError, match="--model linear is for regression"):
        ds.prepare_run(ds.RunConfig(data="iris", model="linear"))
    with pytest.raises(ValueError, match="--model logistic needs 2 classes, iris has 3"):
        ds.prepare_run(ds.RunConfig(data="iris", model="logistic"))


def test_early_stopping_needs_validation_data():
    run = ds.prepare_run(ds.RunConfig(data="iris", model="softmax", early_stopping=2,
                                      val_fraction=0.0))  # fmt: skip
    with pytest.raises(ValueError, match="--early-stopping needs validation data"):
        run.trainer()


def test_checkpoint_and_restore_continue_exactly(tmp_path):
    config = ds.RunConfig(data="iris", model="softmax", optimizer="adam", batch_size=8, epochs=4)
    straight = ds.prepare_run(config)
    straight_trainer = straight.fit(straight.trainer(verbose=0))

    first = ds.prepare_run(config.updated(epochs=2))
    first.save_checkpoint(first.fit(first.trainer(verbose=0)), tmp_path)
    second = ds.prepare_run(config)
    trainer = second.trainer(verbose=0)
    second.restore(trainer, tmp_path)
    second.fit(trainer)
    assert trainer.epoch == 4
    for key, value in straight_trainer.model.state_dict().items():
        np.testing.assert_array_equal(trainer.model.state_dict()[key], value, err_msg=key)


def test_run_folders_are_numbered(tmp_path):
    config = ds.RunConfig(data="iris", model="softmax")
    assert runs.new_run_folder(config, tmp_path) == tmp_path / "iris-softmax"
    (tmp_path / "iris-softmax").mkdir()
    (tmp_path / "iris-softmax" / "config.toml").write_text("")
    assert runs.holds_run(tmp_path / "iris-softmax")
    assert runs.new_run_folder(config, tmp_path) == tmp_path / "iris-softmax-2"


def test_the_checkpoint_makes_the_folder_only_when_an_epoch_ends(tmp_path):
    run = ds.prepare_run(ds.RunConfig(data="iris", model="softmax", epochs=2))
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "model.safetensors").write_text("the model of an earlier run")
    (folder / "notes.txt").write_text("mine")
    seen = []

    class Look(ds.train.Callback):
        def on_batch_end(self, step, logs):
            seen.append(sorted(p.name for p in folder.iterdir()))

    checkpoint = runs.RunCheckpoint(run, folder, replace=True)
    run.fit(run.trainer([Look(), checkpoint], verbose=0))
    assert seen[0] == ["model.safetensors", "notes.txt"]  # untouched during epoch 1
    assert "checkpoint.safetensors" in seen[-1]  # written after it
    # The earlier run's files went at the first write; the others stay.
    assert sorted(p.name for p in folder.iterdir()) == [
        "checkpoint.safetensors", "config.toml", "notes.txt"
    ]  # fmt: skip
    assert runs.RunConfig.from_toml(folder / "config.toml") == run.config


def test_guessing_loss_is_the_entropy_of_the_classes_or_the_variance():
    assert runs.guessing_loss("classify", np.array([0, 1, 2, 3] * 5)) == pytest.approx(np.log(4))
    assert runs.guessing_loss("classify", np.array([0, 0, 0, 1])) == pytest.approx(
        -(0.75 * np.log(0.75) + 0.25 * np.log(0.25))
    )
    assert runs.guessing_loss("regress", np.array([-1.0, 1.0])) == 1.0
