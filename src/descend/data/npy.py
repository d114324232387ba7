"""Data larger than memory: ``.npy`` files opened memory-mapped and read a batch at a time.

>>> rng = np.random.default_rng(0)
>>> np.save("X.npy", rng.normal(5.0, 2.0, size=(1000, 20)).astype(np.float32))
>>> np.save("y.npy", rng.integers(0, 3, size=1000))
>>> data = ds.data.load_npy("X.npy", "y.npy")          # reads nothing but the headers
>>> scaler = ds.data.StandardScaler().fit_batches(data.chunks())   # one streaming pass
>>> data.transform = scaler.transform
>>> loader = ds.data.DataLoader(data, batch_size=128, shuffle=True)
>>> X, y = next(iter(loader))                          # 128 rows read from the file
>>> X.shape, X.dtype, round(float(X.data.std()), 1)
((128, 20), dtype('float32'), 1.0)

A batch's rows are read from the page cache or the disk when the DataLoader asks for
them, converted to the float dtype and checked to be finite. The features are read
with positioned reads (``pread``) rather than through the mapping: touching one row of
a mapped file maps the whole page-cache folio around it (2 MB on current Linux), so
shuffled batches read through the map would make the process's resident memory grow
to the file's size. Read this way it stays at a few batches, however large the file.
"""

from __future__ import annotations

import copy
import math
import mmap
import os
from pathlib import Path

import numpy as np

from descend.data.dataset import TensorDataset, _index
from descend.data.validation import as_targets, check_same_length
from descend.tensor import get_default_dtype

_MAGIC = b"\x93NUMPY"
_PREAD = hasattr(os, "preadv")  # not on Windows: read through the map there


def load_npy(X_path, y_path=None) -> NpyDataset:
    """Open the features ``X_path`` and targets ``y_path`` (``.npy`` files) memory-mapped.

    Parameters
    ----------
    X_path : path
        An ``.npy`` array of shape (N, ...): one sample per row, numbers of any dtype.
    y_path : path, optional
        An ``.npy`` array of N class labels (integers) or values.

    Returns
    -------
    NpyDataset
        Reads nothing but the files' headers until batches are asked for.

    Raises
    ------
    ValueError
        For a file that is missing, not an ``.npy`` file, truncated, of Python objects
        (which would need pickle) or in Fortran order; or for X and y of different
        lengths.
    """
    return NpyDataset(X_path, y_path)


