"""One process's share of the rows: the input side of data-parallel training.

P processes train one model together. Each holds a :class:`ShardedLoader` over the same
DataLoader: every epoch all of them draw the same shuffled order (their loaders' random
generators start in one state), cut it into the same global batches, and each process
takes its own contiguous slice of every batch and reads only those rows. Validation
rows are shared out whole (:class:`RowShare`), and :func:`fingerprint` says whether
the processes hold the same data at all.
"""

from __future__ import annotations

import zlib

import numpy as np

from descend.data.dataset import TensorDataset
from descend.data.loader import DataLoader
from descend.tensor import Tensor


def share(n: int, rank: int, size: int) -> slice:
    """The rows of ``n`` that process ``rank`` of ``size`` takes: contiguous, the first
    ``n % size`` processes one more than the others (``share(10, r, 4)`` gives 3, 3, 2, 2)."""
    base, extra = divmod(n, size)
    start = rank * base + min(rank, extra)
    return slice(start, start + base + (rank < extra))


class ShardedLoader:
    """The slice of every batch of ``loader`` that process ``rank`` of ``size`` trains on.

    It counts as the loader it shards: ``len`` (updates per epoch), ``n_samples`` and
    ``batch_size`` are the global ones, and ``state_dict`` is the shared shuffling
    state. A process whose slice of a batch is empty (a last batch smaller than the
    number of processes) gets a batch of zero rows, so that every process still takes
    part in every update. ``global_batch`` is the size of the whole batch last given;
    ``in_epoch`` says whether an iteration is under way.

    Parameters
    ----------
    loader : DataLoader
        The same loader (same data, same shuffling state) in every process.
    rank, size : int
        This process's number and the number of processes.

    Examples
    --------
    >>> X, y = np.zeros((1000, 3)), np.arange(1000) % 2
    >>> loader = DataLoader(ds.data.TensorDataset(X, y), batch_size=128, shuffle=True, seed=0)
    >>> mine = ShardedLoader(loader, rank=1, size=4)  # rows 32-63 of every batch of 128
    >>> len(mine), [len(y) for _, y in mine]          # the last batch of 104: rows 26-51
    (8, [32, 32, 32, 32, 32, 32, 32, 26])
    """

    def __init__(self, loader: DataLoader, rank: int, size: int):
        if not isinstance(loader, DataLoader):
            raise TypeError(f"ShardedLoader needs a DataLoader, got {type(loader).__name__}")
        if not 0 <= rank < size:
            raise ValueError(f"rank must be in [0, {size}), got {rank}")
        self.loader, self.rank, self.size = loader, rank, size
        self.global_batch = 0
        self.in_epoch = False

    @property
    def dataset(self):
        return self.loader.dataset

    @property
    def n_samples(self) -> int:
        return self.loader.n_samples

    @property
    def batch_size(self) -> int:
        return self.loader.batch_size

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self):
        self.in_epoch = True
        try:
            for index in self.loader.batch_indices():
                if isinstance(index, slice):
                    n = index.stop - index.start
                    mine = share(n, self.rank, self.size)
                    index = slice(index.start + mine.start, index.start + mine.stop)
                else:
                    n = len(index)
                    index = index[share(n, self.rank, self.size)]
                self.global_batch = n
                if not _empty(index):
                    yield self.loader.fetch(index)
                elif isinstance(self.dataset, TensorDataset):  # zero rows, nothing read
                    yield self.loader.fetch(np.arange(0))
                else:  # the shapes and dtypes of a dataset known only by its samples
                    X, y = self.loader.fetch(slice(0, 1))
                    y = None if y is None else Tensor._wrap(y.data[:0])
                    yield Tensor._wrap(X.data[:0]), y
        finally:
            self.in_epoch = False

    def state_dict(self) -> dict:
        return self.loader.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.loader.load_state_dict(state)

    def __repr__(self) -> str:
        return f"ShardedLoader(rank {self.rank} of {self.size}, {self.loader!r})"


def _empty(index) -> bool:
    return index.stop == index.start if isinstance(index, slice) else len(index) == 0


class RowShare:
    """The batches of process ``rank``'s contiguous part of ``loader``'s rows, in order
    (each process judges its part of a validation set)."""

    def __init__(self, loader: DataLoader, rank: int, size: int):
        self.loader = loader
        self.rows = share(loader.n_samples, rank, size)

    def __iter__(self):
        b = self.loader.batch_size
        for start in range(self.rows.start, self.rows.stop, b):
            yield self.loader.fetch(slice(start, min(start + b, self.rows.stop)))


def fingerprint(X, y=None, samples: int = 64) -> str:
    """Rows, shape, dtypes and a CRC-32 checksum of a data set, as one short line.

    ``X`` and ``y`` are arrays held in memory, checksummed whole; or ``X`` is a Dataset
    (features from a file), of which ``samples`` rows spread evenly over the set are
    read and checksummed (with all of its targets, when it keeps them in ``.y``).
    Processes that hold the same data give the same line.

    >>> fingerprint(np.zeros((150, 4)), np.arange(150) % 3)
    '150 rows of shape (4,) float64, targets int64, checksum 6d877ec2'
    """
    if type(X) is TensorDataset:  # in memory: all of it
        X, y = X.X, X.y
    if isinstance(X, np.ndarray):
        rows, shape, dtype, crc = len(X), X.shape[1:], X.dtype, zlib.crc32(_bytes(X))
    else:  # a dataset read from disk: a sample of its rows, all of its stored targets
        rows = len(X)
        picked = np.unique(np.linspace(0, rows - 1, min(samples, rows)).astype(int))
        if hasattr(X, "stored"):  # an NpyDataset: the rows as the file holds them
            sample = X.stored(picked)
        else:
            sample = np.stack([np.asarray(X[int(i)][0]) for i in picked]) if rows else np.zeros(0)
        shape, dtype, crc = sample.shape[1:], sample.dtype, zlib.crc32(_bytes(sample))
        stored = getattr(X, "y", None)
        if y is None and isinstance(stored, np.ndarray):
            y = stored if getattr(X, "rows", None) is None else stored[X.rows]
    targets = ""
    if y is not None:
        targets, crc = f", targets {y.dtype}", zlib.crc32(_bytes(y), crc)
    return f"{rows} rows of shape {tuple(shape)} {dtype}{targets}, checksum {crc:08x}"


def _bytes(array: np.ndarray):
    return np.ascontiguousarray(array).view(np.uint8).reshape(-1)
