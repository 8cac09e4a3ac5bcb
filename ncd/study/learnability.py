"""``ncdvision study learnability``: does a dataset's compressibility predict how learnable it
is?

For each task of a panel (:mod:`.panels`, 49 or 98 tasks in 7 families): compressibility and
label-aware predictors on the training pool (:mod:`.predictors`, :mod:`.prequential`),
learning curves of each learner at the panel's sizes (:mod:`.curves`), a power-law fit per
(task, learner) with bootstrap intervals and an extrapolation check (:mod:`.fits`); then each
predictor against each learnability measure across tasks and within each family
(:mod:`.analysis`), the leave-one-family-out forecast of the curve from its pilot
(:mod:`.forecast`), the concatenation test, and one verdict per claim. Every cell is cached in
``out/cells``.

The claims' primary predictors were fixed in this module before the panel was run:
``ctx trained bpp`` (:data:`.predictors.PRIMARY`) for "the more compressible the images, the
easier", and the prequential code length of the labels (:data:`.predictors.PRIMARY_LABEL`)
for "the shorter the labels' code given the images, the easier". A verdict is *decided* when
the 90% interval of the across-task Spearman has a half-width of at most :data:`DECIDED`.
"""

from __future__ import annotations

import numpy as np

from ncdvision.datasets import Dataset

from ..cache import ResultCache
from . import predictors as P
from .analysis import correlation, leave_one_out_prediction, verdict
from .curves import learning_curves
from .fits import extrapolation_error, fit_broken_power_law, fit_power_law
from .forecast_eval import calibrate, evaluate, task_rows
from .panels import PANELS, panel_tasks
from .predictors import PRIMARY, PRIMARY_LABEL

#: The claims on the across-task Spearman with error at the largest size: (claim, primary
#: predictor, expected sign), fixed before the panel was run.
CLAIMS = (
    ("the more compressible the images, the easier the task is to learn", PRIMARY, +1),
    ("the shorter the code of the labels given the images, the easier the task is to learn",
     PRIMARY_LABEL, +1),
)  # fmt: skip
#: Largest half-width of a Spearman's 90% interval for its verdict to count as decided.
DECIDED = 0.2

#: Error the "training images to reach it" measure uses.
TARGET_ERROR = 0.2
#: Datasets joined by the concatenation test in each panel.
CONCAT_PAIR = ("mnist-5k", "shapes")


def _n_to_target(fit, target: float = TARGET_ERROR) -> float:
    """log10 of the training size at which the fitted curve reaches ``target`` (9 = never)."""
    a, alpha, e_inf = fit.params["a"], fit.params["alpha"], fit.params["e_inf"]
    if target <= e_inf or alpha <= 0:
        return 9.0
    return float(min(np.log10(a / (target - e_inf)) / alpha, 9.0))


def union(a: Dataset, b: Dataset) -> Dataset:
    """Two datasets of the same image shape as one, with disjoint class sets."""
    return Dataset(
        images=np.concatenate([a.images, b.images]),
        labels=np.concatenate([a.labels, b.labels + len(a.class_names)]),
        class_names=tuple(f"{a.name}:{c}" for c in a.class_names)
        + tuple(f"{b.name}:{c}" for c in b.class_names),
        name=f"{a.name}+{b.name}",
    )


def _concatenation(splits, learners, cells, seeds, progress) -> dict | None:
    """K(A u B) against K(A) + K(B) + c (zstd, one stream each; c is the codec's cost of
    joining two sets that share nothing), and each test split's error of a learner trained on
    A u B against one trained on that set alone, at equal training size per set."""
    a_name, b_name = CONCAT_PAIR
    if a_name not in splits or b_name not in splits:
        return None
    (a_tr, a_te), (b_tr, b_te) = splits[a_name], splits[b_name]
    n = min(len(a_tr), len(b_tr))
    if len(a_tr) > n:
        a_tr = a_tr.subset(n=n, seed=0)
    if len(b_tr) > n:
        b_tr = b_tr.subset(n=n, seed=0)
    both = union(a_tr, b_tr)

    def bits(d):
        return P.stream_bpp(d.images, "zstd", max_images=len(d)) * len(d) * np.prod(d.image_shape)

    # the codec's constant c: its join overhead when nothing is shared, B with its pixel values
    # relabelled by a fixed permutation (the same structure, no symbol in common with A)
    perm = np.random.default_rng(0).permutation(256).astype(np.uint8)
    b_perm = b_tr.with_(images=perm[b_tr.images])
    sets = (("A", a_tr), ("B", b_tr), ("AB", both), ("B'", b_perm), ("AB'", union(a_tr, b_perm)))
    k = {name: cells.get({"concat": name, "predictor": "zstd stream bits"}, lambda d=d: {
        "bits": float(bits(d))})["bits"] for name, d in sets}  # fmt: skip
    c = k["AB'"] - k["A"] - k["B'"]
    out = {"pair": [a_name, b_name], "n_per_set": n, "K(A)": k["A"], "K(B)": k["B"],
           "K(AB)": k["AB"], "K(A)+K(B)": k["A"] + k["B"], "c": c,
           "shared_bits": k["A"] + k["B"] + c - k["AB"], "learners": {}}  # fmt: skip
    b_te_u = b_te.with_(labels=b_te.labels + len(a_tr.class_names),
                        class_names=both.class_names)  # fmt: skip
    a_te_u = a_te.with_(class_names=both.class_names)
    for learner in learners:
        row = {}
        for tag, train, test in (("A alone", a_tr, a_te), ("B alone", b_tr, b_te),
                                 ("AB on A", both, a_te_u), ("AB on B", both, b_te_u)):  # fmt: skip
            rows = learning_curves(train, test, [learner], [len(train)], seeds[:1], cache=cells,
                                   progress=False, tag=f"concat:{tag}")  # fmt: skip
            row[tag] = rows[0]["error"]
        out["learners"][learner] = row
    return out


