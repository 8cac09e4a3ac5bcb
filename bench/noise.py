"""The noise study as the README reports it.

    python bench/noise.py                        # quick grid: mnist-5k, no [neural]
    python bench/noise.py --panel full --seeds 1  # every corruption, both label-noise kinds

Runs ``run_noise`` with its cells cached in ``--cache`` (a rerun resumes), writes the report
(report.md, results.json, cells.csv, severity.png, label-noise.png, scatter.png,
corruptions.png) to bench/results/<name>/ and the wall time to bench/results/<name>.json
(name: noise-<panel>, with -neural when the CNN or the PixelCNN take part).
"""

from __future__ import annotations

import time

from _common import RESULTS, machine, print_verdicts, study_args, write_study_json

from ncdvision.ncd.study.noise import grid_splits, run_noise
from ncdvision.ncd.study.noise_report import write_noise_report


def main() -> None:
    args = study_args(__doc__, "noise")
    t = time.perf_counter()
    res = run_noise(args.panel, args.learners, out=args.cache, seeds=tuple(range(args.seeds)),
                    predictors=args.predictors)  # fmt: skip
    wall = time.perf_counter() - t
    paths = write_noise_report(RESULTS / args.name, res, grid_splits(args.panel)[1])
    payload = {"machine": machine(), "panel": args.panel, "learners": args.learners,
               "predictors": args.predictors, "seeds": args.seeds, "wall_s": wall,
               "cells_computed": res["cells_computed"],
               "mce": [r for r in res["ce"] if r["corruption"] == "mean"],
               "verdicts": res["verdicts"]}  # fmt: skip
    resumed = res["cells_computed"] < len(res["accuracy"]) // 2
    write_study_json(args.name, payload, resumed=resumed)
    print_verdicts(res, wall, paths["md"])


if __name__ == "__main__":
    main()
