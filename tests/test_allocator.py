"""descend keeps freed memory in glibc's heap instead of page-faulting it back each step."""

import os
import platform
import subprocess
import sys

import pytest

from descend import allocator
from descend.allocator import keep_freed_memory

glibc = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="needs glibc"
)

# Pins glibc's mmap threshold at its 128 KiB default, as other code in a process can
# leave it, imports descend (and makes a Trainer, when training starts), then allocates,
# fills and frees a 4 MiB block 200 times and prints the page faults taken.
FAULTS = """
import ctypes, resource, sys
import numpy as np
ctypes.CDLL(None).mallopt(-3, 128 << 10)
import descend as ds
if sys.argv[1] == "train":
    model = ds.nn.Linear(2, 1)
    ds.Trainer(model, ds.nn.MSELoss(), ds.optim.SGD(model.parameters(), lr=0.1), verbose=0)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(200):
    np.ones(1 << 20, np.float32)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def page_faults(when: str, **env) -> int:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    environ.update(env)
    done = subprocess.run(
        [sys.executable, "-c", FAULTS, when],
        capture_output=True,
        text=True,
        env=environ,
        check=True,
    )
    return int(done.stdout)


@glibc
def test_opt_outs_are_respected(monkeypatch):
    monkeypatch.setattr(allocator, "_kept", False)  # a Trainer of another test may have set it
    monkeypatch.setenv("DESCEND_KEEP_MALLOC", "1")
    assert keep_freed_memory() is False
    monkeypatch.delenv("DESCEND_KEEP_MALLOC")
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    assert keep_freed_memory() is False
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_")
    assert keep_freed_memory() is True


@glibc
def test_a_reallocated_block_does_not_fault_again_once_training_starts():
    # Left at 128 KiB, every 4 MiB block comes fresh from the system and faults in
    # ~1,000 pages; with descend's setting, made when a Trainer is made (after the
    # threshold was disturbed), it stays in the heap.
    assert page_faults("train", DESCEND_KEEP_MALLOC="1") > 100_000
    assert page_faults("train") < 1_000


@glibc
def test_importing_descend_leaves_malloc_alone():
    assert page_faults("import") > 100_000
