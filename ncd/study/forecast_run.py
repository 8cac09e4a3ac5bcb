"""``ncdvision study forecast DATASET``: how many labelled images does this dataset need?

A pilot on the user's dataset (each learner's test error at the calibration's three pilot
sizes, three seeds each, on a held-out split of at most 300 images) and the two label-aware
compression measures of 160 labelled images, then the slope beyond the pilot from the shipped
calibration (:mod:`.forecast`), with its 80% and 90% intervals. It says when the dataset lies
outside the panel the calibration was fitted on, and when a forecast reaches beyond the
panel's largest training size.
"""

from __future__ import annotations

import numpy as np

from ncdvision.datasets import load

from ..cache import ResultCache
from .curves import learning_curves
from .forecast import LEVELS, NEVER, SlopeModel, load_calibration, log10_n_at, pilot_summary
from .prequential import ncd_pilot_loo_error, prequential_share

#: Test images the pilot is scored on (at most; a quarter of a smaller dataset).
TEST_SIZE = 300
#: Training sizes the printed forecast table reports.
TABLE_SIZES = (250, 500, 1000, 2500, 5000, 10000, 25000, 100000)


def forecast_split(dataset, pilot) -> tuple:
    """The dataset (a name or path) split into a pool and a test split of at most
    :data:`TEST_SIZE` images, refused when the pool cannot hold the pilot.

    Parameters
    ----------
    dataset : str or path-like
        A built-in dataset's name or a path.
    pilot : sequence of int
        The pilot's training sizes.

    Returns
    -------
    pool, test : Dataset
    """
    ds = load(dataset)
    test_size = min(TEST_SIZE, len(ds) // 4)
    if len(ds) - test_size < max(pilot) or test_size < 2 * len(ds.class_names):
        raise ValueError(f"{dataset}: a forecast needs at least {max(pilot) + 4 * len(ds.class_names)}"
                         f" labelled images for its pilot of {max(pilot)}, got {len(ds)}")  # fmt: skip
    return ds.split(test_size=test_size, seed=0)


def _learner_forecast(model: SlopeModel, x, summary: dict, target: float, n_max: int) -> dict:
    s_hat = float(model.predict(x)[0])
    n_p, e_p = summary["n_p"], summary["e_p"]
    slopes = {"forecast": s_hat, **{lv: model.interval(s_hat, lv) for lv in LEVELS}}
    out = {"slope": s_hat, "slope_intervals": {lv: slopes[lv] for lv in LEVELS}}
    if target >= e_p:
        out["log10_n_to_target"] = None  # reached within the pilot
    else:
        out["log10_n_to_target"] = log10_n_at(target, n_p, e_p, s_hat)
        # the steeper end of the slope's interval reaches the target sooner
        out["n_intervals"] = {lv: tuple(log10_n_at(target, n_p, e_p, s) for s in slopes[lv])
                              for lv in LEVELS}  # fmt: skip
    out["table"] = [{"n": n, "error": e_p * (n / n_p) ** s_hat,
                     **{lv: tuple(e_p * (n / n_p) ** s for s in slopes[lv]) for lv in LEVELS}}
                    for n in TABLE_SIZES]  # fmt: skip
    warn = [f"feature outside the panel's range: {w}" for w in model.outside(x)]
    reach = out["log10_n_to_target"]
    if reach is not None and reach > np.log10(n_max):
        warn.append(f"the target lies beyond the panel's largest training size ({n_max}): the "
                    "forecast extrapolates the straight line there")  # fmt: skip
    out["warnings"] = warn
    return out


def run_forecast(dataset, learners=("l2-knn", "ncd-knn", "logreg"), target: float = 0.05,
                 panel: str = "full", seeds=(0, 1, 2), out=None,
                 progress: bool | None = True) -> dict:  # fmt: skip
    """Forecast each learner's learning curve on ``dataset`` from a pilot.

    Parameters
    ----------
    dataset : str or path-like
        A built-in dataset's name or a path.
    learners : sequence of str, default=("l2-knn", "ncd-knn", "logreg")
        Learners with a shipped calibration.
    target : float, default=0.05
        The test error whose training size is forecast.
    panel : str, default="full"
        The calibration to use (the panel it was fitted on).
    seeds : sequence of int, default=(0, 1, 2)
        Seeds of the pilot's cells.
    out : path-like, optional
        Folder whose ``cells`` subfolder caches the pilot's cells.
    progress : bool, optional
        Progress bars.

    Returns
    -------
    dict
        ``dataset``, ``target``, ``panel``, ``features``, ``pilot`` (the cells), ``learners``
        (per learner: the pilot summary, slope, intervals, table, n to target and warnings),
        ``warnings`` (the dataset's), ``verdicts`` and ``cells_computed``.
    """
    if not 0 < target < 1:
        raise ValueError(f"--target-error must lie between 0 and 1, got {target}")
    cal = load_calibration(panel)
    missing = [lr for lr in learners if lr not in cal["learners"]]
    if missing:
        raise ValueError(f"--learners: no {panel} calibration for {missing}; calibrated: "
                         f"{', '.join(cal['learners'])}")  # fmt: skip
    pool, test = forecast_split(dataset, cal["pilot"])
    cells = ResultCache(None if out is None else f"{out}/cells")
    key = {"forecast": str(dataset), "n": len(pool)}
    feats = cells.get({**key, "predictor": "label-aware pilot"}, lambda: {
        "share": prequential_share(pool.images, pool.labels),
        "loo": ncd_pilot_loo_error(pool.images, pool.labels)})  # fmt: skip
    rows = learning_curves(pool, test, list(learners), cal["pilot"], seeds, cache=cells,
                           progress=progress)  # fmt: skip
    n_classes = len(pool.class_names)
    warnings = [] if 2 <= n_classes <= 10 else [
        f"{n_classes} classes: the panel's tasks have 2 to 10"]  # fmt: skip
    res = {"dataset": str(dataset), "target": target, "panel": panel, "n_pool": len(pool),
           "n_test": len(test), "features": feats, "pilot": rows, "learners": {},
           "warnings": warnings, "verdicts": []}  # fmt: skip
    for learner in learners:
        pts = [(r["size"], r["error"]) for r in rows if r["learner"] == learner]
        summary = pilot_summary(pts, 0.5 / len(test))
        x = [summary["pilot slope"], float(np.log(summary["e_p"])), feats["share"], feats["loo"]]
        fc = _learner_forecast(SlopeModel(cal["learners"][learner]), x, summary, target,
                               cal["n_max"])  # fmt: skip
        res["learners"][learner] = {**summary, "features": x, **fc}
        res["verdicts"].append({"claim": f"labelled images to reach {target:.1%} test error",
                                "learner": learner, "verdict": reach_text(fc),
                                "evidence": f"pilot error {summary['e_p']:.3f} at "
                                            f"{summary['n_p']:.0f} images, forecast slope "
                                            f"{fc['slope']:+.2f} (90%: {fc['slope_intervals']['90%'][0]:+.2f}"
                                            f" to {fc['slope_intervals']['90%'][1]:+.2f})"
                                            + "".join(f"; WARNING: {w}" for w in warnings + fc["warnings"])})  # fmt: skip
    res["cells_computed"] = cells.computed
    return res


def _n_text(log10_n: float) -> str:
    return "never (the curve is flat)" if log10_n >= NEVER else f"{10**log10_n:,.0f}"


def reach_text(fc: dict) -> str:
    """``about 1,200 (80%: 700 to 2,600; 90%: 500 to 4,100)``, or why there is no number.

    Parameters
    ----------
    fc : dict
        One learner's forecast.

    Returns
    -------
    str
    """
    if fc["log10_n_to_target"] is None:
        return "reached within the pilot"
    iv = "; ".join(f"{lv}: {_n_text(lo)} to {_n_text(hi)}"
                   for lv, (lo, hi) in fc["n_intervals"].items())  # fmt: skip
    return f"about {_n_text(fc['log10_n_to_target'])} ({iv})"
