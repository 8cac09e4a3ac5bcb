"""The forecast's test on the learnability panel: every family held out in turn.

:func:`task_rows` turns the panel's cells into one row per (task, learner): the pilot's
features, the measured slope beyond the pilot and the points beyond it. :func:`evaluate`
fits :class:`.forecast.SlopeModel` on the other families and forecasts the held-out ones:
the error at the largest size, the power law's alpha and log10 of the training size at which
each error measured beyond the pilot was reached, against the other families' mean and
against extrapolating the pilot alone (its log-log line, and a power law fitted to its
points), with the coverage of the 80% and 90% intervals. A target counts when it lies more
than two standard errors of the test split below the pilot's error (a smaller difference is
sampling noise, not a target the curve had to fall to).
"""

from __future__ import annotations

import numpy as np

from .fits import fit_power_law
from .forecast import (
    FEATURES,
    LEVELS,
    NEVER,
    SlopeModel,
    fit_ridge,
    log10_n_at,
    mean_by_size,
    pilot_summary,
    slope_beyond,
)
from .predictors import PRIMARY_LABEL


def task_rows(tasks: dict, preds: dict, curves: list[dict], learners, pilot) -> list[dict]:
    """One row per (task, learner): its pilot features, the measured slope beyond the pilot,
    and the points the evaluation checks.

    Parameters
    ----------
    tasks : dict
        Task name to family.
    preds : dict
        Task name to its predictors (with :data:`.predictors.PRIMARY_LABEL` and
        ``ncd pilot loo error``).
    curves : list of dict
        The learning-curve cells (``dataset``, ``learner``, ``size``, ``error``, ``n_test``).
    learners : sequence of str
        The learners.
    pilot : sequence of int
        The pilot's training sizes.

    Returns
    -------
    list of dict
    """
    rows = []
    for task, family in tasks.items():
        for learner in learners:
            cells = [c for c in curves if c["dataset"] == task and c["learner"] == learner]
            floor = 0.5 / cells[0]["n_test"]
            pts = [(c["size"], c["error"]) for c in cells if c["size"] in pilot]
            beyond = [(c["size"], c["error"]) for c in cells if c["size"] > max(pilot)]
            s = pilot_summary(pts, floor)
            n_eval, e_eval = mean_by_size(beyond)
            n_all, e_all = map(np.asarray, zip(*pts, *beyond, strict=True))
            alpha = fit_power_law(n_all, np.maximum(e_all, floor), n_boot=0).params["alpha"]
            rows.append({"task": task, "family": family, "learner": learner, "floor": floor,
                         "n_test": cells[0]["n_test"], **s,
                         "features": [s["pilot slope"], float(np.log(s["e_p"])),
                                      preds[task][PRIMARY_LABEL], preds[task]["ncd pilot loo error"]],
                         "slope": slope_beyond(beyond, s["n_p"], s["e_p"], floor), "alpha": alpha,
                         "pilot_points": pts, "eval": list(zip(n_eval.tolist(), e_eval.tolist(),
                                                              strict=True))})  # fmt: skip
    return rows


def _pilot_power(row):
    n, e = map(np.asarray, zip(*row["pilot_points"], strict=True))
    return fit_power_law(n, np.maximum(e, row["floor"]), n_boot=0)


def _log10_n_power(fit, target: float) -> float:
    a, alpha, e_inf = fit.params["a"], fit.params["alpha"], fit.params["e_inf"]
    if target <= e_inf or alpha <= 0:
        return NEVER
    return float(min(np.log10(a / (target - e_inf)) / alpha, NEVER))


def reachable(row: dict, target: float) -> bool:
    """Whether a measured error beyond the pilot is a target the forecast is tested on: above
    the perfect-score floor and more than two standard errors of the test split below the
    pilot's error (a smaller difference is sampling noise, not a fall the curve had to make).

    Parameters
    ----------
    row : dict
        A :func:`task_rows` row.
    target : float
        The measured error.

    Returns
    -------
    bool
    """
    noise = 2.0 * float(np.sqrt(row["e_p"] * (1 - row["e_p"]) / row["n_test"]))
    return row["floor"] < target < row["e_p"] - noise


def _summary(errors: dict[str, list[float]]) -> dict:
    return {m: {"median_abs_error": float(np.median(np.abs(v))) if v else None, "n": len(v)}
            for m, v in errors.items()}  # fmt: skip


