"""The run folder is safe: one writer at a time, no leftovers of a killed writer, nothing
half-kept after a full disk, and a save cut short is completed by --resume."""

import errno
import json
import signal
import subprocess
import sys

import numpy as np
import pytest
from tests.cli.conftest import descend, descend_process

from descend import io

IRIS = ("--data", "iris", "--model", "softmax", "--quiet")


def test_a_second_run_into_the_same_folder_is_refused(tmp_path):
    first = subprocess.Popen(
        [sys.executable, "-m", "descend", "train", "--data", "iris", "--batch-size", "1",
         "--epochs", "500", "--out", "same"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = first.stderr.readline()  # the plan: the first run holds the folder
        assert "updates per epoch" in line, line
        second = descend("train", *IRIS, "--out", "same", cwd=tmp_path)
        assert second.returncode == 2 and second.stdout == ""
        assert second.stderr == (
            f"descend train: error: --out same is in use by another run (process "
            f"{first.pid}); wait for it to end, or choose another --out\n"
        )
        resumed = descend("train", "--resume", "same", cwd=tmp_path)
        assert resumed.returncode == 2 and "--resume same is in use" in resumed.stderr
        # A default folder held by another run gives way to the next name.
        (tmp_path / "runs").mkdir()
        (tmp_path / "runs" / "iris-softmax").symlink_to(tmp_path / "same")
        descend("train", *IRIS, "--epochs", "1", cwd=tmp_path, check=True)
        assert (tmp_path / "runs" / "iris-softmax-2" / "model.safetensors").is_file()
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=120)
    assert first.returncode == 130
    assert sorted(p.name for p in (tmp_path / "same").iterdir()) == [
        "checkpoint.safetensors", "config.toml"
    ]  # the first run's, and no lock file left  # fmt: skip
    descend("train", *IRIS, "--out", "same", "--force", "--epochs", "1", cwd=tmp_path, check=True)


def test_temporary_files_of_a_killed_writer_are_removed(tmp_path):
    descend("train", *IRIS, "--epochs", "2", "--out", "r", cwd=tmp_path, check=True)
    # What files.atomic_write leaves when SIGKILL comes in the middle of a write.
    leftovers = [tmp_path / "r" / ".checkpoint.safetensors.k3_x9a0q.tmp",
                 tmp_path / "r" / ".metrics.json.0abcdefg.tmp"]  # fmt: skip
    kept = tmp_path / "r" / ".notes.txt.0abcdefg.tmp"  # not a file of the run's
    for path in (*leftovers, kept):
        path.write_bytes(b"half")
    descend("train", "--resume", "r", "--epochs", "3", "--quiet", cwd=tmp_path, check=True)
    assert not any(p.exists() for p in leftovers) and kept.exists()
    leftovers[0].write_bytes(b"half")
    descend("train", *IRIS, "--epochs", "1", "--out", "r", "--force", cwd=tmp_path, check=True)
    assert not leftovers[0].exists()


def test_a_full_disk_names_the_file_and_leaves_no_folder(tmp_path, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("descend.files.os.fsync", full)
    result = descend("train", *IRIS, "--epochs", "2", "--out", "deep/r", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == ("descend train: error: deep/r/config.toml: no space left on device\n")
    assert list(tmp_path.iterdir()) == []  # neither deep/r nor deep


def test_a_full_disk_at_the_checkpoint_leaves_no_config_alone(tmp_path, monkeypatch):
    from descend.runs import Run

    def full(self, trainer, folder):
        raise OSError(errno.ENOSPC, "No space left on device", str(folder))

    monkeypatch.setattr(Run, "save_checkpoint", full)
    result = descend("train", *IRIS, "--epochs", "2", "--out", "r", cwd=tmp_path)
    assert result.returncode == 2 and "r: no space left on device" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_checkpoint_is_written_once_per_epoch(tmp_path, monkeypatch):
    # The last epoch's when training ends (with the diagnosis): not also at that epoch's
    # end, nor again by Run.save; a resume with the epochs it has rewrites none.
    from descend.runs import Run

    written, save_checkpoint = [], Run.save_checkpoint

    def counted(self, trainer, folder):
        written.append(trainer.epoch)
        save_checkpoint(self, trainer, folder)

    monkeypatch.setattr(Run, "save_checkpoint", counted)
    descend("train", *IRIS, "--epochs", "3", "--out", "r", cwd=tmp_path, check=True)
    assert written == [1, 2, 3]
    history = io.load(tmp_path / "r" / "checkpoint.safetensors")["trainer"]["history"]
    assert "diagnosis" in history["events"]
    descend("train", "--resume", "r", "--epochs", "3", "--quiet", cwd=tmp_path, check=True)
    assert written == [1, 2, 3]


def test_resume_with_the_same_epochs_completes_a_save_cut_short(tmp_path, monkeypatch):
    from descend.runs import Run

    descend("train", *IRIS, "--epochs", "4", "--out", "straight", cwd=tmp_path, check=True)
    save = Run.save

    def cut(self, folder, trainer, scores=None, checkpoint=True):  # Ctrl-C twice, a full disk
        raise KeyboardInterrupt

    monkeypatch.setattr(Run, "save", cut)
    result = descend("train", *IRIS, "--epochs", "4", "--out", "cut", cwd=tmp_path)
    assert result.returncode == 130
    assert sorted(p.name for p in (tmp_path / "cut").iterdir()) == [
        "checkpoint.safetensors", "config.toml"
    ]  # fmt: skip
    monkeypatch.setattr(Run, "save", save)
    result = descend("train", "--resume", "cut", "--epochs", "4", cwd=tmp_path, check=True)
    assert "cut has trained its 4 epochs: writing its files" in result.stdout
    a, b = (io.load(tmp_path / f / "model.safetensors") for f in ("straight", "cut"))
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    for name in ("metrics.json", "history.json"):
        straight, resumed = (
            json.loads((tmp_path / f / name).read_text()) for f in ("straight", "cut")
        )
        resumed.pop("time", None), straight.pop("time", None)  # seconds differ
        assert resumed == straight, name  # the diagnosis too
    later = descend("train", "--resume", "cut", "--epochs", "3", cwd=tmp_path)
    assert later.returncode == 2 and "already trained 4 epochs" in later.stderr


def test_a_real_full_disk(tmp_path):
    disk = tmp_path / "disk"  # 200 KB: less than the digits MLP's checkpoint
    disk.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(disk)]
    if subprocess.run(mount, capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (it needs root)")
    try:
        result = descend_process("train", "--epochs", "2", "--out", disk / "r", cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr.endswith(
            f"descend train: error: {disk}/r/checkpoint.safetensors: no space left on device\n"
        )
        assert list(disk.iterdir()) == []
    finally:
        subprocess.run(["umount", str(disk)], check=True)
