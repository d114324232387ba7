"""``mpiexec -n 2 descend train``: data-parallel from the command line, with real processes."""

from __future__ import annotations

import sys

import numpy as np

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