def run_learnability(panel_name: str = "quick", learners=("l2-knn", "ncd-knn", "logreg"),
                     out=None, extra=(), seeds=(0, 1, 2), predictors=(),
                     progress: bool | None = True) -> dict:  # fmt: skip
    """Run the study; returns the results (``report.write_learnability_report`` writes them).
    ``predictors``: names of extra predictors (:func:`.predictors.predictors`)."""
    funcs = P.predictors(predictors)
    cells = ResultCache(None if out is None else f"{out}/cells")
    tasks = panel_tasks(panel_name, extra)
    size = PANELS[panel_name]
    splits = {name: load() for name, (_, load) in tasks.items()}
    families = {name: family for name, (family, _) in tasks.items()}
    preds, curves, fits = {}, [], []
    for name, (train, test) in splits.items():
        preds[name] = {p: cells.get({"dataset": name, "predictor": p, "n": len(train)},
                                    lambda f=f, t=train: {"value": float(f(t.images, t.labels, None))})["value"]
                       for p, f in funcs.items()}  # fmt: skip
        sizes = [n for n in size.sizes if n <= len(train)]
        rows = learning_curves(train, test, list(learners), sizes, seeds,
                               cache=cells, progress=progress)  # fmt: skip
        curves += rows
        for learner in learners:
            pts = [(r["size"], max(r["error"], 1e-3)) for r in rows if r["learner"] == learner]
            n, err = map(np.array, zip(*pts, strict=True))
            fit = fit_power_law(n, err, n_boot=100)
            broken = fit_broken_power_law(n, err)
            chance = 1.0 - 1.0 / len(train.class_names)
            fits.append({"dataset": name, "family": families[name], "learner": learner,
                         "chance_error": chance,
                         "error_at_max": float(err[n == n.max()].mean()), "n_max": int(n.max()),
                         **fit.params, "r2": fit.r2,
                         **{f"{k}_ci": v for k, v in fit.intervals.items()},
                         "log10_n_to_target": _n_to_target(fit),
                         "extrapolation": extrapolation_error(n, err),
                         "broken_r2": broken.r2,
                         "broken_extrapolation": extrapolation_error(n, err, "broken")})  # fmt: skip
    analysis = _analyse(preds, fits, learners, list(funcs))
    per_family = _per_family(preds, fits, families, learners)
    rows = task_rows(families, preds, curves, learners, size.pilot)
    forecast = {
        "evaluation": evaluate(rows, learners),
        "calibration": calibrate(rows, learners, panel_name, size.pilot),
    }
    concat = _concatenation(splits, learners, cells, seeds, progress)
    verdicts = _verdicts(preds, fits, analysis, concat, families)
    if panel_name == "tiny":
        for v in verdicts:
            v["verdict"] = f"smoke test, not a result: {v['verdict']}"
    return {"panel": panel_name, "learners": list(learners), "seeds": list(seeds),
            "families": families, "predictors": preds, "curves": curves, "fits": fits,
            "analysis": analysis, "per_family": per_family, "forecast": forecast,
            "concatenation": concat, "verdicts": verdicts,
            "cells_computed": cells.computed}  # fmt: skip


MEASURES = ("error_at_max", "alpha", "log10_n_to_target")


def _analyse(preds: dict, fits: list[dict], learners, pnames) -> list[dict]:
    rows = []
    names = list(preds)
    for learner in learners:
        by_ds = {f["dataset"]: f for f in fits if f["learner"] == learner}
        for p in pnames:
            x = [preds[d][p] for d in names]
            for m in MEASURES:
                y = [by_ds[d][m] for d in names]
                rows.append({"learner": learner, "predictor": p, "measure": m,
                             **correlation(x, y), **leave_one_out_prediction(x, y)})  # fmt: skip
    return rows


def _per_family(preds, fits, families, learners) -> list[dict]:
    """Spearman of each claim's predictor with error at the largest size within each family
    of at least 4 tasks."""
    rows = []
    for family in dict.fromkeys(families.values()):
        names = [d for d, f in families.items() if f == family]
        if len(names) < 4:
            continue
        for learner in learners:
            by = {f["dataset"]: f["error_at_max"] for f in fits if f["learner"] == learner}
            for _, p, _ in CLAIMS:
                rows.append({"family": family, "learner": learner, "predictor": p,
                             **correlation([preds[d][p] for d in names],
                                           [by[d] for d in names])})  # fmt: skip
    return rows


