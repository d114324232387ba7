"""``ds.cuda``: whether descend can compute on an NVIDIA GPU, as ``torch.cuda``.

CUDA needs CuPy (the extra ``descend[cuda12]`` or ``descend[cuda13]``) and a GPU.
Neither question ever raises: without CuPy or without a GPU the answers are False and 0.

Examples
--------
>>> ds.cuda.is_available() in (True, False)
True
"""

from __future__ import annotations

from descend import backend


def is_available() -> bool:
    """True when CuPy is installed and sees at least one GPU."""
    return backend.cuda_available()


def device_count() -> int:
    """The number of GPUs CuPy sees (0 without CuPy or without a GPU)."""
    return backend.cuda_device_count()


def synchronize() -> None:
    """Wait until the current GPU has finished its queued work (for timing); no-op without one."""
    if is_available():
        backend.device("cuda").kind.synchronize()
