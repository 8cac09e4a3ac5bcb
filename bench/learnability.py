"""The learnability study as the README reports it.

    python bench/learnability.py                      # quick panel, no [neural]
    python bench/learnability.py --panel full --learners l2-knn,ncd-knn,logreg,cnn

Runs ``run_learnability`` with its cells cached in ``--cache`` (a rerun resumes), writes the
report (report.md, results.json, curves.csv, curves.png, scatter.png) to
bench/results/learnability-<panel>/ and the wall time to bench/results/learnability-<panel>.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from _common import RESULTS, machine, write_json

from ncdvision.ncd.study.learnability import PRIMARY, run_learnability
from ncdvision.ncd.study.report import write_learnability_report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    ap.add_argument("--panel", default="quick", choices=["tiny", "quick", "full"])
    ap.add_argument("--learners", default="l2-knn,ncd-knn,logreg")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--cache", default=None, help="cell cache (default: a folder in the temp dir)")
    args = ap.parse_args()
    cache = args.cache or str(Path(tempfile.gettempdir()) / f"ncdvision-learnability-{args.panel}")
    t = time.perf_counter()
    res = run_learnability(args.panel, tuple(args.learners.split(",")), out=cache,
                           seeds=tuple(range(args.seeds)))  # fmt: skip
    wall = time.perf_counter() - t
    paths = write_learnability_report(RESULTS / f"learnability-{args.panel}", res, PRIMARY)
    payload = {"machine": machine(), "panel": args.panel, "learners": args.learners,
               "seeds": args.seeds, "wall_s": wall, "cells_computed": res["cells_computed"],
               "verdicts": res["verdicts"]}  # fmt: skip
    old = RESULTS / f"learnability-{args.panel}.json"
    if old.exists() and res["cells_computed"] < len(res["curves"]):
        # a resumed run's time is not the study's: keep the time of the run that did the work
        prev = json.loads(old.read_text())
        payload.update(wall_s=prev["wall_s"], cells_computed=prev["cells_computed"],
                       resumed_wall_s=wall)  # fmt: skip
    write_json(f"learnability-{args.panel}", payload)
    for v in res["verdicts"]:
        print(f"{v['claim']} ({v['learner']}): {v['verdict']}. {v['evidence']}")
    print(f"{wall:.0f} s, {res['cells_computed']} cells computed; wrote {paths['md']}")


if __name__ == "__main__":
    main()
