"""MNIST from its original IDX files (gzip-compressed or not), read without any network."""

from __future__ import annotations

import gzip
import math
import re
import struct
import zlib
from pathlib import Path

import numpy as np

from descend.tensor import get_default_dtype

# IDX type codes (third byte of the magic number) and the big-endian dtypes they stand for.
_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_IMAGES_MAGIC, _LABELS_MAGIC = 2051, 2049
# "train-images-idx3-ubyte", "t10k-labels-idx1-ubyte.gz", also with "." before "idx".
_FILE_NAME = re.compile(r"^(?P<kind>.+)-(?P<part>images|labels)[.-]idx[13]-ubyte(?:\.gz)?$")


def read_idx(path: str | Path) -> np.ndarray:
    """The array stored in an IDX file (gzip-compressed or not).

    The magic number gives the element type and the number of dimensions; the sizes
    that follow must account for every byte of the file.

    Raises
    ------
    ValueError
        If the file is not an IDX file, is truncated, or has bytes left over.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(f"{path} is not an IDX file: {len(raw)} bytes, the header alone needs 4")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(
            f"{path} is not an IDX file: it starts with bytes {raw[:4].hex(' ')}, "
            f"expected 00 00 then a type code (08 for unsigned bytes) and the number of dims"
        )
    dtype, ndim = _IDX_DTYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(
            f"{path} is truncated: its header announces {ndim} dimensions ({header} bytes), "
            f"the file has {len(raw)} bytes"
        )
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    count = math.prod(shape)
    expected, got = count * dtype.itemsize, len(raw) - header
    if got != expected:
        problem = "is truncated" if got < expected else f"has {got - expected} bytes too many"
        dims = "x".join(str(d) for d in shape)
        raise ValueError(
            f"{path} {problem}: its header announces {dims} values of {dtype.name} "
            f"({expected} bytes of data), the file holds {got}"
        )
    data = np.frombuffer(raw, dtype=dtype, count=count, offset=header)
    return data.astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def load_mnist(
    path: str | Path,
    kind: str | None = None,
    flatten: bool = False,
    dtype=None,
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST images and labels from the original IDX files.

    Parameters
    ----------
    path : str or Path
        A folder holding ``<kind>-images-idx3-ubyte[.gz]`` and
        ``<kind>-labels-idx1-ubyte[.gz]``, or the path of the images file itself.
    kind : str, optional
        Which pair of files to read from a folder: ``'train'`` or ``'t10k'`` (also
        ``'test'``). Without it the folder must hold exactly one pair.
    flatten : bool
        Return images as rows of ``H * W`` pixels (for an MLP) instead of
        ``(1, H, W)`` (for convolution).
    dtype : numpy dtype, optional
        Floating dtype of the images; the default float dtype (float32) unless given.

    Returns
    -------
    X : ndarray, shape (N, 1, 28, 28), or (N, 784) with ``flatten=True``
        Pixels scaled from 0-255 to [0, 1].
    y : ndarray of int64, shape (N,)
        Digit labels 0-9.

    Raises
    ------
    FileNotFoundError
        If the files are not there (the message lists what the folder holds).
    ValueError
        If a file is not an IDX file of the expected kind, is truncated, or the image
        and label counts differ.

    Examples
    --------
    An IDX file is a big-endian header (a magic number, then each dimension) followed
    by the raw bytes; two tiny images written by hand read back:

    >>> import struct
    >>> images, labels = np.zeros((2, 28, 28), np.uint8), np.array([7, 2], np.uint8)
    >>> images[0, 14, 14] = 255
    >>> with open("t10k-images-idx3-ubyte", "wb") as f:
    ...     _ = f.write(struct.pack(">IIII", 2051, 2, 28, 28) + images.tobytes())
    >>> with open("t10k-labels-idx1-ubyte", "wb") as f:
    ...     _ = f.write(struct.pack(">II", 2049, 2) + labels.tobytes())
    >>> X, y = load_mnist(".", kind="t10k")
    >>> X.shape, X.dtype, y, float(X.max())
    ((2, 1, 28, 28), dtype('float32'), array([7, 2]), 1.0)
    """
    images_path, labels_path = _find_files(Path(path), kind)
    images = _read_checked(images_path, _IMAGES_MAGIC, "images")
    labels = _read_checked(labels_path, _LABELS_MAGIC, "labels")
    if len(images) != len(labels):
        raise ValueError(
            f"{images_path} holds {len(images)} images but {labels_path} holds "
            f"{len(labels)} labels; they must be a matching pair"
        )
    X = images.astype(dtype or get_default_dtype())
    np.divide(X, 255, out=X)
    X = X.reshape(len(X), -1) if flatten else X[:, None]
    return X, labels.astype(np.int64)


def _read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":  # the gzip magic bytes, whatever the file is called
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"{path} is a damaged or truncated gzip file ({error})") from None


def _read_checked(path: Path, magic: int, part: str) -> np.ndarray:
    array = read_idx(path)
    ndim = 3 if part == "images" else 1
    if array.dtype != np.uint8 or array.ndim != ndim:
        raise ValueError(
            f"{path} is not an MNIST {part} file: expected magic number {magic} "
            f"(unsigned bytes, {ndim} dimensions), got {array.dtype.name} values "
            f"in {array.ndim} dimensions of shape {array.shape}"
        )
    return array


def mnist_kinds(path: str | Path) -> list[str]:
    """The kinds of which the folder ``path`` holds a complete pair of MNIST IDX files,
    sorted: ``['t10k', 'train']`` for the four files of the standard download."""
    return sorted(kind for kind, parts in _pairs(Path(path)).items() if len(parts) == 2)


def _pairs(path: Path) -> dict[str, dict[str, Path]]:
    """The MNIST files in the folder ``path``: kind -> {'images': file, 'labels': file}."""
    pairs: dict[str, dict[str, Path]] = {}
    # In reverse order a plain file comes after its .gz, so the plain one is kept.
    for file in sorted(path.iterdir(), reverse=True):
        match = _FILE_NAME.match(file.name)
        if match is not None:
            pairs.setdefault(match["kind"], {})[match["part"]] = file
    return pairs


def _find_files(path: Path, kind: str | None) -> tuple[Path, Path]:
    if not path.exists():
        raise FileNotFoundError(f"MNIST path {path} does not exist")
    if path.is_file():
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise ValueError(
                f"{path.name} is not named like an MNIST file "
                f"(<kind>-images-idx3-ubyte[.gz]); pass the folder that holds the files"
            )
        kind, path = match["kind"], path.parent
    pairs = _pairs(path)
    if kind is None:
        complete = mnist_kinds(path)
        if len(complete) != 1:
            found = f"pairs for {complete}" if complete else "no complete pair of files"
            raise FileNotFoundError(
                f"{path}: found {found}; pass kind='train' or kind='t10k' to choose, or put "
                f"<kind>-images-idx3-ubyte[.gz] and <kind>-labels-idx1-ubyte[.gz] there"
            )
        kind = complete[0]
    if kind == "test" and "test" not in pairs:
        kind = "t10k"
    parts = pairs.get(kind, {})
    missing = [p for p in ("images", "labels") if p not in parts]
    if missing:
        names = sorted(f.name for f in path.iterdir())[:10]
        raise FileNotFoundError(
            f"{path} has no MNIST {' or '.join(missing)} file for kind={kind!r}: expected "
            f"{kind}-images-idx3-ubyte[.gz] and {kind}-labels-idx1-ubyte[.gz]; found {names}"
        )
    return parts["images"], parts["labels"]
