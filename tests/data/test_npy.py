import subprocess
import sys

import numpy as np
import pytest

import descend as ds
from descend.data import DataLoader, NpyDataset, StandardScaler, TensorDataset, load_npy


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(3.0, 2.0, size=(50, 4)).astype(np.float32)
    y = rng.integers(0, 3, size=50)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    return tmp_path / "X.npy", tmp_path / "y.npy", X, y


def test_batches_equal_those_of_the_arrays_in_memory(files):
    X_path, y_path, X, y = files
    data = load_npy(X_path, y_path)
    assert isinstance(data, NpyDataset) and len(data) == 50
    assert isinstance(data.X, np.memmap) or not data.X.flags.owndata
    assert not data.X.flags.writeable
    disk = DataLoader(data, batch_size=16, shuffle=True, seed=3)
    memory = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True, seed=3)
    for (a, b), (c, d) in zip(disk, memory, strict=True):
        assert a.dtype == np.float32 and b.dtype == np.int64
        np.testing.assert_array_equal(a.data, c.data)
        np.testing.assert_array_equal(b.data, d.data)
    x, _ = data[slice(0, 5)]
    assert x.flags.writeable and not np.shares_memory(x, data.X)
    data.transform = lambda batch: 1 / 0  # never called for no rows
    x, labels = data[np.arange(0)]
    assert x.shape == (0, 4) and labels.shape == (0,) and labels.dtype == np.int64


def test_features_are_cast_and_transformed_per_batch(files, tmp_path):
    X_path, y_path, X, y = files
    np.save(tmp_path / "pixels.npy", (np.arange(200) % 256).astype(np.uint8).reshape(50, 4))
    data = NpyDataset(tmp_path / "pixels.npy", y_path, dtype=np.float64)
    x, labels = data[np.array([2, 0])]
    assert x.dtype == np.float64 and x.tolist() == [[8, 9, 10, 11], [0, 1, 2, 3]]
    data.transform = lambda batch: batch / 255
    data.target_transform = lambda t: t + 10
    x, labels = data[np.array([1])]
    np.testing.assert_allclose(x, [[4 / 255, 5 / 255, 6 / 255, 7 / 255]])
    assert labels.tolist() == [y[1] + 10]


def test_streaming_scaler_equals_the_scaler_fitted_at_once(files):
    X_path, y_path, X, _ = files
    data = load_npy(X_path, y_path)
    chunks = list(data.chunks(chunk_bytes=7 * 16))  # 7 rows of 4 float32 each
    assert [len(c) for c in chunks] == [7] * 7 + [1]
    streamed = StandardScaler().fit_batches(data.chunks(chunk_bytes=7 * 16))
    at_once = StandardScaler().fit(X)
    assert streamed.n_samples_seen_ == 50
    np.testing.assert_allclose(streamed.mean_, at_once.mean_, rtol=1e-6)
    np.testing.assert_allclose(streamed.var_, at_once.var_, rtol=1e-6)
    part = list(data.chunks(slice(10, 20), chunk_bytes=1 << 20))
    assert len(part) == 1 and np.array_equal(part[0], X[10:20])


@pytest.mark.parametrize(
    ("write", "message"),
    [
        (lambda p: p.write_bytes(b"a,b\n1,2\n"), "not a .npy file"),
        (lambda p: np.save(p, np.array([{"a": 1}], dtype=object)), "only pickle can read"),
        (lambda p: np.save(p, np.asfortranarray(np.ones((5, 3)))), "Fortran"),
        (lambda p: p.write_bytes(_npy_bytes(np.ones((50, 4)))[:-40]), "truncated"),
        (lambda p: np.save(p, np.float32(3.0)), "single value"),
    ],
)
def test_bad_files_get_one_line_errors(tmp_path, write, message):
    path = tmp_path / "X.npy"
    write(path)
    with pytest.raises(ValueError, match=message) as caught:
        load_npy(path)
    assert "\n" not in str(caught.value) and str(path.name) in str(caught.value)


def test_missing_file_and_length_mismatch(files, tmp_path):
    X_path, _, _, _ = files
    with pytest.raises(ValueError, match="no such file"):
        load_npy(tmp_path / "nothing.npy")
    np.save(tmp_path / "short.npy", np.zeros(49))
    with pytest.raises(ValueError, match="X.npy has 50 samples but short.npy has 49"):
        load_npy(X_path, tmp_path / "short.npy")


def test_non_finite_values_name_the_row_of_the_file(tmp_path):
    X = np.ones((30, 2), dtype=np.float32)
    X[21, 1] = np.nan
    np.save(tmp_path / "X.npy", X)
    data = load_npy(tmp_path / "X.npy")
    data[slice(0, 20)]  # clean rows read fine
    with pytest.raises(ValueError, match="X.npy has NaN or infinite values .* in row 21"):
        data[np.array([3, 21, 5])]
    with pytest.raises(ValueError, match="in row 21"):
        StandardScaler().fit_batches(data.chunks(chunk_bytes=80))


