import numpy as np
import pytest

import descend as ds


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
