import os

import pytest

from descend.files import FolderInUse, atomic_write, locked_folder


def test_a_held_folder_is_refused_to_a_second_holder_and_left_as_found(tmp_path):
    folder = tmp_path / "a" / "run"
    with locked_folder(folder) as held:
        assert held == folder and (folder / ".lock").read_text() == f"process {os.getpid()}\n"
        in_use = f"run is in use by process {os.getpid()}"
        with pytest.raises(FolderInUse, match=in_use), locked_folder(folder):
            pass
    assert list(tmp_path.iterdir()) == []  # made here and empty: removed, parents too
    with locked_folder(folder):
        (folder / "kept").write_text("x")
    assert sorted(p.name for p in folder.iterdir()) == ["kept"]  # no lock file left


def test_the_holder_removes_only_the_named_files_temporaries(tmp_path):
    names = [".model.safetensors.a1b2c3d4.tmp", ".model.safetensors.tmp", ".x.a1b2c3d4.tmp"]
    for name in names:
        (tmp_path / name).write_text("half")
    with locked_folder(tmp_path, leftovers=["model.safetensors"]):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names[1:])


def test_a_failed_write_names_its_file(tmp_path, monkeypatch):
    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("descend.files.os.fsync", full)
    with pytest.raises(OSError) as caught, atomic_write(tmp_path / "m.json") as handle:
        handle.write("{}")
    assert caught.value.filename == str(tmp_path / "m.json")
    assert list(tmp_path.iterdir()) == []
