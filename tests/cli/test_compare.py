import re

from tests.cli.conftest import descend
from tests.plot.png import assert_picture

IRIS = ("--data", "iris", "--model", "softmax", "--epochs", "4")


def table(out: str) -> dict:
    """The rows of compare's table: setting -> the numbers after it."""
    rows = {}
    for line in out.splitlines():
        match = re.match(r"^(\S.*?)\s{2,}(-?\d+\.\d{4}.*)$", line)
        if match:
            rows[match.group(1)] = match.group(2).split()
    return rows


def test_compare_batch_sizes(tmp_path):
    result = descend("compare", *IRIS, "--optimizer", "sgd", "--batch-size", "1,16,full",
                     cwd=tmp_path, check=True)  # fmt: skip
    out = result.stdout
    assert "softmax on iris (150 samples), 3 runs of at most 4 epochs, same initial weights" in out
    assert "val loss" in out and "val accuracy" in out and "updates" in out
    rows = table(out)
    assert list(rows) == ["batch 1", "batch 16", "full batch"]
    # 150 samples, 20% held out for validation: 120 to train on, one update per batch.
    assert [int(rows[k][5]) for k in rows] == [4 * 120, 4 * 8, 4 * 1]
    assert all(rows[k][3] == "4" for k in rows)  # epochs run
    assert all(0 <= float(rows[k][1]) <= 1 for k in rows)  # validation accuracy
    assert_picture(tmp_path / "compare-iris-softmax.png")


def test_compare_optimizers_and_learning_rates(tmp_path):
    result = descend("compare", *IRIS, "--optimizer", "sgd,adam", "--lr", "0.01,0.1",
                     "--out", "grid.png", cwd=tmp_path, check=True)  # fmt: skip
    rows = table(result.stdout)
    assert list(rows) == ["sgd lr=0.01", "sgd lr=0.1", "adam lr=0.01", "adam lr=0.1"]
    assert "wrote grid.png" in result.stdout
    assert_picture(tmp_path / "grid.png")


def test_compare_reports_divergence(tmp_path):
    result = descend("compare", "--data", "diabetes", "--model", "linear", "--optimizer", "sgd",
                     "--lr", "0.01,1000", "--epochs", "3", cwd=tmp_path, check=True)  # fmt: skip
    rows = table(result.stdout)
    assert rows["lr=1000"][-3].startswith("DIVERGED@")
    assert rows["lr=0.01"][-3] == "-"


def test_compare_needs_two_settings(tmp_path):
    result = descend("compare", "--optimizer", "adam", cwd=tmp_path)
    assert result.returncode == 2
    assert "compare needs at least two settings" in result.stderr
    result = descend("compare", "--optimizer", "sgd,adamm", cwd=tmp_path)
    assert result.returncode == 2 and "did you mean 'adam'?" in result.stderr
