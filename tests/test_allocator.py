"""descend keeps freed memory in glibc's heap instead of page-faulting it back each step."""

import os
import platform
import subprocess
import sys

import pytest

from descend.allocator import keep_freed_memory

glibc = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="needs glibc"
)

# Pins glibc's mmap threshold at its 128 KiB default, as other code in a process can
# leave it, imports descend, then allocates, fills and frees a 4 MiB block 200 times
# and prints the page faults taken.
FAULTS = """
import ctypes, resource
import numpy as np
ctypes.CDLL(None).mallopt(-3, 128 << 10)
import descend
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(200):
    np.ones(1 << 20, np.float32)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def page_faults(**env) -> int:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    environ.update(env)
    done = subprocess.run(
        [sys.executable, "-c", FAULTS], capture_output=True, text=True, env=environ, check=True
    )
    return int(done.stdout)


@glibc
def test_opt_outs_are_respected(monkeypatch):
    monkeypatch.setenv("DESCEND_KEEP_MALLOC", "1")
    assert keep_freed_memory() is False
    monkeypatch.delenv("DESCEND_KEEP_MALLOC")
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    assert keep_freed_memory() is False
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_")
    assert keep_freed_memory() is True


@glibc
def test_a_reallocated_block_does_not_fault_again():
    # Left at 128 KiB, every 4 MiB block comes fresh from the system and faults in
    # ~1,000 pages; with descend's setting it stays in the heap.
    assert page_faults(DESCEND_KEEP_MALLOC="1") > 100_000
    assert page_faults() < 1_000
