"""Data parallelism with the model on a device: gradients meet in host memory (MPI here is
not CUDA-aware) and every process ends with one process's CPU weights."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import descend as ds
from tests.test_distributed import WORKERS, mpiexec, single_process_reference


@pytest.fixture(scope="module")
def one_process():
    old = ds.get_default_dtype()
    try:
        return single_process_reference()
    finally:
        ds.set_default_dtype(old)


@pytest.mark.parametrize("device", ["strict", "cuda"])
def test_data_parallel_training_on_a_device_equals_one_process(device, one_process, tmp_path):
    if device == "cuda" and not ds.cuda.is_available():
        pytest.skip("CUDA: no GPU with CuPy on this machine")
    done = mpiexec(2, sys.executable, WORKERS / "device_worker.py", tmp_path, device)
    assert done.returncode == 0, done.stderr
    weights, _ = one_process
    for rank in range(2):
        mine = np.load(tmp_path / f"weights{rank}.npz")
        for name, expected in weights.items():
            np.testing.assert_allclose(mine[name], expected, rtol=1e-7, atol=1e-10)
