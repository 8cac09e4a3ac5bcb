"""Helpers shared by the bench scripts (not part of the package)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from ncdvision.ncd import writers

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
        return writers.write_json(part, payload)
    path = writers.write_json(RESULTS / f"{name}.json", payload)
    part.unlink(missing_ok=True)
    return path


def study_args(doc: str, study: str) -> argparse.Namespace:
    """The options every study bench takes; ``args.cache`` defaults to a temp-dir folder."""
    ap = argparse.ArgumentParser(description=doc,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    ap.add_argument("--panel", default="quick", choices=["tiny", "quick", "full"])
    ap.add_argument("--learners", default="l2-knn,ncd-knn,logreg")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--predictors", default="", help="extra predictors (pixelcnn with [neural])")
    ap.add_argument("--cache", default=None, help="cell cache (default: a folder in the temp dir)")
    ap.add_argument("--name", default=None,
                    help="results name (default <study>-<panel>, +'-neural' with cnn or pixelcnn)")  # fmt: skip
    args = ap.parse_args()
    args.cache = args.cache or str(Path(tempfile.gettempdir()) / f"ncdvision-{study}-{args.panel}")
    args.learners = tuple(args.learners.split(","))
    args.predictors = tuple(p for p in args.predictors.split(",") if p)
    neural = "cnn" in args.learners or "pixelcnn" in args.predictors
    args.name = args.name or f"{study}-{args.panel}" + ("-neural" if neural else "")
    return args


def print_verdicts(res: dict, wall: float, md) -> None:
    for v in res["verdicts"]:
        print(f"{v['claim']} ({v['learner']}): {v['verdict']}. {v['evidence']}")
    print(f"{wall:.0f} s, {res['cells_computed']} cells computed; wrote {md}")


def write_study_json(name: str, payload: dict, resumed: bool) -> Path:
    """Write a study's bench/results/<name>.json; a ``resumed`` run (most cells came from the
    cache) keeps the wall time of the run that did the work, its own as ``resumed_wall_s``."""
    old = RESULTS / f"{name}.json"
    if old.exists() and resumed:
        prev = json.loads(old.read_text())
        payload = {**payload, "wall_s": prev["wall_s"], "cells_computed": prev["cells_computed"],
                   "resumed_wall_s": payload["wall_s"]}  # fmt: skip
    return write_json(name, payload)


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


def prf(truth, flag) -> dict:
    """Precision, recall and F1 of boolean ``flag`` against the planted ``truth``
    (scikit-learn's, 0 where undefined), with both counts."""
    from sklearn.metrics import precision_recall_fscore_support

    truth, flag = np.asarray(truth, bool), np.asarray(flag, bool)
    p, r, f, _ = precision_recall_fscore_support(truth, flag, average="binary",
                                                 zero_division=0)  # fmt: skip
    return {"precision": float(p), "recall": float(r), "f1": float(f),
            "flagged": int(flag.sum()), "truth": int(truth.sum())}  # fmt: skip
