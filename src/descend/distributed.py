"""Data parallelism over MPI: P processes train one model, each on its share of every batch.

Launch the processes with ``mpiexec -n P python train.py`` (the extra ``descend[mpi]``
installs mpi4py and MPICH, whose ``mpiexec`` lands in the virtual environment); each
calls :func:`init` first and gives its Trainer the strategy::

    import descend as ds

    ds.distributed.init()
    X, y = ds.data.load_digits()
    model = ds.models.MLP([64, 128, 10])
    trainer = ds.Trainer(model, ds.nn.CrossEntropyLoss(), ds.optim.Adam(model.parameters()),
                         parallel=ds.distributed.strategy())   # DataParallel under mpiexec
    history = trainer.fit(X, y, epochs=10, batch_size=128)     # 128: the global batch

It holds the data-parallel step (:class:`DataParallel`; :class:`SingleProcess` is the
Trainer's default) and re-exports the processes and collectives of
``descend.collectives`` (:func:`init`, :func:`rank`, :func:`allreduce`, ...); it knows
nothing of data sets, scores or runs.

One update with P processes and a global batch of B samples:

1. every process draws the same shuffled order, takes its contiguous slice of the batch
   (``descend.data.shard``) and reads only those rows;
2. forward pass and backpropagation on the slice: the gradient of the slice's mean cost;
3. the gradients go into one flat buffer, each process's scaled by its share n / B of
   the batch, and one in-place Allreduce sums them: every process then holds the
   gradient of the whole batch's mean cost, the one a single process computes;
4. every process takes the same optimizer step, so the weights stay equal everywhere.

The weights are broadcast from process 0 when training starts. BatchNorm normalises
with each process's own batch statistics, as PyTorch's DistributedDataParallel without
SyncBatchNorm does; the running averages of process 0 are used for validation. A loss
with class weights is averaged by sample counts, not by weights.

No process waits forever: every collective ends the job after ``$DESCEND_MPI_TIMEOUT``
seconds (600 by default) with one line naming it (see ``descend.collectives``).

On one machine each process needs a core of its own. Every step waits for all the
processes, and on cores shared with other work a process that is not running holds the
others up until its next turn, a few milliseconds per wait whether they spin (as
MPICH's do) or sleep: with two busy cores, ``mpiexec -n 2`` trained a small MLP 3
times slower than one process (``benchmarks/distributed.py --part load``). On a busy
machine, train in one process.
"""

from __future__ import annotations

import numpy as np

from descend import backend
from descend.collectives import (
    abort,
    agree,
    allgather,
    allreduce,
    broadcast,
    check_same,
    init,
    is_main,
    launched,
    rank,
    together,
    world_size,
)
from descend.data.loader import DataLoader
from descend.data.shard import RowShare, ShardedLoader

__all__ = [
    "DataParallel", "SingleProcess", "abort", "agree", "allgather", "allreduce",
    "broadcast", "check_same", "init", "is_main", "launched", "rank", "strategy",
    "together", "world_size",
]  # fmt: skip


def strategy():
    """The strategy for a Trainer made in this process (``Trainer(parallel=...)``):
    :class:`DataParallel` after :func:`init` in a job of several processes, else
    :class:`SingleProcess`."""
    return DataParallel() if world_size() > 1 else SingleProcess()


# -- strategies: what the Trainer does around each step ------------------------------
class SingleProcess:
    """Training in one process: nothing to share. The Trainer's default."""

    rank, size, is_main = 0, 1, True

    def start(self, model, loss, loader):
        """Before training: the loader this process iterates (here: ``loader`` itself)."""
        return loader

    def reduce(self, optimizer, cost: float, rows: int) -> tuple[float, int]:
        """Between backward and optimizer step: the cost and size of the whole batch."""
        return cost, rows

    def agree(self, *flags: bool) -> tuple[bool, ...]:
        """After a batch or an epoch: the flags (stop, interrupted) every process goes by."""
        return flags

    def allgather(self, value) -> list:
        """Every process's ``value``, in process order."""
        return [value]

    def evaluation(self, loader, model):
        """The part of the validation loader this process evaluates (all of it)."""
        return loader

    def gather(self, *arrays):
        """Each of ``arrays`` joined along its first axis over the processes, in order
        (None where no process had one)."""
        return arrays


