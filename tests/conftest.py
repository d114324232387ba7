import numpy as np
import pytest

import descend as ds
from descend.extras import install_command
from tests import strict


@pytest.fixture(autouse=True)
def _fresh_defaults():
    """Every test starts with float32 as default dtype, grad mode on and a fixed seed."""
    ds.set_default_dtype(np.float32)
    ds.manual_seed(0)
    yield
    ds.set_default_dtype(np.float32)


@pytest.fixture
def float64():
    """Make float64 the default dtype for the test (exact gradient checks)."""
    ds.set_default_dtype(np.float64)
    yield


# -- devices ------------------------------------------------------------------------------
# CI has no GPU: the strict device (tests/strict.py) stands in for one there, refusing
# implicit conversion to NumPy as CuPy does. CUDA runs where CuPy and a GPU exist.
strict.register()
DEVICES = ["cpu", "strict", "cuda"]
NO_CUDA = f"CUDA: no GPU with CuPy on this machine ({install_command('cuda12')} on one)"


@pytest.fixture(params=DEVICES)
def device(request) -> str:
    """Each device this machine has: 'cpu', 'strict' (the CI stand-in for a GPU), 'cuda'."""
    if request.param == "cuda" and not ds.cuda.is_available():
        pytest.skip(NO_CUDA)
    return request.param


@pytest.fixture(params=DEVICES[1:])
def accelerator(request) -> str:
    """Each device other than the CPU: 'strict' everywhere, 'cuda' where there is a GPU."""
    if request.param == "cuda" and not ds.cuda.is_available():
        pytest.skip(NO_CUDA)
    return request.param
