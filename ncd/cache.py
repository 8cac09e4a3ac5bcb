"""One resumable cache for long jobs: the filter's stages, the studies' cells and the bench
scripts' runs.

A result is stored under a hash of the settings that produced it, written atomically, so a
job killed part-way resumes where it stopped and a changed setting never reads a stale
result. Results are dicts: of arrays (stored as ``.npz``, read without pickle) or of
JSON values (stored as ``.json`` beside the settings, which are compared on reading).

>>> cache = ResultCache(None)  # no folder: every result is computed
>>> cache.get({"n": 3}, lambda: {"square": 9})
{'square': 9}
>>> cache.computed
1
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .output import atomic_write, temp_beside


def content_key(*arrays: np.ndarray) -> str:
    """A 16-hex-digit hash of arrays' shapes, dtypes and bytes: the key of a dataset's content.

    Parameters
    ----------
    *arrays : ndarray
        The arrays (e.g. a dataset's images and labels).

    Returns
    -------
    str
        The hash's first 16 hex digits.
    """
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(repr((a.shape, str(a.dtype))).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def _canonical(settings: dict) -> str:
    return json.dumps(settings, sort_keys=True, default=str)


class ResultCache:
    """Stored results by stage and settings, in a folder.

    Parameters
    ----------
    folder : str or path or None
        Where results are kept (created when first needed); None keeps nothing and computes
        every result.
    key : str, default=""
        Part of every file name: what the results are of (e.g. :func:`content_key` of a
        dataset), so one folder can hold the results of several datasets.

    Attributes
    ----------
    computed : int
        Results computed (not read back) by this object.
    """

    def __init__(self, folder: str | Path | None, key: str = "") -> None:
        self.folder = None if folder is None else Path(folder)
        self.key = key
        self.computed = 0

    def path(self, settings: dict, stage: str = "", arrays: bool = False) -> Path | None:
        """The file a result of these settings is stored in (None without a folder).

        Parameters
        ----------
        settings : dict
            What produced the result; JSON-serializable (other values by ``str``).
        stage : str, default=""
            The stage's name, the start of the file name.
        arrays : bool, default=False
            Whether the result is a dict of arrays (``.npz``) or of JSON values (``.json``).

        Returns
        -------
        Path or None
            The file's path.
        """
        if self.folder is None:
            return None
        digest = hashlib.sha256(_canonical(settings).encode()).hexdigest()
        name = "-".join(p for p in (stage, self.key, digest[: 12 if arrays else 20]) if p)
        return self.folder / (name + (".npz" if arrays else ".json"))

    def get(self, settings: dict, compute: Callable[[], dict], stage: str = "",
            arrays: bool = False) -> dict:  # fmt: skip
        """The stored result of ``settings``, or ``compute()``'s, stored before returning.

        Parameters
        ----------
        settings : dict
            What produced the result.
        compute : callable
            Called without arguments when nothing is stored; returns the result dict.
        stage : str, default=""
            The stage's name.
        arrays : bool, default=False
            Whether the result is a dict of arrays.

        Returns
        -------
        dict
            The result.
        """
        path = self.path(settings, stage, arrays)
        if path is not None and path.exists():
            if arrays:
                with np.load(path, allow_pickle=False) as z:
                    return {k: z[k] for k in z.files}
            stored = json.loads(path.read_text())
            if stored.get("cell") == json.loads(_canonical(settings)):
                return stored["result"]
        result = compute()
        self.computed += 1
        if path is not None:
            if arrays:
                with temp_beside(path, suffix=".npz") as tmp:
                    np.savez(tmp, **result)
            else:
                payload = {"cell": settings, "result": result}
                path.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(path, lambda fh: json.dump(payload, fh, default=str))
        return result
