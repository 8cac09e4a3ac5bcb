"""A folder of finished cells: one small JSON file per cell (a dataset x learner x size x seed,
or any dict of settings), written atomically, so a killed study resumes where it stopped."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from ..output import atomic_write


class CellCache:
    """``get(cell, compute)`` returns the stored result of ``cell`` or computes and stores it.

    ``folder=None`` keeps nothing (every cell is computed). ``computed`` counts the cells
    computed by this object, for reports and tests.
    """

    def __init__(self, folder: str | Path | None):
        self.folder = None if folder is None else Path(folder)
        self.computed = 0

    def path(self, cell: dict) -> Path:
        key = json.dumps(cell, sort_keys=True, default=str)
        return self.folder / f"{hashlib.sha256(key.encode()).hexdigest()[:20]}.json"

    def get(self, cell: dict, compute: Callable[[], dict]) -> dict:
        if self.folder is not None:
            path = self.path(cell)
            if path.exists():
                stored = json.loads(path.read_text())
                if stored.get("cell") == json.loads(json.dumps(cell, default=str)):
                    return stored["result"]
        result = compute()
        self.computed += 1
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            payload = {"cell": cell, "result": result}
            atomic_write(path, lambda fh: json.dump(payload, fh, default=str))
        return result
