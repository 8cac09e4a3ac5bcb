"""Writing files safely: checked before the work, written atomically, never over an input.

Every file ncdvision writes goes through :func:`atomic_write` or :func:`temp_beside`: the
content goes to a temp file beside the target, which is renamed over it at the end, so a crash,
Ctrl-C or ``kill`` never leaves a half-written file. Rules:

- Streams are written in place, never replaced or truncated: ``"-"`` (standard output),
  ``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N``, ``/proc/self/fd/N``, and any existing path
  that is a pipe or a character device. ``--out /dev/stdout >> log`` appends to ``log``.
- A symbolic link is followed: the link stays, its target is replaced atomically.
- A target that exists as a folder is refused.
- An output is never an input, never inside an input folder, and an output folder never holds
  an input (its contents are replaced as a whole); hard links to an input are refused too.
- New files get ``0o666 & ~umask`` like any other program's files; a replaced file keeps its
  permission bits.
- Temp files carry the writing process's id; one left by a process that no longer runs (a
  ``kill -9``, a power cut) is removed by the next write of the same target.

:class:`OutputFolder` makes a command's outputs one consistent set: they are written into a
fresh folder beside ``--out`` and swapped in at the end, under a lock that refuses a second
concurrent run on the same folder.

:func:`check_output` and :func:`check_output_dir` run the checks up front, so commands refuse
a bad ``--out`` before minutes of computing.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path

from ncdvision.datasets.limits import format_size

STDOUT = "-"
_umask_lock = threading.Lock()
#: Names that are an already-open stream of this process, whatever they resolve to.
_STREAM_NAME = re.compile(r"^(-|/dev/std(out|err)|/dev/fd/\d+|/proc/self/fd/\d+)$")


class OutputError(ValueError):
    """An output path cannot be written; the message names it and says why."""


def _umask() -> int:
    with _umask_lock:  # os.umask can only be read by setting it
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def is_stream(path: str | os.PathLike) -> bool:
    """Whether writing to ``path`` means writing into an open stream rather than a file."""
    if _STREAM_NAME.match(str(path)):
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)


@contextmanager
def open_stream(path: str | os.PathLike, binary: bool = False):
    """A file object that writes into the stream ``path`` in place (no truncation)."""
    name = str(path)
    if name in (STDOUT, "/dev/stdout", "/dev/stderr"):
        fh = sys.stderr if name == "/dev/stderr" else sys.stdout
        fh = fh.buffer if binary else fh
        yield fh
        fh.flush()
        return
    m = re.match(r"^/(?:dev|proc/self)/fd/(\d+)$", name)
    kw = {} if binary else {"newline": "", "encoding": "utf-8"}
    if m:
        fh = os.fdopen(os.dup(int(m.group(1))), "ab" if binary else "a", **kw)
    else:
        fh = open(path, "ab" if binary else "a", **kw)  # a pipe or device: append, never truncate
    with fh:
        yield fh


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


def _inside(child: str, parent: str) -> bool:
    return child == parent or child.startswith(parent.rstrip(os.sep) + os.sep)


def check_not_input(
    path: str | os.PathLike, inputs: Iterable, what: str = "--out", folder: bool = False
) -> None:
    """Refuse an output ``path`` that is an input, lies inside an input folder, is a hard link
    to an input file, or (``folder=True``: an output folder, replaced as a whole) holds one."""
    out = os.path.realpath(path)
    for src in inputs:
        if src is None or not os.path.exists(src):
            continue  # a built-in dataset name, not a path
        real = os.path.realpath(src)
        why = None
        if out == real:
            why = "is the input"
        elif _inside(out, real):
            why = "lies inside the input folder"
        elif os.path.exists(out) and os.path.samefile(out, real):
            why = "is a hard link to the input"
        elif folder and _inside(real, out):
            why = "holds the input"
        if why:
            whole = " (an output folder is replaced as a whole)" if why == "holds the input" else ""
            raise OutputError(f"{what} {path}: {why} {src}{whole}; inputs are never written "
                              "to, choose a path outside them")  # fmt: skip


def check_output(
    path: str | os.PathLike, what: str = "--out", inputs: Iterable = ()
) -> Path | None:
    """Check that ``path`` can be written as a file; ``None`` for a stream (:func:`is_stream`)."""
    if is_stream(path):
        return None
    path = Path(path)
    check_not_input(path, inputs, what)
    target = _target(path)
    if target.exists():
        st = os.stat(target)
        if stat.S_ISDIR(st.st_mode):
            raise OutputError(f"{what} {path} is a folder; expected a file path")
        if not os.access(target, os.W_OK):
            raise OutputError(f"{what} {path}: no permission to replace it")
    _writable_parent(target, what)
    return target


def check_output_dir(path: str | os.PathLike, what: str = "--out", inputs: Iterable = ()) -> Path:
    """Check that ``path`` is, or can be created as, a folder we can write in."""
    path = Path(path)
    check_not_input(path, inputs, what, folder=True)
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
        raise OutputError(f"{what} {path}: needs {format_size(need)}, but {parent} has only "
                          f"{format_size(free)} free")  # fmt: skip


def preallocate(path: Path, size: int, what: str = "--out") -> None:
    """Reserve ``size`` bytes for ``path`` on disk now, so that a full disk is an error here
    rather than a bus error (SIGBUS) when a memory map writes into a hole later."""
    fd = os.open(path, os.O_RDWR)
    try:
        os.posix_fallocate(fd, 0, size)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise OutputError(f"{what} {path}: the disk is full; {format_size(size)} are "
                              "needed") from exc  # fmt: skip
        if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL):  # e.g. some network file systems
            raise
    finally:
        os.close(fd)


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs (of any user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(folder: Path, prefix: str) -> None:
    """Remove ``folder/<prefix><pid>.*`` entries whose process no longer runs (our own temp
    files and staging folders left by a killed run)."""
    if not folder.is_dir():
        return
    for p in folder.iterdir():
        m = re.match(re.escape(prefix) + r"(\d+)\.", p.name)
        if m and int(m.group(1)) != os.getpid() and not process_alive(int(m.group(1))):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)


@contextmanager
def temp_beside(target: Path, suffix: str = ".tmp"):
    """A temp path in ``target``'s folder, renamed onto ``target`` on success and removed on
    every exit path otherwise (exceptions, Ctrl-C, SIGTERM in the command)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{target.name}.ncdvision-"  # a name of our own: nothing else is ever removed
    remove_stale(target.parent, prefix)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f"{prefix}{os.getpid()}.", suffix=suffix)
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

    A stream (``"-"``, ``/dev/stdout``, a pipe: :func:`is_stream`) is written in place. Returns
    the path written (the symlink's target for a link), or ``None`` for a stream.
    """
    target = check_output(path, what)
    if target is None:
        with open_stream(path, binary) as fh:
            write(fh)
        return None
    with temp_beside(target) as tmp:
        with open(tmp, "wb" if binary else "w", **({} if binary else {"newline": ""})) as fh:
            write(fh)
    return target