def test_reading_a_file_keeps_resident_memory_small(tmp_path):
    """A 160 MB file read in shuffled batches, then streamed: the peak resident memory
    of the reading process stays far below the file's size."""
    X = np.lib.format.open_memmap(
        tmp_path / "X.npy", mode="w+", dtype=np.float32, shape=(40_000, 1000)
    )
    X[:] = 1.0
    X.flush()
    del X
    script = f"""
import descend as ds
data = ds.data.load_npy({str(tmp_path / "X.npy")!r})
for batch, _ in ds.data.DataLoader(data, batch_size=500, shuffle=True, seed=0):
    pass
scaler = ds.data.StandardScaler().fit_batches(data.chunks(chunk_bytes=8 << 20))
peak = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]  # kB, this exec only
print(int(peak) >> 10, scaler.n_samples_seen_)
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    peak_mb, seen = map(int, out.stdout.split())
    assert seen == 40_000
    assert peak_mb < 110, f"peak resident memory {peak_mb} MB reading a 160 MB file"


def _npy_bytes(array):
    import io

    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_a_subset_reads_its_rows_of_the_same_files(files):
    X_path, y_path, X, y = files
    data = load_npy(X_path, y_path)
    rows = np.array([3, 4, 5, 6, 20, 40, 41])
    part = data.subset(rows)
    assert len(part) == 7 and part.rows.tolist() == rows.tolist() and len(data) == 50
    x, labels = part[np.array([6, 0, 4])]
    np.testing.assert_array_equal(x, X[[41, 3, 20]])
    assert labels.tolist() == y[[41, 3, 20]].tolist()
    np.testing.assert_array_equal(np.concatenate(list(part.chunks(chunk_bytes=48))), X[rows])
    np.testing.assert_array_equal(part.targets(), y[rows])
    inner = part.subset([1, 2])  # positions in the part: rows 4 and 5 of the files
    np.testing.assert_array_equal(inner[slice(None)][0], X[4:6])
    loader = DataLoader(part, batch_size=3, shuffle=True, seed=0)
    seen = np.concatenate([b.data for _, b in loader])
    assert sorted(seen.tolist()) == sorted(y[rows].tolist())
    assert "7 rows of" in repr(part)


def test_training_from_the_files_equals_training_from_the_arrays(files):
    X_path, y_path, X, y = files

    def train(data):
        ds.manual_seed(0)
        model = ds.models.MLP([4, 6, 3])
        trainer = ds.Trainer(
            model, ds.nn.CrossEntropyLoss(), ds.optim.SGD(model.parameters(), lr=0.1), verbose=0
        )
        trainer.fit(DataLoader(data, batch_size=8, shuffle=True, seed=2), epochs=2)
        return trainer

    disk, memory = train(load_npy(X_path, y_path)), train(TensorDataset(X, y))
    for a, b in zip(disk.model.parameters(), memory.model.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    assert disk.history.step_loss == memory.history.step_loss
    predicted = disk.predict(DataLoader(load_npy(X_path), batch_size=16))
    np.testing.assert_array_equal(predicted, memory.predict(X))


def _raw_npy(path, header_text: str, body: bytes = b""):
    text = header_text.encode("latin1")
    text += b" " * (-(10 + len(text) + 1) % 64) + b"\n"
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text + body)
    return path


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2}",
         "unreadable .npy header (EOF in multi-line statement)"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (2**62, 2**62)}",
         "unreadable .npy header"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 8)}",
         "its header's shape (4611686018427387904, 8) is too large for any array"),
        ("{'descr': '<c16', 'fortran_order': False, 'shape': (3, 2)}",
         "holds complex numbers (dtype complex128); expected real numbers"),
    ],
    ids=["tokenize", "expression", "overflow", "complex"],
)  # fmt: skip
def test_a_crafted_npy_header_in_data_is_one_line_naming_the_file(tmp_path, header, expected):
    folder = tmp_path / "set"
    folder.mkdir()
    _raw_npy(folder / "X.npy", header, bytes(96))
    np.save(folder / "y.npy", np.arange(3) % 2)
    with pytest.raises(ValueError, match="^" + str(folder / "X.npy").replace(".", r"\.")) as error:
        ds.data.load(str(folder))
    assert expected in str(error.value) and "\n" not in str(error.value)


def test_text_targets_name_the_file(tmp_path):
    np.save(tmp_path / "X.npy", np.zeros((3, 2)))
    np.save(tmp_path / "y.npy", np.array(["a", "b", "a"]))
    with pytest.raises(ValueError) as error:
        ds.data.load(str(tmp_path))
    assert str(error.value) == f"{tmp_path / 'y.npy'} holds text (dtype <U1); expected real numbers"


def test_a_nan_target_is_named_by_its_row_in_the_file(tmp_path):
    y = np.arange(12.0)
    y[[7, 9]] = np.nan
    np.save(tmp_path / "X.npy", np.ones((12, 2)))
    np.save(tmp_path / "y.npy", y)
    with pytest.raises(ValueError) as error:
        load_npy(tmp_path / "X.npy", tmp_path / "y.npy")
    assert (
        str(error.value)
        == f"{tmp_path / 'y.npy'} has 2 NaN or infinite targets; the first in row 7"
    )