class NpyDataset(TensorDataset):
    """Samples held in ``.npy`` files on disk, read when indexed (a memory-mapped dataset).

    Indexing gives ``(X[index], y[index])`` as in-memory arrays, features in the float
    dtype (``descend.get_default_dtype()`` when opened, or ``dtype``) and passed through
    ``transform``, targets as int64 labels or float values passed through
    ``target_transform``. Non-finite features raise a ValueError naming the file's row.
    :meth:`subset` gives a part of the rows (a train/validation split) without copying.

    Attributes
    ----------
    X, y : ndarray
        The read-only memory-mapped arrays of the whole files (y None without targets),
        for your own look at the data; batches do not go through them.
    rows : ndarray or None
        The rows of the files this dataset holds, None for all of them.
    transform, target_transform : callable or None
        Applied to each batch of features or targets, e.g. ``scaler.transform``.
    """

    def __init__(self, X_path, y_path=None, dtype=None, transform=None, target_transform=None):
        self.X_path = Path(X_path)
        self.X, self._offset = _open(self.X_path)
        if self.X.ndim == 0:
            raise ValueError(f"{self.X_path}: expected an array of samples, got a single value")
        self.y_path = None if y_path is None else Path(y_path)
        self.y = None if y_path is None else _open(self.y_path)[0]
        if self.y is not None:
            check_same_length(self.X, self.y, (self.X_path.name, self.y_path.name))
            _check_targets(self.y, self.y_path)
        self.dtype = np.dtype(dtype or get_default_dtype())
        self.transform = transform
        self.target_transform = target_transform
        self.rows = None
        self._row_bytes = self.X[:1].nbytes
        self._file = open(self.X_path, "rb")  # noqa: SIM115 - read from while the dataset lives

    def __len__(self) -> int:
        return len(self.X) if self.rows is None else len(self.rows)

    def __getitem__(self, index) -> tuple[np.ndarray, np.ndarray | None]:
        index = _index(index, len(self))
        if np.ndim(index) == 0 and not isinstance(index, slice):  # one sample, as a batch
            x, y = self[np.array([index])]
            return x[0], None if y is None else y[0]
        rows = self._file_rows(index)
        x = self._features(self._read(rows), rows)
        y = None
        if self.y is not None:
            y = as_targets(self.y[rows], self.y_path.name)
            if self.target_transform is not None and len(y):
                y = self.target_transform(y)
        return x, y

    def subset(self, rows) -> NpyDataset:
        """The samples at ``rows`` (positions in this dataset), read from the same files;
        transforms and dtype are kept."""
        part = copy.copy(self)
        part.rows = np.asarray(self._file_rows(np.asarray(rows, dtype=np.intp)), dtype=np.intp)
        return part

    def targets(self) -> np.ndarray | None:
        """All the targets of this dataset as they are stored (small enough for memory)."""
        if self.y is None:
            return None
        return np.array(self.y if self.rows is None else self.y[self.rows])

    def close(self) -> None:
        """Close the features file (batches cannot be read afterwards)."""
        self._file.close()

    def stored(self, index) -> np.ndarray:
        """The features at ``index`` as the file holds them: converted to the float dtype
        and checked, not transformed (and not counted as read by a loader)."""
        rows = self._file_rows(_index(index, len(self)))
        return self._features(self._read(rows), rows, transform=False)

    def chunks(self, rows: slice = slice(None), chunk_bytes: int = 32 << 20):
        """The features of ``rows`` in consecutive blocks of about ``chunk_bytes``, in
        order, converted and checked like batches but not transformed: one streaming pass
        (``StandardScaler().fit_batches(data.chunks())``)."""
        start, stop, _ = rows.indices(len(self))
        step = max(1, chunk_bytes // max(1, self._row_bytes))
        for first in range(start, stop, step):
            block = self._file_rows(slice(first, min(first + step, stop)))
            yield self._features(self._read(block), block, transform=False)

    def __repr__(self) -> str:
        targets = "no targets" if self.y is None else f"y {self.y.shape} {self.y.dtype}"
        part = "" if self.rows is None else f"{len(self)} rows of "
        return f"NpyDataset({part}X {self.X.shape} {self.X.dtype} from {self.X_path}, {targets})"

    def _file_rows(self, index):
        """Rows of the files for ``index`` into this dataset (an int, a slice or an array)."""
        return index if self.rows is None else self.rows[index]

    def _read(self, rows) -> np.ndarray:
        """The rows of the file at ``rows`` (int, slice or index array), in order; runs of
        consecutive rows are read with one call."""
        if not _PREAD or isinstance(rows, slice) and rows.step not in (None, 1):
            return np.array(self.X[rows])
        if isinstance(rows, slice):
            start, stop, _ = rows.indices(len(self.X))
            starts, counts = [start], [max(0, stop - start)]
        else:
            flat = np.atleast_1d(rows)
            breaks = np.flatnonzero(np.diff(flat) != 1) + 1
            starts = flat[np.r_[0, breaks]].tolist() if len(flat) else []
            counts = np.diff(np.r_[0, breaks, len(flat)]).tolist() if len(flat) else []
        out = np.empty((sum(counts), *self.X.shape[1:]), self.X.dtype)
        if out.size == 0:
            return out
        view, size, done = memoryview(out).cast("B"), self._row_bytes, 0
        fd, offset = self._file.fileno(), self._offset
        for row, count in zip(starts, counts):
            n = count * size
            if os.preadv(fd, [view[done : done + n]], offset + row * size) != n:
                raise ValueError(f"{self.X_path}: the file got shorter while being read")
            done += n
        return out if isinstance(rows, slice) or np.ndim(rows) else out[0]

    def _features(self, raw: np.ndarray, rows, transform: bool = True) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            # A slice is a view of the file: copy it. An index array gave a copy already.
            x = raw.astype(self.dtype, copy=isinstance(rows, slice))
        finite = np.isfinite(x)
        if not finite.all():
            numbers = np.atleast_1d(np.arange(len(self.X))[rows])
            bad = ~finite.reshape(len(numbers), -1).all(axis=1)
            raise ValueError(
                f"{self.X_path.name} has NaN or infinite values (or values too large for "
                f"{self.dtype}) in row {numbers[int(np.argmax(bad))]}"
            )
        if self.transform is None or not transform or not len(x):
            return x
        return self.transform(x)


def _check_targets(y: np.ndarray, path: Path) -> None:
    """Targets are read whole anyway: a NaN among them is named by the file's row."""
    if y.dtype.kind == "f":
        finite = np.isfinite(y).reshape(len(y), -1).all(axis=1)
        if not finite.all():
            rows = np.flatnonzero(~finite)
            raise ValueError(
                f"{path} has {len(rows)} NaN or infinite target{'s' * (len(rows) > 1)}; "
                f"the first in row {rows[0]}"
            )


def read_header(handle, name) -> tuple[tuple, np.dtype, bool]:
    """The shape, dtype and Fortran order of the ``.npy`` data ``handle`` is at the start
    of, leaving it at the first byte of the array; ``name`` is the file's, for errors.

    Only numbers are accepted (bool, integers, real floats): a header that does not
    parse, an array of Python objects (which only pickle reads), of text or of complex
    numbers is a ValueError naming the file.
    """
    if handle.read(len(_MAGIC)) != _MAGIC:
        raise ValueError(f"{name}: not a .npy file (expected NumPy's format)")
    handle.seek(handle.tell() - len(_MAGIC))
    try:
        version = np.lib.format.read_magic(handle)
        read = (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )
        shape, fortran_order, dtype = read(handle)
    except Exception as error:  # noqa: BLE001 - any failure to parse untrusted bytes
        first = error.args[0] if error.args else type(error).__name__
        reason = str(first).splitlines()[0] if str(first) else type(error).__name__
        raise ValueError(f"{name}: unreadable .npy header ({reason})") from None
    if not all(isinstance(n, int) and n >= 0 for n in shape):
        raise ValueError(f"{name}: unreadable .npy header (shape {shape})")
    if math.prod(max(n, 1) for n in shape) * dtype.itemsize >= 2**63:  # Python ints: exact
        raise ValueError(f"{name}: its header's shape {shape} is too large for any array")
    if dtype.hasobject:
        raise ValueError(
            f"{name} holds Python objects, which only pickle can read; "
            f"save numbers (np.save with a numeric array)"
        )
    if dtype.kind not in "biuf":
        what = {"c": "complex numbers", "U": "text", "S": "bytes"}.get(dtype.kind, "values")
        raise ValueError(f"{name} holds {what} (dtype {dtype}); expected real numbers")
    return shape, dtype, fortran_order


def _open(path: Path) -> tuple[np.ndarray, int]:
    """The array in the ``.npy`` file ``path`` memory-mapped read-only, and where its data
    starts in the file."""
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    with open(path, "rb") as handle:
        shape, dtype, fortran_order = read_header(handle, path)
        if fortran_order and len(shape) > 1:
            raise ValueError(
                f"{path} is in Fortran (column) order, so a sample is not contiguous on "
                f"disk; save it with np.save(path, np.ascontiguousarray(X))"
            )
        offset = handle.tell()
        size = os.fstat(handle.fileno()).st_size
        nbytes = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
        if size < offset + nbytes:
            raise ValueError(
                f"{path} is truncated: its header promises {shape} {dtype} "
                f"({offset + nbytes} bytes), the file holds {size}"
            )
        if nbytes == 0:
            return np.zeros(shape, dtype), offset
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    return np.ndarray(shape, dtype, buffer=mapped, offset=offset), offset
