"""Helpers shared by the bench scripts (not part of the package)."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

from ncdvision.ncd import report

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }


def write_json(name: str, payload: dict, partial: bool = False) -> Path:
    """Write bench/results/<name>.json atomically (temp file, then rename).

    ``partial=True`` saves progress to ``<name>.partial.json`` instead (not committed), so a
    committed results file is only ever replaced by a finished run; the final write removes
    the partial file.
    """
    part = RESULTS / f"{name}.partial.json"
    if partial:
        return report.write_json(part, payload)
    path = report.write_json(RESULTS / f"{name}.json", payload)
    part.unlink(missing_ok=True)
    return path


def read_rows(name: str) -> list[dict]:
    """Rows of an unfinished run (the partial file) or else of the last finished one."""
    for path in (RESULTS / f"{name}.partial.json", RESULTS / f"{name}.json"):
        if path.exists():
            return json.loads(path.read_text())["rows"]
    return []


def table(rows: list[dict], cols: list[str]) -> str:
    """A markdown table of ``rows`` restricted to ``cols``."""

    def fmt(v):
        if isinstance(v, float):
            return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.0f}"
        return str(v)

    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(fmt(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(lines)
