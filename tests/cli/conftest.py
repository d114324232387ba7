import contextlib
import io
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from descend.cli import main


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def descend(*args, cwd, check=False) -> Result:
    """Run ``descend ARGS`` in this process, in folder ``cwd``, as the console would:
    the exit status (argparse's SystemExit included) and what it printed."""
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                returncode = main([str(a) for a in args])
            except SystemExit as end:  # --help, and argparse's own usage errors
                returncode = end.code if isinstance(end.code, int) else 1
    finally:
        os.chdir(here)
    result = Result(returncode, out.getvalue(), err.getvalue())
    if check and result.returncode != 0:
        raise AssertionError(f"descend {' '.join(map(str, args))} failed:\n{result.stderr}")
    return result


def descend_process(*args, cwd, timeout=300, check=False):
    """Run the real ``descend`` command in a subprocess (for signals and the entry point)."""
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


@pytest.fixture(autouse=True)
def _no_debug(monkeypatch):
    """Errors end as one line on stderr, as for a user without DESCEND_DEBUG."""
    monkeypatch.delenv("DESCEND_DEBUG", raising=False)


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    """A small finished run on digits, shared by the read-only tests of a module."""
    cwd = tmp_path_factory.mktemp("digits_run")
    descend("train", "--epochs", "3", "--out", "run", "--quiet", cwd=cwd, check=True)
    return cwd / "run"


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
