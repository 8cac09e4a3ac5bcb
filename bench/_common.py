"""Helpers shared by the bench scripts (not part of the package)."""

from __future__ import annotations

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


def write_json(name: str, payload: dict) -> Path:
    """Write bench/results/<name>.json atomically (temp file, then rename)."""
    return report.write_json(RESULTS / f"{name}.json", payload)


def table(rows: list[dict], cols: list[str]) -> str:
    """A markdown table of ``rows`` restricted to ``cols``."""

    def fmt(v):
        if isinstance(v, float):
            return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.0f}"
        return str(v)

    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(fmt(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(lines)
