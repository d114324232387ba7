"""The processes of an MPI job and the collectives they call together.

:func:`init` joins the job; :func:`rank`, :func:`world_size`, :func:`is_main` and
:func:`launched` say who is who; :func:`allreduce`, :func:`broadcast`, :func:`allgather`,
:func:`agree`, :func:`check_same` and :func:`together` are collectives that every
process calls in the same order. They carry no domain logic:
``descend.distributed`` (which re-exports these names) builds the Trainer's
data-parallel step on them.

No process waits forever. An uncaught exception ends the whole job (:func:`init` makes
it call MPI_Abort). Every collective here waits at most ``timeout`` seconds (``init``'s,
or ``$DESCEND_MPI_TIMEOUT``, 600 by default), then ends the job with one line naming
the collective: a process that catches an exception inside ``fit`` and goes on stops
the others after the timeout. Not bounded: MPI's own waits, in calls you make on the
communicator yourself (``init().Barrier()``) and in MPI_Finalize at exit.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager

import numpy as np

TIMEOUT_VARIABLE = "DESCEND_MPI_TIMEOUT"
_LAUNCHER_SIZE = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")
_LAUNCHER_RANK = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "MV2_COMM_WORLD_RANK")
_comm = None
_MPI = None
_timeout = 600.0
_watchdog = None


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
    global _comm, _MPI, _timeout, _watchdog
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
            _watchdog = _Watchdog()
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
class _Watchdog:
    """Ends the job when a collective has waited longer than the timeout.

    The collectives themselves are MPI's blocking ones (a step's Allreduce stays as fast
    as MPI makes it; mpi4py releases the GIL while it waits), and a daemon thread looks
    every so often at what the main thread waits for and since when.
    """

    def __init__(self):
        self.waiting: tuple[str, float] | None = None
        threading.Thread(target=self._watch, name="descend-mpi-watchdog", daemon=True).start()

    def _watch(self) -> None:
        while True:
            time.sleep(min(1.0, _timeout / 10))
            waiting = self.waiting
            if waiting is not None and time.monotonic() - waiting[1] > _timeout:
                abort(
                    f"descend.distributed: process {rank()} waited {_timeout:g} s for the "
                    f"other processes to {waiting[0]}; one of them stopped taking part (an "
                    f"exception caught inside fit, or an early return?). Ending the job "
                    f"(set {TIMEOUT_VARIABLE} for longer waits)",
                    1,
                )


@contextmanager
def _bounded(what: str):
    """The wait of a collective: watched, so that it ends after the timeout."""
    _watchdog.waiting = (what, time.monotonic())
    try:
        yield
    finally:
        _watchdog.waiting = None


def allreduce(array: np.ndarray, op: str = "sum", what: str = "sum an array") -> np.ndarray:
    """``array`` replaced in place by its elementwise sum (or ``"max"``) over processes."""
    if world_size() > 1:
        with _bounded(what):
            _comm.Allreduce(_MPI.IN_PLACE, array, op={"sum": _MPI.SUM, "max": _MPI.MAX}[op])
    return array


def broadcast(array: np.ndarray, root: int = 0, what: str = "receive a broadcast") -> np.ndarray:
    """``array`` filled in place, in every process, with process ``root``'s."""
    if world_size() > 1:
        with _bounded(what):
            _comm.Bcast(array, root=root)
    return array


def allgather(value, what: str = "share a value") -> list:
    """Every process's ``value`` (any picklable object, pickled between the processes
    of the job), in process order."""
    if world_size() == 1:
        return [value]
    with _bounded(what):
        return _comm.allgather(value)


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
