"""Writing files safely: atomically (a temporary file beside the target, then a rename),
and into a folder that one process at a time holds.

An interrupted write (Ctrl-C, a full disk, a crash) leaves the old file, never half
a new one. A process killed mid-write (SIGKILL) leaves its temporary file, which the next
holder of the folder removes.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = ".lock"


class FolderInUse(OSError):
    """Another process holds the folder (see :func:`locked_folder`): ``holder`` says
    which (``process 1234``)."""

    def __init__(self, folder: Path, holder: str):
        super().__init__(f"{folder} is in use by {holder}")
        self.folder, self.holder = folder, holder


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", **open_kwargs):
    """Open a temporary file for writing; on success it replaces ``path`` in one step.

    An OSError without a file name (a full disk found by ``write`` or ``fsync``) is given
    ``path`` as its file name, so that its message says where.

    Examples
    --------
    >>> with atomic_write("metrics.json") as f:
    ...     _ = f.write('{"loss": 0.25}')
    >>> open("metrics.json").read()
    '{"loss": 0.25}'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **open_kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException as error:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(error, OSError) and error.filename is None:
            error.filename = str(path)
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_write(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def _temporary_files(folder: Path, names: Iterable[str]) -> list[Path]:
    """The temporary files of :func:`atomic_write` for the files ``names`` in ``folder``
    (``.NAME.XXXXXXXX.tmp``: mkstemp's eight random characters)."""
    alternatives = "|".join(re.escape(name) for name in names)
    pattern = re.compile(rf"\.(?:{alternatives})\.[a-z0-9_]{{8}}\.tmp")
    return [p for p in folder.glob(".*.tmp") if pattern.fullmatch(p.name)]


@contextmanager
def locked_folder(folder: str | os.PathLike, leftovers: Iterable[str] = ()) -> Iterator[Path]:
    """Hold ``folder`` for this process alone while the block runs.

    The folder (and its missing parents) is made, and an exclusive lock taken on its
    file ``.lock``, which names this process. While the lock is held no other writer of
    the files ``leftovers`` is at work, so their temporary files, left by a writer that
    was killed, are removed. On leaving, the lock file goes, and so do the folders made
    here if they are empty (a run that failed before writing anything leaves nothing).

    Raises
    ------
    FolderInUse
        When another process holds the folder; its message names the folder and the
        process.
    """
    import fcntl  # POSIX; imported here so that importing descend never needs it

    folder = Path(folder)
    made = [p for p in (folder, *folder.parents) if not p.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / LOCK_NAME
    try:
        while True:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 64).decode(errors="replace").strip() or "another process"
                os.close(fd)
                raise FolderInUse(folder, holder) from None
            # The last holder may have removed the file between our open and our lock:
            # then the lock is on a file no one else will find; take the new one.
            try:
                if os.stat(lock).st_ino == os.fstat(fd).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"process {os.getpid()}\n".encode())  # said to the next one
        for path in _temporary_files(folder, leftovers):
            path.unlink(missing_ok=True)
        try:
            yield folder
        finally:
            lock.unlink(missing_ok=True)  # while still held: no one locks a removed file
            os.close(fd)
    finally:
        for path in made:  # the folder first, then its parents
            try:
                path.rmdir()
            except OSError:  # not empty: something is kept there
                break
