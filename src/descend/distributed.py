"""Data parallelism over MPI: P processes train one model, each on its share of every batch.

Launch the processes with ``mpiexec -n P python train.py`` (``pip install
'descend[mpi]'`` installs mpi4py and MPICH, whose ``mpiexec`` lands in the virtual
environment); each calls :func:`init` first and then trains as it would alone::

    import descend as ds

    ds.distributed.init()            # before making the Trainer
    X, y = ds.data.load_digits()
    model = ds.models.MLP([64, 128, 10])
    trainer = ds.Trainer(model, ds.nn.CrossEntropyLoss(), ds.optim.Adam(model.parameters()))
    history = trainer.fit(X, y, epochs=10, batch_size=128)   # 128: the global batch

One update with P processes and a global batch of B samples:

1. every process draws the same shuffled order, takes its contiguous slice of the batch
   (B // P rows, one more in the first B % P processes) and reads only those rows;
2. forward pass and backpropagation on the slice: the gradient of the slice's mean cost;
3. the gradients go into one flat buffer, each process's scaled by its share n / B of
   the batch, and one in-place Allreduce sums them: every process then holds the
   gradient of the whole batch's mean cost, the one a single process computes;
4. every process takes the same optimizer step, so the weights stay equal everywhere.

The weights are broadcast from process 0 when training starts. Each batch's cost
travels with its gradients; the epoch's targets and predictions are gathered at its
end and the validation rows are shared out, so every process keeps the History one
process would keep and its callbacks decide alike (early stopping, convergence,
divergence). A stop or an interruption in any process is agreed on by all after every
batch (a second, 8-byte Allreduce). Only process 0 prints and writes files.

BatchNorm normalises with each process's own batch statistics, as PyTorch's
DistributedDataParallel without SyncBatchNorm does, so with BatchNorm an update is not
the single-process one; the running averages of process 0 are used for validation.
A loss with class weights is averaged by sample counts, not by weights.

A process that raises ends the whole job (:func:`init` makes an uncaught exception
call MPI_Abort), so none waits forever for a partner that is gone.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager

import numpy as np

from descend.data.loader import DataLoader
from descend.data.npy import NpyDataset
from descend.data.preprocessing import StandardScaler
from descend.data.shard import ShardedLoader, share

INSTALL_HINT = "pip install 'descend[mpi]'"
_LAUNCHER_SIZE = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")
_LAUNCHER_RANK = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "MV2_COMM_WORLD_RANK")
_comm = None


# -- the processes ------------------------------------------------------------------
def launched() -> int:
    """How many processes ``mpiexec`` started, from its environment (1 without it).

    It imports nothing, so a program can decide whether to :func:`init` for free.
    """
    return _from_launcher(_LAUNCHER_SIZE, 1)


def _from_launcher(names: tuple, default: int) -> int:
    for name in names:
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    return default


def init():
    """Join the MPI job this process was started in; returns its communicator.

    Calling it again does nothing more. In a job of several processes, an uncaught
    exception then ends every process (MPI_Abort) after printing its traceback.

    Raises
    ------
    ImportError
        Without mpi4py, with the line that installs it.
    """
    global _comm
    if _comm is None:
        try:
            from mpi4py import MPI
        except ImportError:
            raise ImportError(
                f"descend.distributed needs mpi4py and an MPI library: {INSTALL_HINT}"
            ) from None
        _comm = MPI.COMM_WORLD
        if _comm.Get_size() > 1:
            _abort_on_uncaught_exception(_comm)
    return _comm


def rank() -> int:
    """This process's number, 0 to ``world_size() - 1`` (0 before :func:`init`)."""
    return 0 if _comm is None else _comm.Get_rank()


def world_size() -> int:
    """The number of processes training together (1 before :func:`init`)."""
    return 1 if _comm is None else _comm.Get_size()


def is_main() -> bool:
    """Whether this is process 0, the one that prints and writes files (before
    :func:`init`: whether ``mpiexec`` started it as process 0, or without it)."""
    return rank() == 0 if _comm is not None else _from_launcher(_LAUNCHER_RANK, 0) == 0


def strategy():
    """How a new Trainer trains: :class:`DataParallel` after :func:`init` in a job of
    several processes, else :class:`SingleProcess`."""
    return DataParallel(_comm) if world_size() > 1 else SingleProcess()


