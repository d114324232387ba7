"""DataLoader: a dataset cut into batches, one gradient step each."""

from __future__ import annotations

import math

import numpy as np

from descend import backend
from descend.data.dataset import Dataset, TensorDataset
from descend.data.validation import as_features, as_targets, check_batch_size
from descend.tensor import Tensor, generator


class DataLoader:
    """Iterate over a dataset in batches of ``(X_batch, y_batch)`` tensors.

    The batch size picks the gradient-descent strategy: ``'full'`` gives one batch of
    the whole set (batch gradient descent), ``1`` one sample per step (stochastic
    gradient descent), ``k`` mini-batches of ``k``. ``len(loader)`` is the number of
    updates per epoch: ``ceil(N / batch_size)``, or ``floor`` with ``drop_last``.

    Parameters
    ----------
    dataset : Dataset
        A :class:`TensorDataset` (batches built by one indexing operation each) or any
        object with ``__len__`` and ``__getitem__`` (samples stacked with ``np.stack``).
    batch_size : int or 'full'
    shuffle : bool
        Visit the samples in a new random order every epoch.
    drop_last : bool
        Leave out the last, smaller batch.
    seed : int, optional
        Seed of the loader's own random generator. Without it the generator is spawned
        from the library's (``descend.manual_seed`` makes the order reproducible).
    device : str, optional
        Send each batch to this device as it is drawn ('cuda', 'cuda:1'); the samples
        stay where they are (in memory, or in a memory-mapped file) and the shuffling
        is drawn on the host, so the order is the same on every device. The Trainer
        needs none: it sends batches to its model's device itself.

    Yields
    ------
    (Tensor, Tensor or None)
        Features in the dataset's float dtype, targets int64 (class labels) or
        floating; None when the dataset has no targets. Without shuffling, batches of
        a TensorDataset are read-only views of its arrays (no copy).

    Examples
    --------
    >>> X, y = np.zeros((1000, 3), np.float32), np.arange(1000) % 2
    >>> loader = DataLoader(TensorDataset(X, y), batch_size=100, shuffle=True, seed=0)
    >>> len(loader)  # 1000 samples: 10 updates per epoch
    10
    >>> X_batch, y_batch = next(iter(loader))
    >>> X_batch.shape, y_batch.shape
    ((100, 3), (100,))
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | str = 32,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
        device=None,
    ):
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(
                f"DataLoader needs a dataset with __len__ and __getitem__, "
                f"got {type(dataset).__name__}; wrap arrays in TensorDataset(X, y)"
            )
        n = len(dataset)
        if n == 0:
            raise ValueError("DataLoader got an empty dataset: it needs at least one sample")
        self.dataset = dataset
        self.batch_size = check_batch_size(batch_size, n)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        if self.drop_last and self.batch_size > n:
            raise ValueError(
                f"batch_size={self.batch_size} with drop_last=True leaves no batch "
                f"from {n} samples; lower batch_size or set drop_last=False"
            )
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
            raise ValueError(f"seed must be an integer or None, got {seed!r}")
        # A generator of its own, so its state can be saved and restored for exact resume;
        # spawning leaves the library's stream (weight init, dropout) untouched.
        self._rng = np.random.default_rng(seed) if seed is not None else generator().spawn(1)[0]
        self.device = None if device is None else backend.device(device)

    @property
    def n_samples(self) -> int:
        return len(self.dataset)

    def __len__(self) -> int:
        n, b = self.n_samples, self.batch_size
        return n // b if self.drop_last else math.ceil(n / b)

    def __iter__(self):
        for index in self.batch_indices():
            yield self.fetch(index)

    def batch_indices(self):
        """The samples of each batch of one epoch, in order: slices, or index arrays when
        shuffling (each call draws a new order)."""
        n, b = self.n_samples, self.batch_size
        order = self._rng.permutation(n) if self.shuffle else None
        stop = n - n % b if self.drop_last else n
        for start in range(0, stop, b):
            end = min(start + b, n)
            yield slice(start, end) if order is None else order[start:end]

    def fetch(self, index) -> tuple[Tensor, Tensor | None]:
        """The batch of the samples at ``index`` (a slice or an index array) as tensors."""
        if isinstance(self.dataset, TensorDataset):
            X, y = self.dataset[index]
            if isinstance(index, slice):
                X, y = _read_only(X), _read_only(y)
        else:
            index = range(index.start, index.stop) if isinstance(index, slice) else index.tolist()
            X, y = _collate([self.dataset[i] for i in index], index)
        if self.device is not None:
            X = backend.to_device(X, self.device)
            y = None if y is None else backend.to_device(y, self.device)
        return Tensor._wrap(X), None if y is None else Tensor._wrap(y)

    def state_dict(self) -> dict:
        """The state of the shuffling generator (a plain dict), for exact resume."""
        return self._rng.bit_generator.state

    def load_state_dict(self, state: dict) -> None:
        """Restore the shuffling generator from :meth:`state_dict`."""
        expected = type(self._rng.bit_generator).__name__
        if not isinstance(state, dict) or state.get("bit_generator") != expected:
            got = state.get("bit_generator") if isinstance(state, dict) else type(state).__name__
            raise ValueError(
                f"DataLoader.load_state_dict expected the state of a {expected} generator "
                f"(from DataLoader.state_dict()), got {got!r}"
            )
        self._rng.bit_generator.state = state

    def __repr__(self) -> str:
        return (
            f"DataLoader({self.n_samples} samples, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}: {len(self)} batches)"
        )


def as_loader(data, batch_size=32, shuffle=False, seed=None, name="data") -> DataLoader:
    """``data`` itself if it is a DataLoader, else a DataLoader over an ``(X, y)`` pair.

    ``name`` says which argument it was, for the error when it is neither.
    """
    if isinstance(data, DataLoader):
        return data
    if isinstance(data, tuple | list) and len(data) == 2:
        return DataLoader(TensorDataset(*data), batch_size=batch_size, shuffle=shuffle, seed=seed)
    raise TypeError(
        f"{name} must be a DataLoader or an (X, y) pair of arrays, got {type(data).__name__}"
    )


def _read_only(array):
    if array is not None:
        array = array.view()
        array.flags.writeable = False
    return array


def _collate(samples: list, indices) -> tuple[np.ndarray, np.ndarray | None]:
    """Stack samples ``(x, y)``, ``(x,)`` or ``x`` of a generic dataset into one batch."""
    pairs = [s if isinstance(s, tuple | list) else (s,) for s in samples]
    for pair, i in zip(pairs, indices, strict=True):
        if len(pair) not in (1, 2):
            raise ValueError(
                f"dataset samples must be (x, y), (x,) or x; sample {i} has {len(pair)} parts"
            )
    X = _stack([p[0] for p in pairs], "x", indices)
    has_y = [len(p) == 2 and p[1] is not None for p in pairs]
    if not any(has_y):
        return as_features(X, "x"), None
    if not all(has_y):
        i, j = indices[has_y.index(True)], indices[has_y.index(False)]
        raise ValueError(f"sample {i} of the dataset has a target but sample {j} has none")
    y = _stack([p[1] for p in pairs], "y", indices)
    return as_features(X, "x"), as_targets(y, "y")


def _stack(parts: list, name: str, indices) -> np.ndarray:
    arrays = [p.data if isinstance(p, Tensor) else np.asarray(p) for p in parts]
    shape = arrays[0].shape
    for array, i in zip(arrays, indices, strict=True):
        if array.shape != shape:
            raise ValueError(
                f"dataset samples must all have one shape: {name} of sample {indices[0]} has "
                f"shape {shape}, of sample {i} {array.shape}"
            )
    return np.stack(arrays)