def evaluate(rows: list[dict], learners) -> dict:
    """Leave-one-family-out evaluation per learner: the error at the largest size and
    log10(training size to reach each measured error beyond the pilot), forecast against
    the other tasks' mean slope and the pilot alone, with the 80% and 90% intervals'
    coverage.

    Parameters
    ----------
    rows : list of dict
        :func:`task_rows`'s rows.
    learners : sequence of str
        The learners.

    Returns
    -------
    dict
        Per learner: ``error_at_max``, ``alpha`` (the power law's exponent fitted to the whole
        curve; forecast by a ridge on the same features) and ``log10_n_to_target`` (median
        absolute error per method), ``coverage`` (share of held-out targets inside each interval),
        ``ratio_to_pilot_only`` (forecast over the better pilot-only method) and ``points``
        (each held-out target's actual and forecast values).
    """
    out = {}
    for learner in learners:
        rs = [r for r in rows if r["learner"] == learner]
        X = np.array([r["features"] for r in rs])
        s = np.array([r["slope"] for r in rs])
        fam = np.array([r["family"] for r in rs])
        err_max = {m: [] for m in ("forecast", "pilot line", "pilot power law", "mean")}
        log_n = {m: [] for m in ("forecast", "pilot line", "pilot power law", "mean slope")}
        alpha = {m: [] for m in ("forecast", "pilot power law", "mean")}
        a = np.array([r["alpha"] for r in rs])
        inside = {lv: [] for lv in LEVELS}
        points = []
        for f in np.unique(fam):
            held = np.flatnonzero(fam == f)
            model = SlopeModel.fit(X[fam != f], s[fam != f], fam[fam != f])
            mean_slope = float(s[fam != f].mean())
            a_hat = fit_ridge(X[fam != f], a[fam != f]).predict(X[held])
            mean_err = float(np.mean([r["eval"][-1][1] for r, g in zip(rs, fam, strict=True)
                                      if g != f]))  # fmt: skip
            for j, i in enumerate(held):
                r = rs[i]
                s_hat = float(model.predict(X[i])[0])
                power = _pilot_power(r)
                n_max, e_max = r["eval"][-1]
                line = {"forecast": s_hat, "pilot line": r["pilot slope"], "mean": None}
                for m, sl in line.items():
                    pred = mean_err if sl is None else r["e_p"] * (n_max / r["n_p"]) ** sl
                    err_max[m].append(pred - e_max)
                err_max["pilot power law"].append(float(power.predict(n_max)) - e_max)
                alpha["forecast"].append(float(a_hat[j]) - r["alpha"])
                alpha["pilot power law"].append(power.params["alpha"] - r["alpha"])
                alpha["mean"].append(float(a[fam != f].mean()) - r["alpha"])
                for n_e, e_e in r["eval"]:
                    if not reachable(r, e_e):
                        continue
                    actual = float(np.log10(n_e))
                    pred = {m: log10_n_at(e_e, r["n_p"], r["e_p"], sl) for m, sl in
                            (("forecast", s_hat), ("pilot line", r["pilot slope"]),
                             ("mean slope", mean_slope))}  # fmt: skip
                    pred["pilot power law"] = _log10_n_power(power, e_e)
                    for m, v in pred.items():
                        log_n[m].append(v - actual)
                    bounds = {}
                    for lv in LEVELS:
                        s_lo, s_hi = model.interval(s_hat, lv)
                        lo, hi = (log10_n_at(e_e, r["n_p"], r["e_p"], v) for v in (s_lo, s_hi))
                        inside[lv].append(lo <= actual <= hi)
                        bounds[lv] = (lo, hi)
                    points.append({"task": r["task"], "family": f, "target": e_e,
                                   "actual": actual, **pred, "intervals": bounds})  # fmt: skip
        ln = _summary(log_n)
        pilot_best = min(ln["pilot line"]["median_abs_error"],
                         ln["pilot power law"]["median_abs_error"])  # fmt: skip
        out[learner] = {"error_at_max": _summary(err_max), "alpha": _summary(alpha),
                        "log10_n_to_target": ln,
                        "coverage": {lv: float(np.mean(v)) for lv, v in inside.items()},
                        "ratio_to_pilot_only": ln["forecast"]["median_abs_error"] / pilot_best
                        if pilot_best else None, "points": points}  # fmt: skip
    return out


def calibrate(rows: list[dict], learners, panel: str, pilot) -> dict:
    """The shipped calibration: one :class:`SlopeModel` per learner fitted on every task.

    Parameters
    ----------
    rows : list of dict
        :func:`task_rows`'s rows.
    learners : sequence of str
        The learners.
    panel : str
        The panel the rows come from.
    pilot : sequence of int
        The pilot's training sizes.

    Returns
    -------
    dict
        JSON-ready: ``panel``, ``pilot``, ``features``, ``n_max`` (the panel's largest size)
        and ``learners`` (name -> the model's parameters).
    """
    models = {}
    for learner in learners:
        rs = [r for r in rows if r["learner"] == learner]
        models[learner] = SlopeModel.fit(np.array([r["features"] for r in rs]),
                                         np.array([r["slope"] for r in rs]),
                                         np.array([r["family"] for r in rs])).params  # fmt: skip
    n_max = max(r["eval"][-1][0] for r in rows)
    return {"panel": panel, "pilot": [int(v) for v in pilot], "features": list(FEATURES),
            "n_max": int(n_max), "learners": models}  # fmt: skip
