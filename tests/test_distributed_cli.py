"""``mpiexec -n 2 descend train``: data-parallel from the command line, with real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import descend as ds
from descend.runs.disk import _split_rows
from tests.cli.conftest import descend
from tests.test_distributed import mpiexec

TRAIN = ("train", "--hidden", "8", "--epochs", "2", "--batch-size", "32", "--seed", "3")


def folder_of_npy(path, n=300, nan_row=None):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 6)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    if nan_row is not None:
        X[nan_row, 2] = np.nan
    path.mkdir()
    np.save(path / "X.npy", X)
    np.save(path / "y.npy", y)
    return path


def test_descend_train_under_mpiexec_trains_one_run_as_one_process_would(tmp_path):
    folder_of_npy(tmp_path / "data")
    done = mpiexec(2, sys.executable, "-m", "descend", *TRAIN, "--data", "data", "--out", "mpi",
                   cwd=tmp_path, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    printed = done.stdout + done.stderr
    assert printed.count("180 samples, 2 processes, global batch 32 (16 per process)") == 1
    assert printed.count("accuracy") >= 2 and printed.count("saved to mpi/") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "mpi"]  # one run folder
    one = descend(*TRAIN, "--data", "data", "--out", "one", "--quiet", cwd=tmp_path, check=True)
    assert one.returncode == 0
    a, b = (ds.io.load(tmp_path / run / "model.safetensors") for run in ("mpi", "one"))
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-5, atol=1e-6, err_msg=key)
    for run in ("mpi", "one"):  # the same epochs and scores; only wall times differ
        rows = (tmp_path / run / "history.csv").read_text().splitlines()
        assert rows[0].split(",")[-1] == "time" and len(rows) == 3


def mpiexec_each(folders, *command, timeout: float = 120) -> subprocess.CompletedProcess:
    """``command`` run by one process in each of ``folders`` (MPMD: each reads its own
    copy of relative paths), as one MPI job."""
    launcher = Path(sys.executable).parent / "mpiexec"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "OMPI_", "MPI"))}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[1]), env.get("PYTHONPATH", "")])
    args = [str(launcher)]
    for i, folder in enumerate(folders):
        args += [":"] * (i > 0) + ["-n", "1", "-wdir", str(folder), *map(str, command)]
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env)


def write_csv(path, rows: int = 150, change=None):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, 3)).round(3)
    y = (X[:, 0] > 0).astype(int)
    if change == "value":
        X[17, 1] += 1
    if change == "labels":
        y = 1 - y
    path.mkdir()
    lines = ["a,b,c,label", *(f"{p},{q},{r},{t}" for (p, q, r), t in zip(X, y))]
    (path / "data.csv").write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    ("change", "rows"),
    [("value", 150), ("labels", 150), (None, 110)],
    ids=["value", "labels", "rows"],
)
def test_processes_that_read_different_data_are_refused_at_load(change, rows, tmp_path):
    write_csv(tmp_path / "p0")
    write_csv(tmp_path / "p1", rows, change)
    command = [sys.executable, "-m", "descend", *TRAIN, "--data", "data.csv", "--out", "../run"]
    done = mpiexec_each([tmp_path / "p0", tmp_path / "p1"], *command)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and done.stdout == "", done.stderr
    assert lines[0].startswith(
        "descend train: error: process 1 holds different data than process 0: "
        f"{rows} rows of shape (3,) float64, targets int64, checksum "
    )
    assert lines[0].endswith("every process must read the same data")
    assert not (tmp_path / "run").exists()


def test_a_bad_file_found_by_one_process_is_one_line_printed_once(tmp_path):
    # A NaN in a training row that only process 1 reads in the streaming scaler pass.
    folder_of_npy(tmp_path / "probe")
    config = ds.RunConfig(data=str(tmp_path / "probe"), seed=3)
    train_rows, _, _ = _split_rows(ds.data.load(config.data), config)
    row = int(train_rows[-1])
    folder_of_npy(tmp_path / "data", nan_row=row)
    alone = descend(*TRAIN, "--data", "data", "--out", "one", cwd=tmp_path)
    done = mpiexec(2, sys.executable, "-m", "descend", *TRAIN, "--data", "data", "--out", "mpi",
                   cwd=tmp_path)  # fmt: skip
    expected = "descend train: error: X.npy has NaN or infinite values"
    assert alone.returncode == done.returncode == 2
    assert alone.stderr.strip().startswith(expected) and f"in row {row}" in alone.stderr
    assert done.stderr.strip() == alone.stderr.strip(), done.stderr
    assert not (tmp_path / "mpi").exists() and not (tmp_path / "one").exists()