class DataParallel(SingleProcess):
    """Training shared by the processes of the MPI job (:func:`init` first; see the
    module's notes): each trains on its share of every batch."""

    def __init__(self):
        if world_size() == 1:
            raise RuntimeError("DataParallel needs an MPI job of several processes: init() first")
        self.rank, self.size = rank(), world_size()
        self.is_main = self.rank == 0
        self._loader: ShardedLoader | None = None
        self._sum = False
        self._grads: _FlatBuffer | None = None

    def start(self, model, loss, loader):
        """Check that every process has as many samples, of one shape, in batches of one
        size; broadcast process 0's weights and shuffling state; shard ``loader``."""
        if not isinstance(loader, DataLoader):
            raise TypeError(
                f"data-parallel training needs a DataLoader, got {type(loader).__name__}"
            )
        # Counts and shapes only: the values may differ in their last bits between
        # machines that computed them (a scaler's mean); files are compared when loaded.
        X = getattr(loader.dataset, "X", None)
        shape = X.shape[1:] if isinstance(X, np.ndarray) else np.shape(loader.dataset[0][0])
        check_same(
            (loader.n_samples, loader.batch_size, shape),
            lambda v: f"{v[0]} samples of shape {v[2]} in batches of {v[1]}",
            "training data",
        )
        if loader.batch_size < self.size:
            raise ValueError(
                f"batch_size {loader.batch_size} is smaller than the {self.size} processes; "
                f"each needs at least one sample of every batch"
            )
        self._sum = getattr(loss, "reduction", "mean") == "sum"
        self.broadcast(model)
        loader.load_state_dict(allgather(loader.state_dict(), "start training")[0])
        self._loader = ShardedLoader(loader, self.rank, self.size)
        return self._loader

    def broadcast(self, model, buffers_only: bool = False) -> None:
        """Copy process 0's parameters and buffers into every process's ``model``."""
        arrays = [] if buffers_only else [p.data for p in model.parameters()]
        arrays += list(model.buffers())
        if not arrays:
            return
        flat = _FlatBuffer(arrays, extra=0)
        flat.pack(arrays)
        broadcast(flat.data, what="receive process 0's weights")
        for array, view in zip(arrays, flat.views(), strict=True):
            # Integer buffers (BatchNorm's batch count) travel exactly as float64.
            backend.xp_of(array).copyto(array, backend.asarray(view, array), casting="unsafe")

    def reduce(self, optimizer, cost: float, rows: int) -> tuple[float, int]:
        """Sum the weighted gradients of every process with one in-place Allreduce.

        ``rows`` are the samples of this process's share of the batch. Afterwards each
        parameter's ``.grad`` is a view of the flat buffer holding the whole batch's
        gradient (None if no process had one). Returns the whole batch's cost and size.

        The buffer is in host memory: on a GPU each step copies the gradients to the host
        and the sum back (twice 4 bytes per parameter over the bus, about 1 MB for the
        MLP 784-256-128-10, and one wait for the GPU), since MPI here is not CUDA-aware.
        """
        parameters = [p for group in optimizer.param_groups for p in group["params"]]
        batch = self._batch_size(rows)
        weight = 1.0 if self._sum else rows / batch
        grads = [p.grad for p in parameters]
        flat = self._grads
        if flat is None or not flat.fits(parameters):
            flat = _FlatBuffer([p.data for p in parameters], extra=1 + len(parameters))
            self._grads = flat
        flat.pack(grads, weight)
        tail = flat.tail
        tail[0] = cost * weight
        for i, grad in enumerate(grads, 1):
            tail[i] = grad is not None
        allreduce(flat.data, "sum", "sum the gradients of a batch")
        for p, view, present in zip(parameters, flat.views(), tail[1:], strict=False):
            if not present:
                p.grad = None
            else:
                p.grad = view if view.dtype == p.data.dtype else view.astype(p.data.dtype)
                if type(p.data) is not np.ndarray:  # a GPU's parameter: the sum goes back there
                    p.grad = backend.asarray(p.grad, p.data)
        return float(tail[0]), batch

    def agree(self, *flags: bool) -> tuple[bool, ...]:
        """One small Allreduce: every process stops if one of them does."""
        return agree(*flags)

    def allgather(self, value) -> list:
        return allgather(value, "share the epoch's predictions")

    def evaluation(self, loader, model):
        """This process's contiguous part of the validation rows; the buffers
        (BatchNorm's running averages) of process 0 first."""
        self.broadcast(model, buffers_only=True)
        return RowShare(loader, self.rank, self.size)

    def gather(self, *arrays):
        parts = allgather(arrays, "share the validation outputs")
        joined = []
        for column in zip(*parts, strict=True):
            present = [a for a in column if a is not None]
            joined.append(np.concatenate(present) if present else None)
        return tuple(joined)

    def _batch_size(self, rows: int) -> int:
        """The whole batch's size: known to the sharded loader, or summed over processes
        when ``train_step`` is called outside ``fit``."""
        loader = self._loader
        if loader is not None and loader.in_epoch:
            return loader.global_batch
        return int(allreduce(np.array([rows], dtype=np.int64), "sum", "count a batch")[0])


class _FlatBuffer:
    """One contiguous array holding several arrays back to back, and ``extra`` slots."""

    def __init__(self, arrays: list[np.ndarray], extra: int):
        self.shapes = [a.shape for a in arrays]
        self.sizes = [a.size for a in arrays]
        dtype = np.result_type(*(a.dtype for a in arrays)) if arrays else np.float64
        total = sum(self.sizes)
        self.data = np.zeros(total + extra, dtype=dtype)
        self.tail = self.data[total:]
        self._views = []
        start = 0
        for shape, size in zip(self.shapes, self.sizes, strict=True):
            self._views.append(self.data[start : start + size].reshape(shape))
            start += size

    def fits(self, parameters) -> bool:
        return len(parameters) == len(self.shapes) and all(
            p.data.shape == s for p, s in zip(parameters, self.shapes)
        )

    def views(self) -> list[np.ndarray]:
        return self._views

    def pack(self, arrays, weight: float = 1.0) -> None:
        """Copy ``arrays`` (None: zeros) into the buffer, multiplied by ``weight``."""
        for array, view in zip(arrays, self._views, strict=True):
            if array is not None and type(array) is not np.ndarray:
                array = backend.to_host(array)  # MPI sends host memory
            if array is None:
                view.fill(0)
            elif weight == 1.0:
                np.copyto(view, array, casting="same_kind")
            else:
                np.multiply(array, weight, out=view, casting="same_kind")
