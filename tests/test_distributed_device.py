"""Data parallelism with the model on a device: gradients meet in host memory (MPI here is
not CUDA-aware) and every process ends with one process's CPU weights."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import descend as ds
from tests import test_distributed
from tests.test_distributed import WORKERS, mpiexec

reference = test_distributed.reference  # the fixture: one process's weights


@pytest.mark.parametrize("device", ["strict", "cuda"])
def test_data_parallel_training_on_a_device_equals_one_process(device, reference, tmp_path):
    if device == "cuda" and not ds.cuda.is_available():
        pytest.skip("CUDA: no GPU with CuPy on this machine")
    done = mpiexec(2, sys.executable, WORKERS / "device_worker.py", tmp_path, device)
    assert done.returncode == 0, done.stderr
    weights, _ = reference
    for rank in range(2):
        mine = np.load(tmp_path / f"weights{rank}.npz")
        for name, expected in weights.items():
            np.testing.assert_allclose(mine[name], expected, rtol=1e-7, atol=1e-10)
