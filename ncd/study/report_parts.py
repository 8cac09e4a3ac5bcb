"""Pieces every study report uses: Markdown tables, number formatting, correlation intervals,
and the report folder with its ``results.json`` and cell CSV (written atomically)."""

from __future__ import annotations

import csv
from pathlib import Path

from ..output import atomic_write
from ..writers import write_json


def markdown_table(rows: list[list], head: list[str]) -> str:
    """A Markdown table of ``rows`` under the column names ``head``."""
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def fmt_value(v, d: int = 3) -> str:
    """A float with ``d`` decimals, anything else as text, None as an empty cell."""
    return "" if v is None else f"{v:.{d}f}" if isinstance(v, float) else str(v)


def ci_text(r: dict, name: str) -> str:
    """``+0.12 [-0.30, +0.50]`` for correlation ``name`` of row ``r``, or empty."""
    if r.get(name) is None:
        return ""
    lo, hi = r[f"{name}_ci"]
    return f"{r[name]:+.2f} [{lo:+.2f}, {hi:+.2f}]"


def start_report(out, res: dict, rows: list[dict], csv_name: str) -> tuple[Path, dict]:
    """Create the report folder and write ``results.json`` and the cell rows as CSV."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": write_json(out / "results.json", res)}

    def write_csv(fh):
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)

    paths["csv"] = atomic_write(out / csv_name, write_csv)
    return out, paths
