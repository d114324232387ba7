"""Output paths are checked before any work, with plain messages; no folder is made that
was not asked for, and no earlier picture is replaced without --force."""

import shutil

import pytest
from tests.cli.conftest import descend, write_csv
from tests.cli.test_errors import _fails

UNWRITABLE = "/sys/descend-test"  # not writable, even by root
QUICK = ("--data", "iris", "--model", "softmax", "--epochs", "2")


def _plain(result):
    _fails(result)
    assert "Errno" not in result.stderr and ".tmp" not in result.stderr


def test_train_out_naming_a_file_or_an_unwritable_place(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = descend("train", *QUICK, "--out", "notes.txt", cwd=tmp_path)
    _plain(result)
    assert result.stderr == "descend train: error: --out notes.txt is a file, not a folder\n"
    result = descend("train", *QUICK, "--out", "notes.txt/run", cwd=tmp_path)
    _plain(result)
    assert "--out notes.txt/run is a file, not a folder (notes.txt is a file)" in result.stderr
    result = descend("train", *QUICK, "--out", f"{UNWRITABLE}/run", cwd=tmp_path)
    _plain(result)
    assert f"--out {UNWRITABLE}/run: cannot write in /sys (" in result.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_landscape_with_an_unwritable_or_unusable_out(tmp_path):
    result = descend("landscape", "--out", f"{UNWRITABLE}/l.png", cwd=tmp_path)
    _plain(result)
    assert f"--out {UNWRITABLE}/l.png: the folder {UNWRITABLE} does not exist" in result.stderr
    result = descend("landscape", "--out", "/sys/l.png", cwd=tmp_path)
    _plain(result)
    assert "--out /sys/l.png: cannot write in /sys (" in result.stderr
    (tmp_path / "pictures").mkdir()
    result = descend("landscape", "--out", "pictures", cwd=tmp_path)
    _plain(result)
    assert "--out pictures is a folder; give a file name" in result.stderr
    result = descend("landscape", "--out", "l.jpg", cwd=tmp_path)
    _plain(result)
    assert "--out l.jpg: pictures are written as PNG" in result.stderr


def test_predict_output_is_checked_first_and_makes_no_folders(tmp_path, digits_run):
    write_csv(tmp_path / "new.csv", "a,b,c\n1,2,3\n")  # wrong features: never read
    (tmp_path / "out").mkdir()
    result = descend("predict", digits_run, "new.csv", "-o", "out", cwd=tmp_path)
    _plain(result)
    assert "-o out is a folder; give a file name" in result.stderr
    result = descend("predict", digits_run, "new.csv", "-o", "missing/dir/out.csv", cwd=tmp_path)
    _plain(result)
    assert "-o missing/dir/out.csv: the folder missing/dir does not exist" in result.stderr
    assert not (tmp_path / "missing").exists()


def test_predict_replaces_an_existing_output_only_with_force(tmp_path, digits_run):
    write_csv(tmp_path / "new.csv", "a,b,c\n1,2,3\n")  # wrong features: never read
    (tmp_path / "out.csv").write_text("mine")
    result = descend("predict", digits_run, "new.csv", "-o", "out.csv", cwd=tmp_path)
    _plain(result)
    assert "-o out.csv exists; pass --force to replace it" in result.stderr
    assert (tmp_path / "out.csv").read_text() == "mine"
    result = descend("predict", digits_run, "new.csv", "-o", "out.csv", "--force", cwd=tmp_path)
    assert "out.csv" not in result.stderr  # got past the output check, to the features
    assert (tmp_path / "out.csv").read_text() == "mine"


def test_compare_checks_its_output_before_training(tmp_path):
    result = descend("compare", *QUICK, "--optimizer", "sgd,adam", "--out", "/sys/c.png",
                     cwd=tmp_path)  # fmt: skip
    _plain(result)
    assert result.stdout == ""  # refused before the first run trained


def test_compare_numbers_its_pictures_and_replaces_only_with_force(tmp_path):
    args = ("compare", *QUICK, "--optimizer", "sgd,adam")
    first = descend(*args, cwd=tmp_path, check=True)
    second = descend(*args, cwd=tmp_path, check=True)
    assert "wrote compare-iris-softmax.png" in first.stdout
    assert "wrote compare-iris-softmax-2.png" in second.stdout
    before = (tmp_path / "compare-iris-softmax.png").read_bytes()
    _fails(descend(*args, "--out", "compare-iris-softmax.png", cwd=tmp_path),
           "--out compare-iris-softmax.png exists; pass --force to replace it")  # fmt: skip
    assert (tmp_path / "compare-iris-softmax.png").read_bytes() == before
    descend(*args, "--lr", "0.5,0.1", "--out", "compare-iris-softmax.png", "--force",
            cwd=tmp_path, check=True)  # fmt: skip
    assert (tmp_path / "compare-iris-softmax.png").read_bytes() != before


@pytest.mark.parametrize("command", ["lr-find", "landscape"])
def test_other_pictures_are_numbered_too(tmp_path, command):
    args = (command, "--data", "iris", "--model", "softmax", "--steps", "20")
    if command == "landscape":
        args = (command, "--epochs", "2")
    descend(*args, cwd=tmp_path, check=True)
    descend(*args, cwd=tmp_path, check=True)
    assert len(list(tmp_path.glob("*.png"))) == 2


def test_evaluate_plot_draws_beside_what_is_in_the_way(tmp_path, digits_run):
    copy = tmp_path / "run"
    shutil.copytree(digits_run, copy)
    (copy / "confusion_matrix.png").mkdir()  # in the way of the picture
    result = descend("evaluate", copy, "--plot", cwd=tmp_path, check=True)
    assert result.stdout.splitlines()[-1] == f"wrote {copy}/confusion_matrix-2.png"
    assert (copy / "confusion_matrix.png").is_dir()


def test_evaluate_plot_keeps_the_earlier_picture(tmp_path):
    descend("train", *QUICK, "--out", "r", "--quiet", cwd=tmp_path, check=True)
    first = descend("evaluate", "r", "--plot", cwd=tmp_path, check=True)
    assert first.stdout.splitlines()[-1] == "wrote r/confusion_matrix.png"
    drawn = (tmp_path / "r" / "confusion_matrix.png").read_bytes()
    second = descend("evaluate", "r", "--plot", cwd=tmp_path, check=True)
    assert second.stdout.splitlines()[-1] == "wrote r/confusion_matrix-2.png"
    assert (tmp_path / "r" / "confusion_matrix.png").read_bytes() == drawn
