"""The learnability study as the README reports it.

    python bench/learnability.py                      # quick panel, no [neural]
    python bench/learnability.py --learners l2-knn,ncd-knn,logreg,cnn --predictors pixelcnn

Runs ``run_learnability`` with its cells cached in ``--cache`` (a rerun resumes), writes the
report (report.md, results.json, curves.csv, curves.png, scatter.png) to
bench/results/<name>/ and the wall time to bench/results/<name>.json (name:
learnability-<panel>, with -neural when the CNN or the PixelCNN take part).
"""

from __future__ import annotations

import time

from _common import RESULTS, machine, print_verdicts, study_args, write_study_json

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
               "cells_computed": res["cells_computed"],
               "verdicts": res["verdicts"]}  # fmt: skip
    resumed = res["cells_computed"] < len(res["curves"])
    write_study_json(args.name, payload, resumed=resumed)
    print_verdicts(res, wall, paths["md"])


if __name__ == "__main__":
    main()
