"""Ctrl-C outside the training loop: a quiet end with exit status 130, no half-written file.

Each command runs in a real process that says when it is busy, then gets SIGINT.
"""

import signal
import subprocess
import sys

import pytest
from tests.cli.conftest import descend

# Start descend's main() in a process that first says "busy" from inside the step that
# should be interrupted (so that the signal never arrives during the imports).
RUNNER = """
import sys, time
import {module} as target
original = target.{function}

def busy(*args, **kwargs):
    print("busy", flush=True)
    {wait}
    return original(*args, **kwargs)

target.{function} = busy
from descend.cli import main
sys.exit(main(sys.argv[1:]))
"""


def interrupt(tmp_path, args, module, function, wait="pass", delay=0.3):
    code = RUNNER.format(module=module, function=function, wait=wait)
    process = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    said = []  # what the command printed before the step (compare's plan)
    try:
        while said[-1:] != ["busy\n"] and process.poll() is None:
            said.append(process.stdout.readline())
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGINT)
    finally:
        stdout, stderr = process.communicate(timeout=60)
    return process.returncode, "".join(said) + stdout, stderr


def test_ctrl_c_in_compare_ends_quietly_without_a_picture(tmp_path):
    args = ("compare", "--data", "iris", "--model", "mlp", "--hidden", "256,256",
            "--batch-size", "1", "--epochs", "500", "--optimizer", "sgd,adam")  # fmt: skip
    returncode, stdout, stderr = interrupt(tmp_path, args, "descend.runs", "prepare_run")
    assert returncode == 130, stderr
    assert stderr.strip() == ""  # no traceback, no KeyboardInterrupt
    assert "2 runs of at most 500 epochs" in stdout and "wrote" not in stdout
    assert list(tmp_path.iterdir()) == []  # no picture, whole or partial


def test_ctrl_c_while_train_starts_up_leaves_no_run_folder(tmp_path):
    returncode, _, stderr = interrupt(
        tmp_path, ("train", "--out", "r"), "descend.runs", "prepare_run", wait="time.sleep(30)"
    )
    assert returncode == 130 and stderr.strip() == "", stderr
    assert list(tmp_path.iterdir()) == []


def _interrupted(*args, **kwargs):
    raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("args", "step"),
    [
        (("lr-find", "--data", "iris", "--model", "softmax"), "descend.lr_finder.lr_find"),
        (("landscape",), "descend.plot.compute_landscape"),
        (("evaluate", "RUN", "--plot"), "descend.cli.evaluate._data"),
    ],
    ids=["lr-find", "landscape", "evaluate"],
)
def test_ctrl_c_in_the_other_commands_ends_quietly(tmp_path, digits_run, monkeypatch, args, step):
    # The same handler as above, reached in this process: KeyboardInterrupt is what
    # Python's SIGINT handler raises.
    monkeypatch.setattr(step, _interrupted)
    args = [digits_run if a == "RUN" else a for a in args]
    result = descend(*args, cwd=tmp_path)
    assert result.returncode == 130 and result.stderr.strip() == ""
    assert list(tmp_path.iterdir()) == [] and not (digits_run / "confusion_matrix.png").exists()


def test_ctrl_c_while_the_run_is_saved_finishes_the_save(tmp_path):
    # The signal comes while Run.save works (busy for 2 s): the run's files are all
    # written, then the command ends with 130.
    args = ("train", "--data", "iris", "--model", "softmax", "--epochs", "2", "--out", "r")
    returncode, stdout, stderr = interrupt(
        tmp_path, args, "descend.runs.run", "Run.save", wait="time.sleep(2)"
    )
    assert returncode == 130, stderr
    assert "writing the run's files first (Ctrl-C again to abort)" in stderr
    assert "Traceback" not in stderr
    for name in ("model.safetensors", "metrics.json", "history.json", "learning_curves.png"):
        assert (tmp_path / "r" / name).is_file(), name
    assert "saved to r/" in stdout


def test_ctrl_c_as_training_ends_still_saves_the_whole_run(tmp_path):
    # The signal comes while the last epoch's end is handled (the final checkpoint).
    args = ("train", "--data", "iris", "--model", "softmax", "--epochs", "2", "--out", "r")
    returncode, stdout, stderr = interrupt(
        tmp_path, args, "descend.runs.run", "RunCheckpoint.on_train_end", wait="time.sleep(2)"
    )
    assert returncode == 130, stderr
    assert "interrupted in epoch" not in stdout and "Traceback" not in stderr
    assert (tmp_path / "r" / "model.safetensors").is_file() and "saved to r/" in stdout
