"""Writing files safely: checked before the work, written atomically, never half there.

Every file ncdvision writes goes through :func:`atomic_write`: the content goes to a temp file
beside the target, which is renamed over it at the end, so a crash or Ctrl-C never leaves a
half-written file, and a temp file never outlives the call. Rules:

- ``"-"`` means standard output (no temp file).
- A symbolic link is followed: the link stays, its target is replaced atomically.
- A target that exists and is not a regular file (a folder, ``/dev/stdout``, a pipe, a device)
  is refused; use ``"-"`` for standard output.
- New files get ``0o666 & ~umask`` like any other program's files; a replaced file keeps its
  permission bits.

:func:`check_output` and :func:`check_output_dir` run the same checks up front, so commands
can refuse a bad ``--out`` before minutes of computing.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
import threading
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

STDOUT = "-"
_umask_lock = threading.Lock()


class OutputError(ValueError):
    """An output path cannot be written; the message names it and says why."""


def _umask() -> int:
    with _umask_lock:  # os.umask can only be read by setting it
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def _target(path: Path) -> Path:
    """The file a write to ``path`` replaces: a symlink's final target, else ``path``."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _writable_parent(path: Path, what: str) -> None:
    """The nearest existing ancestor must be a folder we may create entries in."""
    parent = path.parent
    while not parent.exists():
        if parent.is_symlink():
            raise OutputError(f"{what} {path}: {parent} is a dangling symbolic link")
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"{what} {path}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{what} {path}: no permission to write in {parent}")


def check_output(path: str | os.PathLike, what: str = "--out") -> Path | None:
    """Check that ``path`` can be written as a file; ``None`` for ``"-"`` (standard output)."""
    if str(path) == STDOUT:
        return None
    path = Path(path)
    target = _target(path)
    if target.exists():
        st = os.stat(target)
        if stat.S_ISDIR(st.st_mode):
            raise OutputError(f"{what} {path} is a folder; expected a file path")
        if not stat.S_ISREG(st.st_mode):
            raise OutputError(
                f"{what} {path} is not a regular file (a device, pipe or socket); it would be "
                "replaced by a file. Use '-' to write to standard output"
            )
        if not os.access(target, os.W_OK):
            raise OutputError(f"{what} {path}: no permission to replace it")
    _writable_parent(target, what)
    return target


def check_output_dir(path: str | os.PathLike, what: str = "--out") -> Path:
    """Check that ``path`` is, or can be created as, a folder we can write in."""
    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise OutputError(f"{what} {path} is a file; expected a folder")
        if not os.access(path, os.W_OK | os.X_OK):
            raise OutputError(f"{what} {path}: no permission to write in it")
        return path
    _writable_parent(path, what)
    return path


def check_free_space(path: Path, need: int, what: str = "--out") -> None:
    """Refuse before writing ``need`` bytes beside ``path`` when the disk has less free."""
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    free = shutil.disk_usage(parent).free
    if need > free:
        raise OutputError(
            f"{what} {path}: needs {need / 2**30:.2f} GiB, but {parent} has only "
            f"{free / 2**30:.2f} GiB free"
        )


@contextmanager
def temp_beside(target: Path, suffix: str = ".tmp"):
    """A temp path in ``target``'s folder, renamed onto ``target`` on success and removed on
    every exit path otherwise (exceptions, Ctrl-C)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        try:
            mode = stat.S_IMODE(os.stat(target).st_mode)
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(
    path: str | os.PathLike, write: Callable, binary: bool = False, what: str = "output"
) -> Path | None:
    """Call ``write(fh)`` on a temp file beside ``path``, then rename it into place.

    ``path="-"`` writes to standard output. Returns the path written (the symlink's target for
    a link), or ``None`` for standard output.
    """
    target = check_output(path, what)
    if target is None:
        fh = sys.stdout.buffer if binary else sys.stdout
        write(fh)
        fh.flush()
        return None
    with temp_beside(target) as tmp:
        with open(tmp, "wb" if binary else "w", **({} if binary else {"newline": ""})) as fh:
            write(fh)
    return target
