import os
import subprocess
import sys
from pathlib import Path

import pytest


def descend(*args, cwd, timeout=300, check=False):
    """Run the real ``descend`` command in a subprocess."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("DESCEND_DEBUG", None)
    result = subprocess.run(
        [sys.executable, "-m", "descend", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"descend {' '.join(map(str, args))} failed:\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    """A small finished run on digits, shared by the read-only tests of a module."""
    cwd = tmp_path_factory.mktemp("digits_run")
    descend("train", "--epochs", "3", "--out", "run", "--quiet", cwd=cwd, check=True)
    return cwd / "run"


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