def abort(message: str | None = None, code: int = 1) -> None:
    """End every process of the job with exit status ``code``; this one prints ``message``.

    For an error found by one process alone: the others are stopped wherever they wait.
    """
    if message is not None:
        print(message, file=sys.stderr, flush=True)
    if _comm is None or _comm.Get_size() == 1:
        raise SystemExit(code)
    # MPI_Abort announces itself on stderr; the message above is the one that matters.
    sys.stdout.flush()
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stderr.fileno())
    _comm.Abort(code)


@contextmanager
def together():
    """A block that every process runs, whose errors every process raises.

    Loading and checking data is done in each process; if any of them fails, all raise
    the error of the lowest-numbered failing process (its type and message, with
    ``shared = True``), so the job ends with one message (printed by process 0) instead
    of some processes waiting for others. Without a job of several processes it does
    nothing.
    """
    if world_size() == 1:
        yield
        return
    error = None
    try:
        yield
    except Exception as caught:  # noqa: BLE001 - every failure must reach every process
        error = caught
    _gather(None, error)


def _gather(value, error: Exception | None = None) -> list:
    """Every process's ``value``, in process order; or, if any process had an ``error``,
    the first of them raised in all (a collective that fails together, never half)."""
    found = _comm.allgather((value, None if error is None else (type(error), str(error))))
    first = next((e for _, e in found if e is not None), None)
    if first is None:
        return [v for v, _ in found]
    kind, message = first
    if error is None or (type(error), str(error)) != first:
        try:
            error = kind(message)
        except Exception:  # noqa: BLE001 - an exception type that takes other arguments
            error = RuntimeError(message)
    error.shared = True
    raise error


def fit_scaler(data: NpyDataset, chunk_bytes: int = 32 << 20) -> StandardScaler:
    """Standardisation statistics of ``data``'s features in one streaming pass, shared out:
    each process reads its part of the rows, then the parts' statistics are merged, so
    every process gets the same scaler (one process reads all rows). A bad value found
    by one process is raised in all."""
    mine = share(len(data), rank(), world_size())
    scaler = error = None
    try:
        if mine.stop > mine.start:
            scaler = StandardScaler().fit_batches(data.chunks(mine, chunk_bytes))
    except ValueError as bad:
        if world_size() == 1:
            raise
        error = bad
    if world_size() == 1:
        return scaler
    merged = None
    for part in _gather(scaler, error):  # in process order: the same sums everywhere
        if part is not None:
            merged = part if merged is None else merged.merge(part)
    return merged


def _abort_on_uncaught_exception(comm) -> None:
    previous = sys.excepthook

    def hook(kind, value, traceback):
        previous(kind, value, traceback)
        sys.stderr.flush()
        # mpiexec forwards each process's stderr through a pipe of its own; give it a
        # moment to pass the traceback on before MPI_Abort ends every process.
        time.sleep(0.25)
        comm.Abort(1)

    sys.excepthook = hook


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

    def agree(self, stop: bool, interrupted: bool) -> tuple[bool, bool]:
        """After a batch or an epoch: the stop flags every process goes by."""
        return stop, interrupted

    def share_scores(self, scores) -> None:
        """Give ``scores`` (RunningScores) the targets and predictions of every process."""

    def evaluation(self, loader, model):
        """The part of the validation loader this process evaluates (all of it)."""
        return loader

    def gather(self, outputs, targets):
        """The validation outputs and targets of every process, in order."""
        return outputs, targets


