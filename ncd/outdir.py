"""A command's output folder as one consistent set: staged, swapped in whole, locked.

``classify`` and ``filter`` write several files that belong together (a report, a CSV, plots,
a filtered dataset). :class:`OutputFolder` writes them into a fresh staging folder beside
``--out`` and swaps it in at the end, so an interrupted run or a full disk never leaves files
of two runs side by side. A lock refuses a second concurrent run on the same folder.

The folder is replaced as a whole, so before any work it is checked to hold nothing but what
an earlier run wrote: a marker file lists those files, and a folder with anything else in it
(a user's own files, or files added to a previous output) is refused, naming them. Entries in
``keep`` (a cache of finished work) are carried over into the new folder.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .output import OutputError, check_output_dir, process_alive, remove_stale

#: The file in an output folder that lists what the run wrote.
MARKER = ".ncdvision-output.json"


def _files(folder: Path, skip: set[str]) -> list[str]:
    """Every file under ``folder`` as a relative path, top-level ``skip`` names left out."""
    found = []
    for root, dirs, files in os.walk(folder):
        rel = os.path.relpath(root, folder)
        if rel == ".":
            dirs[:] = [d for d in dirs if d not in skip]
            files = [f for f in files if f not in skip]
        found += [os.path.normpath(os.path.join(rel, f)) for f in files]
        found += [os.path.normpath(os.path.join(rel, d)) for d in dirs
                  if os.path.islink(os.path.join(root, d))]  # fmt: skip
    return sorted(found)


class OutputFolder:
    """Stage a run's outputs and swap them into ``out`` on success.

    Parameters
    ----------
    out : path
        The output folder: new, empty, or written by an earlier ncdvision run.
    inputs : paths
        The run's inputs; ``out`` may not be one, lie inside one, or hold one.
    keep : names
        Top-level entries of ``out`` that survive the swap (e.g. ``.cache``).
    what : str
        How errors name ``out``.
    known : names
        Top-level files a run of this command writes: a folder holding only these (an
        output of a version without the marker file) is taken as an earlier run's.

    Examples
    --------
    >>> with OutputFolder("results", inputs=["data/train"]) as folder:  # doctest: +SKIP
    ...     (folder.stage / "report.json").write_text("{}")
    """

    def __init__(self, out, *, inputs: Iterable = (), keep: Iterable[str] = (),
                 what: str = "--out", known: Iterable[str] = ()):  # fmt: skip
        self.out = Path(check_output_dir(out, what, inputs))
        self.keep = tuple(keep)
        self.known = set(known)
        self.what = what
        self.stage: Path | None = None
        self._staged: Path | None = None
        self._lock_fd: int | None = None
        self._restore_interrupted_swap()
        self._check_ours()

    def _name(self, kind: str) -> str:
        return f".{self.out.name}.ncdvision-{kind}-"

    def _restore_interrupted_swap(self) -> None:
        """A run killed between its two renames left ``out`` moved aside: move it back."""
        parent = self.out.parent
        if self.out.exists() or not parent.is_dir():
            return
        for p in sorted(parent.glob(self._name("old") + "*")):
            m = re.match(re.escape(self._name("old")) + r"(\d+)\.", p.name)
            if m and not process_alive(int(m.group(1))) and (p / "out").is_dir():
                os.rename(p / "out", self.out)
                return

    def _check_ours(self) -> None:
        if not self.out.exists():
            return
        skip = {*self.keep, MARKER}
        present = _files(self.out, skip)
        if not present and not [p for p in self.out.iterdir() if p.name not in skip]:
            return
        marker = self.out / MARKER
        listed: set[str] = set()
        if marker.is_file():
            try:
                listed = set(json.loads(marker.read_text())["files"])
            except (ValueError, KeyError, TypeError, OSError):
                listed = set()
        if not marker.is_file() and self.known and set(present) <= self.known:
            return  # an earlier version's output of this command
        extra = [f for f in present if f not in listed]
        if extra or not marker.is_file():
            shown = ", ".join(extra[:5]) + (f" and {len(extra) - 5} more" if len(extra) > 5 else "")
            why = ("was not written by ncdvision" if not marker.is_file()
                   else "holds files that no ncdvision run wrote")  # fmt: skip
            raise OutputError(
                f"{self.what} {self.out} {why} ({shown or 'empty folders'}); its contents are "
                "replaced as a whole, so they would be lost. Choose a new or empty folder, or "
                "move those files out"
            )

    def __enter__(self) -> OutputFolder:
        parent = self.out.parent
        parent.mkdir(parents=True, exist_ok=True)
        lock = parent / f".{self.out.name}.lock"
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputError(f"{self.what} {self.out}: another ncdvision run is writing to "
                              "this folder; wait for it or choose another") from None  # fmt: skip
        self._lock_fd = fd
        remove_stale(parent, self._name("partial"))
        remove_stale(parent, self._name("old"))
        self.stage = Path(tempfile.mkdtemp(dir=parent,
                                           prefix=f"{self._name('partial')}{os.getpid()}."))  # fmt: skip
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self._commit()
        finally:
            if self.stage is not None:
                shutil.rmtree(self.stage, ignore_errors=True)
            if self._lock_fd is not None:
                os.close(self._lock_fd)  # releases the lock
                self._lock_fd = None

    def final(self, path: str | os.PathLike) -> Path:
        """Where a file written under :attr:`stage` lies once the run is swapped in."""
        return self.out / Path(path).relative_to(self.stage or self._staged)

    def _commit(self) -> None:
        self._check_ours()  # again: a file added to ``out`` during the run is never lost
        stage = self.stage
        files = _files(stage, set())
        (stage / MARKER).write_text(json.dumps({"files": files}, indent=1))
        for name in self.keep:  # carried over: renamed within one file system
            if (self.out / name).exists() and not (stage / name).exists():
                os.rename(self.out / name, stage / name)
        old = None
        if self.out.exists():
            old = Path(tempfile.mkdtemp(dir=self.out.parent,
                                        prefix=f"{self._name('old')}{os.getpid()}."))  # fmt: skip
            os.rename(self.out, old / "out")
        os.rename(stage, self.out)
        self._staged, self.stage = stage, None
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
