"""The learnability study as the README reports it.

    python bench/learnability.py                      # quick panel, no [neural]
    python bench/learnability.py --learners l2-knn,ncd-knn,logreg,cnn --predictors pixelcnn

Runs ``run_learnability`` with its cells cached in ``--cache`` (a rerun resumes), writes the
report (report.md, results.json, curves.csv and the figures) to bench/results/<name>/ and the
wall time to bench/results/<name>.json (name: learnability-<panel>, with -neural when the CNN
or the PixelCNN take part). The quick and full panels also write their forecast calibration
into the package (``ncd/study/forecast_calibration.json``), which ``ncdvision study forecast``
reads.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from _common import RESULTS, machine, print_verdicts, study_args, write_study_json

from ncdvision.ncd.output import atomic_write
from ncdvision.ncd.study import forecast
from ncdvision.ncd.study.learnability import PRIMARY, run_learnability
from ncdvision.ncd.study.learnability_report import write_learnability_report


def main() -> None:
    args = study_args(__doc__, "learnability")
    t = time.perf_counter()
    res = run_learnability(args.panel, args.learners, out=args.cache,
                           seeds=tuple(range(args.seeds)), predictors=args.predictors)  # fmt: skip
    wall = time.perf_counter() - t
    paths = write_learnability_report(RESULTS / args.name, res, PRIMARY)
    payload = {"machine": machine(), "panel": args.panel, "learners": args.learners,
               "predictors": args.predictors, "seeds": args.seeds, "wall_s": wall,
               "cells_computed": res["cells_computed"], "n_tasks": len(res["families"]),
               "verdicts": res["verdicts"], "per_family": res["per_family"],
               "claims": [r for r in res["analysis"] if r["measure"] == "error_at_max"],
               "forecast": {lr: {k: v for k, v in ev.items() if k != "points"}
                            for lr, ev in res["forecast"]["evaluation"].items()}}  # fmt: skip
    resumed = res["cells_computed"] < len(res["curves"])
    write_study_json(args.name, payload, resumed=resumed)
    print_verdicts(res, wall, paths["md"])
    if args.panel != "tiny" and args.predictors == () and "cnn" not in args.learners:
        cal = forecast.load_calibration() | {args.panel: res["forecast"]["calibration"]}
        path = Path(forecast.__file__).with_name(forecast.CALIBRATION)
        atomic_write(path, lambda fh: json.dump(cal, fh, indent=1))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