def decided(r: dict) -> bool:
    """Whether a correlation row's Spearman interval is narrow enough to decide its claim
    (half-width at most :data:`DECIDED`)."""
    if r.get("spearman") is None:
        return False
    lo, hi = r["spearman_ci"]
    return (hi - lo) / 2 <= DECIDED


def ladder_verdict(bpp, err) -> str:
    """The verdict on a ladder of tasks from clean to noisy: "supported" when both the bits
    and the error rise strictly at every step; a tie is no support.

    Parameters
    ----------
    bpp : sequence of float
        The primary predictor along the ladder.
    err : sequence of float
        A learner's error at the largest size along the ladder.

    Returns
    -------
    str
    """
    ok_c, ok_e = bool(np.all(np.diff(bpp) > 0)), bool(np.all(np.diff(err) > 0))
    if ok_c and ok_e:
        return "supported"
    return "partly (compression only)" if ok_c else "contradicted"


def _verdicts(preds, fits, analysis, concat, families) -> list[dict]:
    out = []
    for claim, p, sign in CLAIMS:
        for r in analysis:
            if r["predictor"] != p or r["measure"] != "error_at_max":
                continue
            if r.get("spearman") is None:
                out.append({"claim": claim, "learner": r["learner"], "verdict": verdict(r, sign),
                            "evidence": f"{r['n']} tasks"})  # fmt: skip
                continue
            lo, hi = r["spearman_ci"]
            v = verdict(r, sign) + ("" if decided(r) else
                                    f" (undecided: half-width {(hi - lo) / 2:.2f} > {DECIDED})")  # fmt: skip
            out.append({"claim": claim, "learner": r["learner"], "verdict": v,
                        "evidence": f"Spearman({p}, error at the largest size) = "
                                    f"{r['spearman']:+.2f}, 90% CI [{lo:+.2f}, {hi:+.2f}], "
                                    f"{r['n']} tasks"})  # fmt: skip
    noise = [d for d, f in families.items() if f == "noise"]
    if noise:
        top = max(preds, key=lambda d: preds[d][PRIMARY])
        for f in (f for f in fits if f["dataset"] in noise):
            ok = top in noise and f["error_at_max"] >= f["chance_error"] - 0.05
            out.append({"claim": "an incompressible (random) dataset is impossible to learn",
                        "learner": f"{f['learner']}, {f['dataset']}",
                        "verdict": "supported" if ok else "contradicted",
                        "evidence": f"the least compressible task is {top} ({PRIMARY} "
                                    f"{preds[top][PRIMARY]:.2f}; {f['dataset']} "
                                    f"{preds[f['dataset']][PRIMARY]:.2f}); error at "
                                    f"n={f['n_max']} {f['error_at_max']:.3f} vs chance "
                                    f"{f['chance_error']:.3f}"})  # fmt: skip
    ladders = [("shapes", "shapes-noise0.2", "shapes-noise0.5"), ("mnist-5k", "mnist-5k-gaussian3")]
    for ladder in (lad for lad in ladders if all(d in preds for d in lad)):
        bpp = [preds[d][PRIMARY] for d in ladder]
        for learner in sorted({f["learner"] for f in fits}):
            err = [next(f["error_at_max"] for f in fits if f["dataset"] == d
                        and f["learner"] == learner) for d in ladder]  # fmt: skip
            out.append({"claim": "clean data is more compressible and learns better than noisy",
                        "learner": learner, "verdict": ladder_verdict(bpp, err),
                        "evidence": " < ".join(f"{d} {b:.2f} bpp / error {e:.3f}" for d, b, e in
                                               zip(ladder, bpp, err, strict=True))})  # fmt: skip
    if concat:
        sub = concat["K(AB)"] <= concat["K(A)+K(B)"] + concat["c"]
        for learner, r in concat["learners"].items():
            better = r["AB on A"] < r["A alone"] and r["AB on B"] < r["B alone"]  # a tie: no
            out.append({"claim": "K(X,Y) <= K(X) + K(Y) + c: training on the concatenation "
                                 "beats training on each", "learner": learner,
                        "verdict": "supported" if sub and better else
                        ("partly (compression only)" if sub else "contradicted"),
                        "evidence": f"K(AB) {concat['K(AB)']:.0f} vs K(A)+K(B) "
                                    f"{concat['K(A)+K(B)']:.0f} + c {concat['c']:.0f} bits (c: "
                                    "zstd's join cost with nothing shared), shared "
                                    f"{concat['shared_bits']:.0f} bits; error on A "
                                    f"{r['A alone']:.3f} alone -> {r['AB on A']:.3f} with B; on B "
                                    f"{r['B alone']:.3f} -> {r['AB on B']:.3f}"})  # fmt: skip
    return out
