"""Keep freed memory in the process, so that a training step's large temporaries do not
page-fault every time.

Each step of a CNN makes the same multi-megabyte arrays again (im2col matrices, their
gradients, activations). glibc's malloc serves blocks above a threshold with fresh
pages from the operating system and hands free memory at the top of its heap back;
the next step then pays one page fault per 4 KiB it touches. glibc raises those
thresholds by itself after the first large free, but other code in the process can
leave it in the costly state: after a PyTorch training run in the same process,
LeNet-5 took 2.7 s instead of 2.0 s per 10,000 samples here, with over 100,000 page
faults where there had been none.

When training starts (a ``Trainer`` is made: the command, ``lr_find``, the landscapes
and the estimators all make one), descend sets the two thresholds to values that keep
blocks up to 32 MiB in the heap and let up to 128 MiB of free heap stay mapped; a loop
of your own can call :func:`keep_freed_memory` itself. Importing descend changes
nothing: set after another library has disturbed malloc, the thresholds work as well
as set before it (measured: LeNet-5 epochs after PyTorch epochs in one process took
8-850 page faults with the setting made at import or made after PyTorch ran, and
2,000-42,000 without it). The peak memory is the same;
what changes is that freed memory is not returned to the system at once. Nothing is
changed when malloc is not glibc's, when the ``MALLOC_MMAP_THRESHOLD_`` or
``MALLOC_TRIM_THRESHOLD_`` environment variables already choose, or when
``DESCEND_KEEP_MALLOC=1`` asks to keep malloc's own settings.
"""

from __future__ import annotations

import ctypes
import os
import platform

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # glibc's largest allowed value
TRIM_THRESHOLD = 128 << 20


_kept = False


def keep_freed_memory() -> bool:
    """Set glibc's mmap and trim thresholds (see the module docstring); True if set.

    Once set, later calls return True at once.
    """
    global _kept
    if _kept:
        return True
    if os.environ.get("DESCEND_KEEP_MALLOC") == "1":
        return False
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    _kept = bool(
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
    return _kept