class DataParallel(SingleProcess):
    """Training shared by the processes of an MPI communicator (see the module's notes).

    Parameters
    ----------
    comm : mpi4py.MPI.Comm
        Usually ``init()``'s ``COMM_WORLD``.
    """

    def __init__(self, comm):
        from mpi4py import MPI

        self._MPI = MPI
        self.comm = comm
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        self.is_main = self.rank == 0
        self._loader: ShardedLoader | None = None
        self._sum = False
        self._grads: _FlatBuffer | None = None
        self._flags = np.zeros(2, dtype=np.int32)

    def start(self, model, loss, loader):
        """Broadcast process 0's weights and shuffling state; shard ``loader``."""
        if not isinstance(loader, DataLoader):
            raise TypeError(
                f"data-parallel training needs a DataLoader, got {type(loader).__name__}"
            )
        if loader.batch_size < self.size:
            raise ValueError(
                f"batch_size {loader.batch_size} is smaller than the {self.size} processes; "
                f"each needs at least one sample of every batch"
            )
        self._sum = getattr(loss, "reduction", "mean") == "sum"
        self.broadcast(model)
        loader.load_state_dict(self.comm.bcast(loader.state_dict(), root=0))
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
        self.comm.Bcast(flat.data, root=0)
        for array, view in zip(arrays, flat.views(), strict=True):
            # Integer buffers (BatchNorm's batch count) travel exactly as float64.
            np.copyto(array, view, casting="unsafe")

    def reduce(self, optimizer, cost: float, rows: int) -> tuple[float, int]:
        """Sum the weighted gradients of every process with one in-place Allreduce.

        ``rows`` are the samples of this process's share of the batch. Afterwards each
        parameter's ``.grad`` is a view of the flat buffer holding the whole batch's
        gradient (None if no process had one). Returns the whole batch's cost and size.
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
        self.comm.Allreduce(self._MPI.IN_PLACE, flat.data, op=self._MPI.SUM)
        for p, view, present in zip(parameters, flat.views(), tail[1:], strict=False):
            if not present:
                p.grad = None
            else:
                p.grad = view if view.dtype == p.data.dtype else view.astype(p.data.dtype)
        return float(tail[0]), batch

    def agree(self, stop: bool, interrupted: bool) -> tuple[bool, bool]:
        """One small Allreduce: every process stops if one of them does."""
        flags = self._flags
        flags[0], flags[1] = stop, interrupted
        self.comm.Allreduce(self._MPI.IN_PLACE, flags, op=self._MPI.MAX)
        return bool(flags[0]), bool(flags[1])

    def share_scores(self, scores) -> None:
        """Put every process's targets and predictions of each batch since the last
        call into ``scores``, in the order of the whole batch (at the end of an epoch,
        and before an interrupted one is saved): all processes then hold the lists one
        process would."""
        if not scores.keep_outputs:
            return
        start = scores.shared
        parts = self.comm.allgather((scores.targets[start:], scores.predictions[start:]))
        for b in range(len(scores.targets) - start):
            targets = [t[b] for t, _ in parts if len(t[b])]
            predictions = [p[b] for _, p in parts if p[b] is not None]
            scores.targets[start + b] = np.concatenate(targets)
            scores.predictions[start + b] = np.concatenate(predictions)
        scores.shared = len(scores.targets)

    def evaluation(self, loader, model):
        """This process's contiguous part of the validation rows; the buffers
        (BatchNorm's running averages) of process 0 first."""
        self.broadcast(model, buffers_only=True)
        return _RowShare(loader, self.rank, self.size)

    def gather(self, outputs, targets):
        parts = self.comm.allgather((outputs, targets))
        outputs = [o for o, _ in parts if o is not None]
        targets = [t for _, t in parts if t is not None]
        return np.concatenate(outputs), (np.concatenate(targets) if targets else None)

    def _batch_size(self, rows: int) -> int:
        """The whole batch's size: known to the sharded loader, or summed over processes
        when ``train_step`` is called outside ``fit``."""
        loader = self._loader
        if loader is not None and loader.in_epoch:
            return loader.global_batch
        count = np.array([rows], dtype=np.int64)
        self.comm.Allreduce(self._MPI.IN_PLACE, count, op=self._MPI.SUM)
        return int(count[0])


class _FlatBuffer:
    """One contiguous array holding several arrays back to back, and ``extra`` slots."""

    def __init__(self, arrays: list[np.ndarray], extra: int):
        self.shapes = [a.shape for a in arrays]
        self.sizes = [a.size for a in arrays]
        dtype = np.result_type(*arrays) if arrays else np.float64
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
            if array is None:
                view.fill(0)
            elif weight == 1.0:
                np.copyto(view, array, casting="same_kind")
            else:
                np.multiply(array, weight, out=view, casting="same_kind")


class _RowShare:
    """The batches of a contiguous part of a loader's rows, one process's share."""

    def __init__(self, loader: DataLoader, rank: int, size: int):
        self.loader = loader
        self.rows = share(loader.n_samples, rank, size)

    def __iter__(self):
        b = self.loader.batch_size
        for start in range(self.rows.start, self.rows.stop, b):
            yield self.loader.fetch(slice(start, min(start + b, self.rows.stop)))
