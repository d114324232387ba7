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

It holds plain collectives (:func:`allreduce`, :func:`allgather`, :func:`broadcast`,
:func:`agree`, :func:`check_same`, :func:`together`) and the data-parallel step
(:class:`DataParallel`; :class:`SingleProcess` is the Trainer's default), and knows
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

No process waits forever. An uncaught exception ends the whole job (:func:`init` makes
it call MPI_Abort). Every collective here waits at most ``timeout`` seconds (``init``'s,
or ``$DESCEND_MPI_TIMEOUT``, 600 by default), then ends the job with one line naming
the collective: a process that catches an exception inside ``fit`` and goes on stops
the others after the timeout. Not bounded: MPI's own waits, in calls you make on the
communicator yourself (``init().Barrier()``) and in MPI_Finalize at exit.
"""

from __future__ import annotations

import os
import pickle
import sys
import time
from contextlib import contextmanager

import numpy as np

from descend import backend
from descend.data.loader import DataLoader
from descend.data.shard import RowShare, ShardedLoader

TIMEOUT_VARIABLE = "DESCEND_MPI_TIMEOUT"
_LAUNCHER_SIZE = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")
_LAUNCHER_RANK = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "MV2_COMM_WORLD_RANK")
_comm = None
_MPI = None
_timeout = 600.0


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


def init(timeout: float | None = None):
    """Join the MPI job this process was started in; returns its communicator.

    Calling it again changes only the ``timeout``. In a job of several processes, an
    uncaught exception then ends every process (MPI_Abort) after printing its traceback.

    Parameters
    ----------
    timeout : float, optional
        Seconds a collective of this module waits for the other processes before it
        ends the job; default ``$DESCEND_MPI_TIMEOUT``, else 600.

    Raises
    ------
    ImportError
        Without mpi4py, with the line that installs it.
    """
    global _comm, _MPI, _timeout
    if timeout is None and _comm is None:
        timeout = float(os.environ.get(TIMEOUT_VARIABLE) or _timeout)
    if timeout is not None:
        if not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        _timeout = float(timeout)
    if _comm is None:
        try:
            from mpi4py import MPI
        except ImportError:
            from descend.extras import install_command

            raise ImportError(
                f"descend.distributed needs mpi4py and an MPI library: {install_command('mpi')}"
            ) from None
        _MPI, _comm = MPI, MPI.COMM_WORLD
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
    """The strategy for a Trainer made in this process (``Trainer(parallel=...)``):
    :class:`DataParallel` after :func:`init` in a job of several processes, else
    :class:`SingleProcess`."""
    return DataParallel() if world_size() > 1 else SingleProcess()


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
    if message:  # mpiexec forwards stderr through a pipe: give it time to pass it on
        time.sleep(0.25)
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stderr.fileno())
    _comm.Abort(code)


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


# -- collectives: every process calls them, in the same order ------------------------
def _wait(request, what: str) -> None:
    """Wait for a non-blocking collective, at most the timeout; then end the job."""
    if request.Test():
        return
    start = time.monotonic()
    pause = 0.0
    while not request.Test():
        waited = time.monotonic() - start
        if waited > _timeout:
            abort(
                f"descend.distributed: process {rank()} waited {_timeout:g} s for the other "
                f"processes to {what}; one of them stopped taking part (an exception caught "
                f"inside fit, or an early return?). Ending the job "
                f"(set {TIMEOUT_VARIABLE} for longer waits)",
                1,
            )
        if waited > 1e-3:  # spin for the first millisecond: a step's Allreduce is short
            time.sleep(pause)
            pause = min(2 * pause or 1e-5, 0.01)


def allreduce(array: np.ndarray, op: str = "sum", what: str = "sum an array") -> np.ndarray:
    """``array`` replaced in place by its elementwise sum (or ``"max"``) over processes."""
    if world_size() > 1:
        mpi_op = {"sum": _MPI.SUM, "max": _MPI.MAX}[op]
        _wait(_comm.Iallreduce(_MPI.IN_PLACE, array, op=mpi_op), what)
    return array


def broadcast(array: np.ndarray, root: int = 0, what: str = "receive a broadcast") -> np.ndarray:
    """``array`` filled in place, in every process, with process ``root``'s."""
    if world_size() > 1:
        _wait(_comm.Ibcast(array, root=root), what)
    return array


def allgather(value, what: str = "share a value") -> list:
    """Every process's ``value`` (any picklable object), in process order."""
    if world_size() == 1:
        return [value]
    data = np.frombuffer(pickle.dumps(value), np.uint8)
    sizes = np.zeros(world_size(), dtype=np.int64)
    sizes[rank()] = len(data)
    allreduce(sizes, "sum", what)
    received = np.empty(int(sizes.sum()), np.uint8)
    offsets = np.r_[0, np.cumsum(sizes)[:-1]]
    _wait(_comm.Iallgatherv(data, [received, sizes, offsets, _MPI.BYTE]), what)
    return [pickle.loads(received[o : o + s].tobytes()) for o, s in zip(offsets, sizes)]


def agree(*flags: bool, what: str = "agree on stopping") -> tuple[bool, ...]:
    """Each flag, true in every process if it is true in any (one small Allreduce)."""
    if world_size() == 1:
        return tuple(bool(f) for f in flags)
    values = allreduce(np.array(flags, dtype=np.int32), "max", what)
    return tuple(bool(v) for v in values)


def check_same(value, describe=str, what: str = "data") -> None:
    """Raise a ValueError in every process unless every process holds an equal ``value``.

    The message names the first process whose value differs from process 0's, with both
    (as ``describe`` gives them): ``process 1 holds different data than process 0:
    110 rows ..., against 150 rows ...``.
    """
    values = allgather(value, f"compare their {what}")
    for other, theirs in enumerate(values):
        if theirs != values[0]:
            raise ValueError(
                f"process {other} holds different {what} than process 0: "
                f"{describe(theirs)}, against {describe(values[0])}; every process must "
                f"read the same {what}"
            )


@contextmanager
def together(what: str = "finish loading"):
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
    found = allgather(None if error is None else (type(error), str(error)), what)
    first = next((e for e in found if e is not None), None)
    if first is None:
        return
    kind, message = first
    if error is None or (type(error), str(error)) != first:
        try:
            error = kind(message)
        except Exception:  # noqa: BLE001 - an exception type that takes other arguments
            error = RuntimeError(message)
    error.shared = True
    raise error


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
