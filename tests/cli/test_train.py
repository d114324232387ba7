import json
import re
import signal
import subprocess
import sys
import time

import numpy as np
from tests.cli.conftest import descend, descend_process, write_csv

from descend import io


def test_default_train_is_an_mlp_on_digits_with_the_whole_run_folder(tmp_path):
    result = descend("train", cwd=tmp_path, check=True)
    out = result.stdout + result.stderr
    assert "mlp on digits (10 classes, 1797 samples)" in out
    assert re.search(r"1077 samples, batch 32: 34 updates per epoch, 30 epochs: 1020 updates", out)
    table = re.search(r"^train .*\n^val .*\n^test .*", result.stdout, re.M)
    assert table, result.stdout
    folder = tmp_path / "runs" / "digits-mlp"
    for name in (
        "model.safetensors",
        "scaler.safetensors",
        "config.toml",
        "history.csv",
        "history.json",
        "metrics.json",
        "learning_curves.png",
        "checkpoint.safetensors",
    ):
        assert (folder / name).is_file(), name
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] > 0.95
    assert (folder / "learning_curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    history = json.loads((folder / "history.json").read_text())
    assert history["epoch"] == list(range(1, 31)) and len(history["step_loss"]) == 1020
    # A second default run goes to a new folder instead of touching the first.
    descend("train", "--epochs", "1", "--quiet", cwd=tmp_path, check=True)
    assert (tmp_path / "runs" / "digits-mlp-2" / "model.safetensors").is_file()


def test_csv_regression_with_config_file_in_the_targets_own_units(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = X @ [150.0, -200.0, 50.0] + 3000  # far from standardised: the run must cope
    lines = ["a,b,c,price"] + [",".join(f"{v:.5f}" for v in [*x, t]) for x, t in zip(X, y)]
    write_csv(tmp_path / "houses.csv", "\n".join(lines) + "\n")
    (tmp_path / "run.toml").write_text(
        'data = "houses.csv"\nmodel = "linear"\noptimizer = "sgd"\nlr = 0.1\nepochs = 60\n'
        'batch_size = "full"\n'
    )
    result = descend(
        "train",
        "--config",
        "run.toml",
        "--target",
        "price",
        "--out",
        "r",
        "--quiet",
        cwd=tmp_path,
        check=True,
    )
    assert result.stdout == ""
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["test"]["r2"] > 0.999
    assert metrics["test"]["mae"] < 5  # in the target's units: dollars, not standard deviations
    config = (tmp_path / "r" / "config.toml").read_text()
    assert 'target = "price"' in config and "lr = 0.1" in config
    write_csv(tmp_path / "new.csv", "a,b,c\n" + ",".join(f"{v:.5f}" for v in X[0]) + "\n")
    result = descend("predict", "r", "new.csv", cwd=tmp_path, check=True)
    predicted = float(result.stdout.splitlines()[1])
    assert abs(predicted - y[0]) < 5


def _weights(path):
    return io.load(path)


def test_resume_continues_to_bit_identical_weights(tmp_path):
    common = [
        "--data",
        "iris",
        "--model",
        "mlp",
        "--hidden",
        "16",
        "--optimizer",
        "momentum",
        "--batch-size",
        "8",
        "--quiet",
    ]
    descend("train", *common, "--epochs", "6", "--out", "straight", cwd=tmp_path, check=True)
    descend("train", *common, "--epochs", "3", "--out", "resumed", cwd=tmp_path, check=True)
    descend("train", "--resume", "resumed", "--epochs", "6", "--quiet", cwd=tmp_path, check=True)
    a = _weights(tmp_path / "straight" / "model.safetensors")
    b = _weights(tmp_path / "resumed" / "model.safetensors")
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    history = json.loads((tmp_path / "resumed" / "history.json").read_text())
    assert history["epoch"] == [1, 2, 3, 4, 5, 6]


def test_ctrl_c_saves_a_checkpoint_and_resume_is_exact(tmp_path):
    common = ["--data", "digits", "--hidden", "32", "--batch-size", "1"]
    descend(
        "train", *common, "--epochs", "3", "--out", "straight", "--quiet", cwd=tmp_path, check=True
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "descend", "train", *common, "--epochs", "3", "--out", "cut"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stderr.readline()  # the plan: training has started
    assert "updates per epoch" in line, line
    time.sleep(0.05)  # well inside the first epoch's 1,077 updates
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "descend train --resume cut --epochs 3" in stdout
    assert (tmp_path / "cut" / "checkpoint.safetensors").is_file()
    assert not (tmp_path / "cut" / "model.safetensors").exists()
    descend("train", "--resume", "cut", "--quiet", cwd=tmp_path, check=True)
    a = _weights(tmp_path / "straight" / "model.safetensors")
    b = _weights(tmp_path / "cut" / "model.safetensors")
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_help_gives_examples(tmp_path):
    result = descend_process("--help", cwd=tmp_path, check=True)  # the real entry point
    assert "examples:" in result.stdout and "descend train" in result.stdout
    for command in ("train", "evaluate", "predict", "info"):
        result = descend(command, "--help", cwd=tmp_path, check=True)
        assert "example" in result.stdout, command


def test_help_shows_the_defaults_of_run_config(tmp_path, monkeypatch):
    import dataclasses

    from descend.runs import RunConfig

    helps = {
        command: descend(command, "--help", cwd=tmp_path).stdout
        for command in ("train", "lr-find", "compare")
    }
    for field in dataclasses.fields(RunConfig):
        default = field.default_factory() if field.default is dataclasses.MISSING else field.default
        if default is None:
            continue
        shown = ",".join(map(str, default)) if isinstance(default, list) else str(default)
        option = f"--{field.name.replace('_', '-')}"
        for command, text in helps.items():
            entries = [" ".join(e.split()) for e in re.split(r"\n  (?=-)", text.split("\n\n")[2])]
            entry = [e for e in entries if e.startswith(option + " ")]
            if command in ("compare", "lr-find") and not entry:
                continue  # they take a subset of the run options
            assert len(entry) == 1 and entry[0].endswith(f"(default {shown})"), (command, entry)
    assert "comma-separated: sgd, momentum" in helps["compare"]


def test_descriptions_wrap_and_examples_keep_their_lines(tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    text = descend("landscape", "--help", cwd=tmp_path).stdout
    description = text.split("\n\n")[1]
    assert len(description.splitlines()) > 3
    assert all(len(line) <= 60 for line in description.splitlines())
    assert "\n  descend landscape --compare optimizers             SGD, momentum" in text


def test_help_of_data_and_scheduler(tmp_path):
    train = " ".join(descend("train", "--help", cwd=tmp_path).stdout.split())
    evaluate = " ".join(descend("evaluate", "--help", cwd=tmp_path).stdout.split())
    assert "a folder of .npy files (X.npy and y.npy" in train
    assert "a folder of .npy files (X.npy and y.npy" in evaluate
    scheduler = train.split("--scheduler NAME[:VALUE] ")[1].split(" --val-fraction")[0]
    assert scheduler.endswith("; none: the lr stays as set (default none)")
    assert scheduler.count("(default") == 7  # each schedule's value, and the option's
