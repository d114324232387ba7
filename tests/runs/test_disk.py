"""Runs on a folder of .npy files: split by row number, scaled in a streaming pass, read
batch by batch."""

import numpy as np
import pytest

import descend as ds
from descend.runs.disk import DiskRun, prepare_disk_run


def write(folder, X, y, prefix=""):
    folder.mkdir(exist_ok=True)
    np.save(folder / f"{prefix}X.npy", X)
    np.save(folder / f"{prefix}y.npy", y)
    return folder


@pytest.fixture
def blobs(tmp_path):
    rng = np.random.default_rng(0)
    y = np.repeat([3, 5, 7], 40)  # labels that are not 0, 1, 2
    X = rng.normal(size=(120, 4)).astype(np.float32) * 10 + 50
    X[:, 0] += 30 * (y == 5) - 30 * (y == 7)
    return write(tmp_path / "blobs", X, y), X, y


def test_a_folder_of_npy_files_is_memory_mapped_with_class_codes(blobs):
    folder, X, y = blobs
    found = ds.data.load(str(folder))
    assert found.task == "classify" and found.class_names == ["3", "5", "7"]
    assert found.y.tolist() == np.repeat([0, 1, 2], 40).tolist()
    assert isinstance(found.disk, ds.data.NpyDataset) and not found.X.flags.writeable
    assert found.disk[np.array([0, 40, 80])][1].tolist() == [0, 1, 2]
    assert ds.data.load(str(folder), task="regress").y.dtype == np.float64


def test_the_run_splits_rows_scales_by_streaming_and_learns(blobs):
    folder, X, y = blobs
    config = ds.RunConfig(data=str(folder), model="softmax", epochs=30, batch_size=16,
                          optimizer="sgd", lr=0.1)  # fmt: skip
    run = ds.prepare_run(config)
    assert isinstance(run, DiskRun)
    train, val, test = run.loader.dataset, run.val.dataset, run.test.dataset
    rows = np.concatenate([train.rows, val.rows, test.rows])
    assert sorted(rows.tolist()) == list(range(120))  # each row in one part
    assert (len(train), len(val), len(test)) == (72, 24, 24)
    assert np.bincount(y[test.rows] // 2 - 1).tolist() == [8, 8, 8]  # stratified
    expected = ds.data.StandardScaler().fit(X[train.rows])
    np.testing.assert_allclose(run.splits.scaler.mean_, expected.mean_, rtol=1e-6)
    batch, labels = train[np.arange(5)]
    np.testing.assert_allclose(batch, expected.transform(X[train.rows[:5]]), rtol=1e-5)
    assert labels.tolist() == (y[train.rows[:5]] // 2 - 1).tolist()
    trainer = run.fit(run.trainer(verbose=0))
    scores = run.scores(trainer)
    assert scores.keys() == {"train", "val", "test"} and scores["test"]["accuracy"] > 0.9


def test_train_and_test_files_and_regression_in_target_units(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(90, 3))
    y = 1000 + 300 * X[:, 0] - 100 * X[:, 2]
    folder = write(tmp_path / "houses", X[:60], y[:60], "train_")
    write(folder, X[60:], y[60:], "test_")
    config = ds.RunConfig(data=str(folder), model="linear", epochs=60, batch_size=10,
                          optimizer="sgd", lr=0.05, val_fraction=0.25)  # fmt: skip
    run = ds.prepare_run(config)
    assert len(run.test.dataset) == 30 and len(run.loader.dataset) == 45
    scores = run.scores(run.fit(run.trainer(verbose=0)))
    assert scores["test"]["r2"] > 0.99 and scores["test"]["mae"] < 10  # in the target's units


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"X.npy": (5, 2)}, "has X.npy but no y.npy"),
        ({"X.npy": (5, 2), "y.npy": (5,), "train_X.npy": (5, 2), "train_y.npy": (5,)},
         "expected X.npy and y.npy, or train_X.npy"),
        ({"train_X.npy": (5, 2), "train_y.npy": (5,), "test_X.npy": (5, 3), "test_y.npy": (5,)},
         r"train_X.npy has samples of shape \(2,\), test_X.npy \(3,\)"),
        ({"X.npy": (5, 2), "y.npy": (4,)}, "X.npy has 5 samples but y.npy has 4"),
    ],
)  # fmt: skip
def test_bad_folders_get_one_line_errors(tmp_path, files, message):
    for name, shape in files.items():
        np.save(tmp_path / name, np.arange(np.prod(shape)).reshape(shape) % 2)
    with pytest.raises(ValueError, match=message):
        ds.data.load(str(tmp_path))


def test_prepare_disk_run_directly(blobs):
    folder, _, _ = blobs
    config = ds.RunConfig(data=str(folder), model="mlp", hidden=[8], epochs=1, val_fraction=0)
    run = prepare_disk_run(config, ds.data.load(str(folder)))
    assert run.val is None and len(run.loader.dataset) == 96
