"""``descend train`` watches the learning signal: --activation, gradients.png, the monitor's
warnings, the diagnosis line, and --tensorboard."""

import json
import sys

import pytest
from tests.cli.conftest import descend
from tests.plot.png import assert_picture

from descend.extras import install_command

DEEP = ("--hidden", "32,32,32,32,32,32", "--epochs", "2", "--batch-size", "64")


@pytest.fixture(scope="module")
def deep_runs(tmp_path_factory):
    """The same deep MLP on digits, with sigmoid and with ReLU activations."""
    cwd = tmp_path_factory.mktemp("deep")
    return {
        name: (descend("train", *DEEP, "--activation", name, "--out", name, cwd=cwd), cwd / name)
        for name in ("sigmoid", "relu")
    }


def test_deep_sigmoid_mlp_is_flagged_vanishing(deep_runs):
    result, folder = deep_runs["sigmoid"]
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    warnings = [line for line in lines if line.startswith("GradientMonitor: ")]
    assert warnings[0].startswith(
        "GradientMonitor: vanishing gradients in Linear 1 (layer '0'): below 0.001 times the "
        "last layer's (Linear 7) in 2 of 2 records"
    )
    assert all("vanishing" in w for w in warnings)
    diagnosis = next(line for line in lines if line.startswith("diagnosis: "))
    assert diagnosis.startswith("diagnosis: under-fitting: ")
    # Printed once, after the table (the monitor itself stays quiet during training).
    assert result.stdout.count("vanishing gradients in Linear 1 (layer '0')") == 1
    assert lines.index(warnings[0]) > lines.index(next(x for x in lines if x.startswith("test ")))
    assert 'activation = "sigmoid"' in (folder / "config.toml").read_text()
    history = json.loads((folder / "history.json").read_text())
    assert history["gradients"]["warnings"] == [
        w.removeprefix("GradientMonitor: ") for w in warnings
    ]
    assert json.loads((folder / "metrics.json").read_text())["diagnosis"] == diagnosis
    assert_picture(folder / "gradients.png")


def test_the_same_mlp_with_relu_is_not(deep_runs):
    result, folder = deep_runs["relu"]
    assert result.returncode == 0, result.stderr
    assert "vanishing" not in result.stdout and "GradientMonitor" not in result.stdout
    assert "diagnosis: " in result.stdout
    history = json.loads((folder / "history.json").read_text())
    assert history["gradients"]["step"] == [1, 18]  # 1077 samples in batches of 64
    assert history["gradients"]["warnings"] == []
    assert "gradients.png" in result.stdout.splitlines()[-1]


def test_info_shows_the_diagnosis(deep_runs):
    _, folder = deep_runs["sigmoid"]
    result = descend("info", folder, cwd=folder.parent, check=True)
    diagnosis = json.loads((folder / "metrics.json").read_text())["diagnosis"]
    assert diagnosis in result.stdout.splitlines()
    assert "diagnosis_kind" not in result.stdout


def test_tensorboard_event_files_hold_the_run(tmp_path):
    from tests.train.test_tensorboard import read_scalars

    result = descend(
        "train", "--epochs", "2", "--tensorboard", "tb", "--out", "r", "--quiet", cwd=tmp_path
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    train, val = (
        read_scalars(tmp_path / "tb" / "train"),
        read_scalars(tmp_path / "tb" / "validation"),
    )
    history = json.loads((tmp_path / "r" / "history.json").read_text())
    assert [v for _, v in train["epoch_loss"]] == pytest.approx(history["loss"], rel=1e-6)
    assert [v for _, v in val["epoch_accuracy"]] == pytest.approx(history["val_accuracy"])
    assert [s for s, _ in train["epoch_lr"]] == [1, 2]
    assert [s for s, _ in train["grad_norm/0.weight"]] == history["gradients"]["step"]


def test_tensorboard_quiet_is_quiet_with_weights_that_start_at_zero(tmp_path):
    """A logistic regression starts at zero weights: no update ratio at step 1. tensorboardX
    printed "NaN or Inf found in input tensor." for it, twice, under --quiet."""
    from tests.train.test_tensorboard import read_scalars

    logistic = ("--data", "breast_cancer", "--model", "logistic", "--epochs", "2")
    result = descend(
        "train", *logistic, "--tensorboard", "tb", "--out", "r", "--quiet", cwd=tmp_path
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    ratios = read_scalars(tmp_path / "tb" / "train")["update_ratio/linear.weight"]
    assert [s for s, _ in ratios] == [12]  # the second epoch's first update; step 1 has none


def test_without_tensorboardx_one_line_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    result = descend("train", "--epochs", "1", "--tensorboard", "tb", "--out", "r", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "descend train: error: TensorBoard logging needs tensorboardX: "
        f"{install_command('tensorboard')}\n"
    )
    assert not (tmp_path / "r").exists() and not (tmp_path / "tb").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--activation", "sigmod"), "unknown activation 'sigmod'; did you mean 'sigmoid'?"),
        (("--model", "softmax", "--activation", "tanh"), "--activation is for --model mlp"),
    ],
)
def test_bad_activation_is_one_line(tmp_path, args, message):
    result = descend("train", *args, "--epochs", "1", "--out", "r", cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "r").exists()


def test_tensorboard_is_a_setting_of_the_run_that_resume_keeps(tmp_path):
    pytest.importorskip("tensorboardX")
    from tests.train.test_tensorboard import read_scalars

    first = ("train", "--epochs", "2", "--tensorboard", "tb", "--out", "r", "--quiet")
    descend(*first, cwd=tmp_path, check=True)
    assert f'tensorboard = "{tmp_path / "tb"}"' in (tmp_path / "r" / "config.toml").read_text()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    descend(
        "train", "--resume", tmp_path / "r", "--epochs", "3", "--quiet", cwd=elsewhere, check=True
    )
    epochs = [s for s, _ in read_scalars(tmp_path / "tb" / "train")["epoch_loss"]]
    assert epochs == [1, 2, 3]
    assert not (elsewhere / "tb").exists()


def test_a_file_given_as_the_tensorboard_folder_is_named(tmp_path):
    pytest.importorskip("tensorboardX")
    (tmp_path / "afile").write_text("")
    result = descend("train", "--epochs", "1", "--tensorboard", "afile", "--out", "r", cwd=tmp_path)
    assert result.returncode == 2 and not (tmp_path / "r").exists()
    assert result.stderr == (
        f"descend train: error: TensorBoard logdir {tmp_path / 'afile'} is a file, not a folder\n"
    )
