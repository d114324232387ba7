import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

import descend as ds
from descend.data import load_mnist, read_idx

MNIST = Path("/work/shared/data/mnist")


def idx_bytes(array: np.ndarray, code: int = 0x08) -> bytes:
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def write_pair(folder: Path, kind: str, n: int = 5, compress: bool = False, seed: int = 0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    suffix = ".gz" if compress else ""
    for name, array in (("images-idx3", images), ("labels-idx1", labels)):
        raw = idx_bytes(array)
        (folder / f"{kind}-{name}-ubyte{suffix}").write_bytes(
            gzip.compress(raw) if compress else raw
        )
    return images, labels


@pytest.mark.parametrize("compress", [False, True])
def test_reads_written_files(tmp_path, compress):
    images, labels = write_pair(tmp_path, "train", compress=compress)
    X, y = load_mnist(tmp_path)
    assert X.shape == (5, 1, 28, 28) and X.dtype == np.float32
    assert y.dtype == np.int64 and y.tolist() == labels.tolist()
    np.testing.assert_array_equal(X[:, 0], images.astype(np.float32) / 255)
    assert X.min() >= 0 and X.max() <= 1


def test_flatten_dtype_and_file_path(tmp_path):
    images, _ = write_pair(tmp_path, "t10k", n=3, compress=True)
    X, y = load_mnist(tmp_path / "t10k-images-idx3-ubyte.gz", flatten=True, dtype=np.float64)
    assert X.shape == (3, 784) and X.dtype == np.float64
    np.testing.assert_array_equal(X, images.reshape(3, -1) / 255.0)
    ds.set_default_dtype(np.float64)
    assert load_mnist(tmp_path)[0].dtype == np.float64


def test_kind_chooses_between_pairs(tmp_path):
    _, train_labels = write_pair(tmp_path, "train", n=4, seed=1)
    _, test_labels = write_pair(tmp_path, "t10k", n=6, seed=2, compress=True)
    assert load_mnist(tmp_path, kind="train")[1].tolist() == train_labels.tolist()
    assert load_mnist(tmp_path, kind="t10k")[1].tolist() == test_labels.tolist()
    assert len(load_mnist(tmp_path, kind="test")[1]) == 6
    with pytest.raises(FileNotFoundError, match=r"pairs for \['t10k', 'train'\]; pass kind="):
        load_mnist(tmp_path)


def test_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_mnist(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="no complete pair"):
        load_mnist(tmp_path)
    write_pair(tmp_path, "train")
    (tmp_path / "train-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="no MNIST labels file for kind='train'"):
        load_mnist(tmp_path, kind="train")


def test_truncated_file(tmp_path):
    write_pair(tmp_path, "train")
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ValueError, match=r"is truncated: its header announces 5x28x28 values"):
        load_mnist(tmp_path)
    path.write_bytes(path.read_bytes()[:10])
    with pytest.raises(ValueError, match="announces 3 dimensions"):
        read_idx(path)


def test_truncated_gzip(tmp_path):
    write_pair(tmp_path, "train", compress=True)
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-12])
    with pytest.raises(ValueError, match="damaged or truncated gzip file"):
        load_mnist(tmp_path)


def test_foreign_files(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(b"PK\x03\x04 this is a zip file")
    with pytest.raises(ValueError, match="is not an IDX file: it starts with bytes 50 4b 03 04"):
        read_idx(path)
    path.write_bytes(b"\x00")
    with pytest.raises(ValueError, match="1 bytes, the header alone needs 4"):
        read_idx(path)
    path.write_bytes(idx_bytes(np.zeros((2, 28, 28), dtype=np.uint8)) + b"extra")
    with pytest.raises(ValueError, match="has 5 bytes too many"):
        read_idx(path)
    path.rename(tmp_path / "digits.bin")
    with pytest.raises(ValueError, match="digits.bin is not named like an MNIST file"):
        load_mnist(tmp_path / "digits.bin")


def test_labels_where_images_belong(tmp_path):
    write_pair(tmp_path, "train")
    labels = (tmp_path / "train-labels-idx1-ubyte").read_bytes()
    (tmp_path / "train-images-idx3-ubyte").write_bytes(labels)
    with pytest.raises(ValueError, match=r"not an MNIST images file: expected magic number 2051"):
        load_mnist(tmp_path)


def test_count_mismatch(tmp_path):
    write_pair(tmp_path, "train", n=5)
    labels = np.zeros(4, dtype=np.uint8)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(labels))
    with pytest.raises(ValueError, match="holds 5 images but .* holds 4 labels"):
        load_mnist(tmp_path)


def test_read_idx_other_types(tmp_path):
    values = np.arange(6, dtype=">f4").reshape(2, 3)
    path = tmp_path / "floats.idx"
    path.write_bytes(idx_bytes(values, code=0x0D))
    out = read_idx(path)
    assert out.dtype == np.float32 and out.dtype.isnative
    np.testing.assert_array_equal(out, values)


@pytest.mark.skipif(not MNIST.exists(), reason="real MNIST files not present")
def test_real_mnist_test_set():
    X, y = load_mnist(MNIST)
    assert X.shape == (10000, 1, 28, 28) and X.dtype == np.float32
    assert y.shape == (10000,) and y[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert X.min() == 0.0 and X.max() == 1.0
    assert 0.12 < X.mean() < 0.14


def test_mnist_kinds_lists_the_complete_pairs(tmp_path):
    from descend.data.mnist import mnist_kinds

    write_pair(tmp_path, "train", n=2)
    write_pair(tmp_path, "t10k", n=2, compress=True)
    (tmp_path / "test-images-idx3-ubyte").write_bytes(b"")  # half a pair
    assert mnist_kinds(tmp_path) == ["t10k", "train"]


def test_the_mnist_example_without_data_says_where_to_put_it(tmp_path):
    import subprocess
    import sys

    example = Path(__file__).resolve().parents[2] / "examples" / "mnist.py"
    result = subprocess.run(
        [sys.executable, str(example), str(tmp_path / "nowhere")],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"no MNIST files in {tmp_path / 'nowhere'}: put ")
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
