"""Is there a slope model that beats the pilot's own line? The forecast's alternatives, each
family of the learnability panel held out in turn.

    python bench/forecast_variants.py --panel full --cache /tmp/lf   # after bench/learnability.py

The shipped forecast (:mod:`ncdvision.ncd.study.forecast`) draws a log-log line through the
pilot's error at 100 images with a slope that a ridge regression predicts from the pilot. This
script scores a fixed list of other slope models under the same leave-one-family-out test and the
same targets as :func:`~ncdvision.ncd.study.forecast_eval.evaluate`: the median absolute error of
log10(training size to reach each measured error beyond the pilot), and its ratio to the pilot's
own line. The list was written down before it was scored and every variant is reported. It also
breaks the shipped model's and the pilot line's errors down by held-out family, with their median
signed error (bias).

The cells come from the learnability run's cache (``--cache``); without it the panel is
computed first (51 min for ``full`` on 2 cores). Writes
bench/results/forecast-variants-<panel>.json.
"""

from __future__ import annotations

import time

import numpy as np
from _common import machine, study_args, write_json
from sklearn.linear_model import HuberRegressor, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from ncdvision.ncd.study.forecast import RIDGE_ALPHA, log10_n_at
from ncdvision.ncd.study.forecast_eval import reachable, task_rows
from ncdvision.ncd.study.learnability import PANELS, run_learnability

#: The steepest "flat" slope a logarithm of the slope sees (a slope must be negative to log it).
LOG_FLOOR = -0.02


def _log_slope(s):
    return np.log(-np.minimum(s, LOG_FLOOR))


def _features(r: dict, which: str) -> list[float]:
    slope, log_err, prequential, ncd_loo = r["features"]
    if which == "shipped":
        return [slope, log_err, prequential, ncd_loo]
    if which == "log pilot slope":
        return [float(_log_slope(slope)), log_err, prequential, ncd_loo]
    return [slope]  # "pilot slope only"


def _regression(which: str, target: str = "slope", robust: bool = False):
    """A slope model: regress ``target`` (the slope, its logarithm, or its difference from the
    pilot's slope) on the ``which`` features; returns ``fit(rows) -> predict(row)``."""

    def fit(rows):
        X = np.array([_features(r, which) for r in rows])
        s = np.array([r["slope"] for r in rows])
        p = np.array([r["pilot slope"] for r in rows])
        y = {"slope": s, "log slope": _log_slope(s), "slope - pilot slope": s - p}[target]
        reg = HuberRegressor(max_iter=1000) if robust else Ridge(alpha=RIDGE_ALPHA)
        est = make_pipeline(StandardScaler(), reg).fit(X, y)

        def predict(r):
            v = float(est.predict(np.array([_features(r, which)]))[0])
            if target == "log slope":
                return -float(np.exp(v))
            return v + r["pilot slope"] if target == "slope - pilot slope" else v

        return predict

    return fit


def _blend(weight: float):
    shipped = _regression("shipped")

    def fit(rows):
        pred = shipped(rows)
        return lambda r: weight * r["pilot slope"] + (1 - weight) * pred(r)

    return fit


def _pilot_line(rows):
    return lambda r: r["pilot slope"]


def _mean_slope(rows):
    mean = float(np.mean([r["slope"] for r in rows]))
    return lambda r: mean


#: The variants, fixed before any was scored.
VARIANTS = {
    "pilot line": _pilot_line,
    "mean slope": _mean_slope,
    "shipped: ridge, slope": _regression("shipped"),
    "ridge, log slope": _regression("shipped", "log slope"),
    "ridge on log pilot slope, slope": _regression("log pilot slope"),
    "ridge on log pilot slope, log slope": _regression("log pilot slope", "log slope"),
    "ridge, slope - pilot slope": _regression("shipped", "slope - pilot slope"),
    "ridge on pilot slope only": _regression("pilot slope only"),
    "huber, log slope": _regression("shipped", "log slope", robust=True),
    "half pilot line, half shipped": _blend(0.5),
}


def score(rows: list[dict], learner: str) -> dict:
    """Every variant's leave-one-family-out errors of log10(n to target) for one learner."""
    rs = [r for r in rows if r["learner"] == learner]
    fam = np.array([r["family"] for r in rs])
    errors = {v: {} for v in VARIANTS}
    for f in np.unique(fam):
        train = [r for r, g in zip(rs, fam, strict=True) if g != f]
        preds = {v: make(train) for v, make in VARIANTS.items()}
        for r in (r for r, g in zip(rs, fam, strict=True) if g == f):
            for v, pred in preds.items():
                s = pred(r)
                errors[v].setdefault(f, []).extend(
                    log10_n_at(e, r["n_p"], r["e_p"], s) - float(np.log10(n))
                    for n, e in r["eval"] if reachable(r, e))  # fmt: skip
    line = np.median(np.abs(np.concatenate(list(errors["pilot line"].values()))))
    out = {}
    for v, by_family in errors.items():
        allv = np.concatenate(list(by_family.values()))
        med = float(np.median(np.abs(allv)))
        out[v] = {"median_abs_error": med, "ratio_to_pilot_line": med / float(line),
                  "n": int(allv.size),
                  "by_family": {f: {"median_abs_error": float(np.median(np.abs(e))),
                                    "bias": float(np.median(e)), "n": len(e)}
                                for f, e in by_family.items() if e}}  # fmt: skip
    return out


def main() -> None:
    args = study_args(__doc__, "learnability")
    t = time.perf_counter()
    res = run_learnability(args.panel, args.learners, out=args.cache,
                           seeds=tuple(range(args.seeds)), progress=False)  # fmt: skip
    rows = task_rows(res["families"], res["predictors"], res["curves"], args.learners,
                     PANELS[args.panel].pilot)  # fmt: skip
    learners = {lr: score(rows, lr) for lr in args.learners}
    for lr, by in learners.items():
        print(lr)
        for v, s in by.items():
            print(f"  {v:40s} {s['median_abs_error']:.3f} ({s['ratio_to_pilot_line']:.2f}x)")
    write_json(f"forecast-variants-{args.panel}",
               {"machine": machine(), "panel": args.panel, "n_tasks": len(res["families"]),
                "wall_s": time.perf_counter() - t, "variants": list(VARIANTS),
                "learners": learners})  # fmt: skip


if __name__ == "__main__":
    main()
