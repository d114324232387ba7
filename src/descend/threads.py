"""How many threads NumPy's BLAS (the matrix products) uses, as PyTorch's settings.

By default a Trainer's fits and predictions use the threads that suit its model and the machine:

- each process its share of the machine's cores: under ``mpiexec -n P`` on one machine,
  the cores divided by the P processes there, so that P processes never start P times
  as many threads as there are cores;
- one thread for a small model, whose matrix products are too small to share out: the
  threads would cost more in waking and waiting than they save. OpenBLAS shares a
  product out by blocks of its result, and the largest result of a dense step is its
  largest weight's gradient: a model is small when that tensor is (:data:`SMALL_WEIGHTS`)
  or the step is (:data:`SMALL_STEP`); ``benchmarks/threads.py`` measures the
  crossover. A model with convolutions is never small:
  its kernels are applied at every output position, so their size says little of its work;
- never more than the process had before the fit (``OPENBLAS_NUM_THREADS=1``, an
  enclosing ``threadpoolctl.threadpool_limits`` still hold).

The load of the machine is not read: a load average counts this process's own earlier
work (the previous fit of ``descend compare``, the other side of an A/B) as someone
else's. On a machine that others keep busy, ``--threads 1`` or ``set_num_threads(1)``.

``set_num_threads(n)`` overrides both for every fit that follows, as ``--threads N``
does for one run. The threads are set through threadpoolctl, the library scikit-learn
uses for this.

>>> import descend as ds
>>> ds.set_num_threads(1)
>>> ds.get_num_threads()
1
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from threadpoolctl import ThreadpoolController

from descend.checks import positive_int

# Below these one thread was fastest (benchmarks/threads.py, 2 cores, load 1.7): the
# weights of the largest layer (MLPs of width 384, 147k weights: even; 512, 262k: 2
# threads 4% faster; 784-256-128-10 at batch 32, 200k: 8% faster), and the multiply-adds
# of its product with the batch (a batch of a few rows gains nothing from threads).
SMALL_WEIGHTS = 150_000
SMALL_STEP = 2_000_000
# How MPI launchers tell a process how many processes share its machine.
_LOCAL_SIZE = ("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE", "MV2_COMM_WORLD_LOCAL_SIZE")
_controller = None
_set_by_user: int | None = None


def _blas() -> ThreadpoolController:
    global _controller
    if _controller is None:  # it looks for the BLAS libraries NumPy has loaded
        import numpy  # noqa: F401

        _controller = ThreadpoolController().select(user_api="blas")
    return _controller


def set_num_threads(n: int) -> None:
    """Use ``n`` threads for matrix products from now on, in every fit (as
    ``torch.set_num_threads``)."""
    global _set_by_user
    positive_int(n, "the number of threads")
    _blas().limit(limits=n)
    _set_by_user = n


def get_num_threads() -> int:
    """The number of threads matrix products use now (as ``torch.get_num_threads``)."""
    return max((pool["num_threads"] for pool in _blas().info()), default=1)


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def local_processes() -> int:
    """How many processes of this MPI job run on this machine (1 without MPI)."""
    for name in _LOCAL_SIZE:
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return 1


def share() -> int:
    """This process's share of the machine's cores: cores / processes on the machine."""
    return max(1, cores() // local_processes())


def for_model(model, batch_size: int, threads: int | None = None) -> int:
    """The threads a Trainer's fit (or prediction) of ``model`` with batches of
    ``batch_size`` uses: ``threads`` if given, else the count :func:`set_num_threads`
    set, else one for a small model and, for a larger one, its :func:`share` or the
    threads it has now, whichever is fewer."""
    if threads is not None:
        return threads
    if _set_by_user is not None:
        return _set_by_user
    parameters = list(model.parameters())
    largest = max((p.data.size for p in parameters), default=0)
    convolutions = any(p.data.ndim > 2 for p in parameters)
    small = largest < SMALL_WEIGHTS or batch_size * largest < SMALL_STEP
    if small and not convolutions:
        return 1
    return max(1, min(share(), get_num_threads()))


@contextmanager
def limited(n: int):
    """Matrix products use ``n`` threads inside the ``with`` block, as before after it."""
    with _blas().limit(limits=n):
        yield
