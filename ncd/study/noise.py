"""``ncdvision study noise``: how pixel and label noise change compressibility and learnability.

A grid of cells on one dataset (:data:`GRIDS`): each pixel corruption at each severity, in two
regimes, and each label-noise rate:

- ``train`` regime: the training pool is corrupted, the test split is clean (does noise make
  data harder to learn from?); label noise lives here;
- ``test`` regime: the learner is fitted on the clean pool and tested on a corrupted test
  split (robustness, as ImageNet-C measures it).

Per cell: the accuracy of each learner, and the compressibility of the corrupted images
(:data:`PREDICTORS`; the ``test`` regime scores the corrupted test split with the clean
pool's statistics). Then: corruption error normalised by the L2 kNN baseline (CE, and its
mean mCE, as Hendrycks & Dietterich 2019 define them), and across the grid whether the change
in compressibility predicts the accuracy drop (:func:`.analysis.correlation`). Every cell is
cached in ``out/cells``; seeds vary the corruption's randomness, the pool and test split are
fixed.
"""

from __future__ import annotations

from functools import cache as cache_once
from functools import partial

import numpy as np

from ncdvision.datasets import PIXEL_SEVERITIES, Dataset, corrupt_labels, corrupt_pixels, load

from ..cache import ResultCache
from . import predictors as P
from .analysis import correlation, verdict
from .learners import make_learner
from .panels import pool_split
from .predictors import PRIMARY

#: name -> dataset, pool, test size, pixel corruptions, label kinds, label rates.
GRIDS = {
    "tiny": {"dataset": "digits", "pool": 200, "test": 100,
             "corruptions": ("gaussian", "rotate"), "severities": (1, 3, 5),
             "label_kinds": ("symmetric",), "label_rates": (0.2, 0.6)},
    "quick": {"dataset": "mnist-5k", "pool": 1000, "test": 500,
              "corruptions": ("gaussian", "motion_blur", "rotate"), "severities": (1, 2, 3, 4, 5),
              "label_kinds": ("symmetric",), "label_rates": (0.2, 0.4, 0.6)},
    "full": {"dataset": "mnist-5k", "pool": 2000, "test": 1000,
             "corruptions": tuple(PIXEL_SEVERITIES), "severities": (1, 2, 3, 4, 5),
             "label_kinds": ("symmetric", "pairwise"), "label_rates": (0.1, 0.2, 0.4, 0.6, 0.8)},
}  # fmt: skip

#: Compressibility of a cell's corrupted images, in bits per value (label information: bits
#: per image), from :data:`.predictors.PREDICTORS`; the ``test`` regime models the corrupted
#: test split with the clean pool as reference.
NOISE_PREDICTORS = (
    "zlib bpp",
    "png bpp",
    "webp bpp",
    "jpegxl bpp",
    "jpegls bpp",
    "ctx bpp",
    "ctx trained bpp",
    "label information (bits/image)",
)
BASELINE = "l2-knn"
REGIMES = ("train", "test")


def grid_cells(grid: dict) -> list[tuple[str, str, float]]:
    """(regime, corruption, severity) of every cell; severity 0 is the clean cell, label
    noise is ``labels:<kind>`` with the rate as severity (train regime only)."""
    cells = [("train", "clean", 0)]
    for regime in REGIMES:
        cells += [(regime, c, s) for c in grid["corruptions"] for s in grid["severities"]]
    cells += [("train", f"labels:{k}", r) for k in grid["label_kinds"] for r in grid["label_rates"]]
    return cells


def _corrupt(ds: Dataset, corruption: str, severity, seed: int) -> Dataset:
    if severity == 0:
        return ds
    if corruption.startswith("labels:"):
        return corrupt_labels(ds, severity, kind=corruption.split(":", 1)[1], seed=seed)[0]
    return corrupt_pixels(ds, corruption, int(severity), seed=seed)[0]


def grid_splits(grid_name: str, dataset: str | None = None) -> tuple[Dataset, Dataset]:
    """The clean (pool, test) pair of a grid, on its dataset or ``dataset`` (a name or path)."""
    if grid_name not in GRIDS:
        raise ValueError(f"unknown grid {grid_name!r}; known: {', '.join(GRIDS)}")
    g = GRIDS[grid_name]
    return pool_split(load(dataset or g["dataset"]), g["pool"], g["test"])


def run_noise(grid_name: str = "quick", learners=("l2-knn", "ncd-knn", "logreg"), out=None,
              seeds=(0, 1, 2), dataset: str | None = None, predictors=(),
              progress: bool | None = True) -> dict:  # fmt: skip
    """Run the study; returns the results (``noise_report.write_noise_report`` writes them).
    ``predictors``: names of extra predictors (:func:`.predictors.predictors`)."""
    from tqdm.auto import tqdm

    if BASELINE not in learners:
        raise ValueError(f"the learners must include the CE baseline {BASELINE!r}")
    preds = P.predictors(predictors, builtin=NOISE_PREDICTORS)
    pool, test = grid_splits(grid_name, dataset)
    grid = dict(GRIDS[grid_name])
    name = dataset or grid["dataset"]
    cache = ResultCache(None if out is None else f"{out}/cells")
    fitted: dict[str, object] = {}  # test regime: one fit on the clean pool per learner
    rows, comp = [], []
    jobs = [(c, s) for c in grid_cells(grid) for s in seeds]
    for (regime, corruption, severity), seed in tqdm(jobs, desc=f"noise {name}",
                                                     disable=progress is False):  # fmt: skip
        key = {
            "study": "noise",
            "dataset": name,
            "pool": len(pool),
            "n_test": len(test),
            "regime": regime,
            "corruption": corruption,
            "severity": severity,
            "seed": seed,
        }
        # each seed corrupts pool and test differently; only when a cell is not cached
        part = pool if regime == "train" else test
        noisy = cache_once(partial(_corrupt, part, corruption, severity,
                                   seed=1000 * seed + (regime == "test")))  # fmt: skip
        for r in REGIMES if corruption == "clean" else (regime,):
            # train regime: the pool on its own; test regime: the test split under the pool's
            # statistics (the clean cell serves both)
            if r == "train":
                scored, ref = noisy, None
            else:
                scored, ref = (partial(_same, test) if corruption == "clean" else noisy), pool
            values = {}
            for p, f in preds.items():  # one cell each: a new predictor computes alone
                cell = {**key, "regime": r, "predictor": p}
                values[p] = cache.get(cell, partial(_predictor, f, scored, ref))["value"]
            comp.append({**key, "regime": r, **values})
        for learner in learners:
            if regime == "train":
                compute = partial(_accuracy, learner, noisy, partial(_same, test), None)
            else:
                compute = partial(_accuracy, learner, partial(_same, pool), noisy, fitted)
            res = cache.get({**key, "learner": learner}, compute)
            for r in REGIMES if corruption == "clean" else (regime,):
                rows.append({**key, "regime": r, "learner": learner, **res,
                             "error": 1.0 - res["accuracy"]})  # fmt: skip
    res = {"grid": grid_name, "dataset": name, "pool": len(pool), "n_test": len(test),
           "settings": grid, "learners": list(learners), "seeds": list(seeds),
           "accuracy": rows, "compressibility": comp, "cells_computed": cache.computed}  # fmt: skip
    res["ce"] = corruption_errors(rows, learners, grid)
    res["deltas"] = deltas(rows, comp, learners, list(preds))
    res["correlations"] = _correlations(res["deltas"], learners, list(preds))
    res["label_noise"] = _label_noise(rows, comp, learners, grid, list(preds))
    res["verdicts"] = _verdicts(res)
    return res


def _same(ds: Dataset) -> Dataset:
    return ds


def _predictor(f, get_ds, reference: Dataset | None) -> dict:
    ds = get_ds()
    return {"value": float(f(ds.images, ds.labels, reference))}


def _accuracy(learner: str, get_train, get_test, fitted: dict | None) -> dict:
    """Test accuracy of ``learner`` fitted on ``get_train()``; with ``fitted``, the fit is
    kept there and reused (the test regime fits once on the clean pool)."""
    test = get_test()
    if fitted is None or learner not in fitted:
        train = get_train()
        model = make_learner(learner).fit(train.images, train.labels)
        if fitted is None:
            return {"accuracy": float(model.score(test.images, test.labels))}
        fitted[learner] = model
    return {"accuracy": float(fitted[learner].score(test.images, test.labels))}


def mean_where(rows: list[dict], field: str, **match) -> float:
    """Mean of ``field`` over the rows whose items equal ``match`` (nan when none do)."""
    vals = [r[field] for r in rows if all(r[k] == v for k, v in match.items())]
    return float(np.mean(vals)) if vals else float("nan")


def corruption_errors(rows, learners, grid) -> list[dict]:
    """CE per (regime, learner, corruption): the learner's errors summed over severities over
    the baseline's, and relative CE (the same with the clean error subtracted; None when the
    baseline's error does not rise); mCE rows have corruption ``mean``."""
    out = []
    for regime in REGIMES:
        clean = {lr: mean_where(rows, "error", regime=regime, learner=lr, corruption="clean")
                 for lr in learners}  # fmt: skip
        for lr in learners:
            ce, rel = [], []
            for c in grid["corruptions"]:
                e = [mean_where(rows, "error", regime=regime, learner=lr, corruption=c, severity=s)
                     for s in grid["severities"]]  # fmt: skip
                b = [mean_where(rows, "error", regime=regime, learner=BASELINE, corruption=c,
                           severity=s) for s in grid["severities"]]  # fmt: skip
                ce.append(sum(e) / sum(b))
                rise = sum(v - clean[BASELINE] for v in b)
                rel.append(sum(v - clean[lr] for v in e) / rise if rise > 0 else None)
                out.append({"regime": regime, "learner": lr, "corruption": c,
                            "mean_error": float(np.mean(e)), "ce": ce[-1], "relative_ce": rel[-1]})  # fmt: skip
            ok = [v for v in rel if v is not None]
            out.append({"regime": regime, "learner": lr, "corruption": "mean",
                        "clean_error": clean[lr], "ce": float(np.mean(ce)),
                        "relative_ce": float(np.mean(ok)) if len(ok) == len(rel) else None})  # fmt: skip
    return out


def deltas(rows, comp, learners, pnames) -> list[dict]:
    """Per pixel-corruption cell (mean over seeds) and learner: the accuracy drop from the clean
    cell and each predictor's change from the clean cell, in the same regime."""
    out = []
    cells = sorted({(r["regime"], r["corruption"], r["severity"]) for r in rows
                    if r["corruption"] != "clean" and not r["corruption"].startswith("labels:")})  # fmt: skip
    for regime, c, s in cells:
        dp = {p: mean_where(comp, p, regime=regime, corruption=c, severity=s)
              - mean_where(comp, p, regime=regime, corruption="clean") for p in pnames}  # fmt: skip
        for lr in learners:
            drop = (mean_where(rows, "accuracy", regime=regime, learner=lr, corruption="clean")
                    - mean_where(rows, "accuracy", regime=regime, learner=lr, corruption=c, severity=s))  # fmt: skip
            out.append({"regime": regime, "corruption": c, "severity": s, "learner": lr,
                        "accuracy_drop": drop, **{f"delta {p}": v for p, v in dp.items()}})  # fmt: skip
    return out


def _correlations(drows, learners, pnames) -> list[dict]:
    out = []
    for regime in REGIMES:
        for lr in learners:
            sel = [d for d in drows if d["regime"] == regime and d["learner"] == lr]
            if not sel:
                continue
            for p in pnames:
                out.append({"regime": regime, "learner": lr, "predictor": p,
                            **correlation([d[f"delta {p}"] for d in sel],
                                          [d["accuracy_drop"] for d in sel])})  # fmt: skip
    return out


def _label_noise(rows, comp, learners, grid, pnames) -> list[dict]:
    """Accuracy and label information against the label-noise rate (rate 0: the clean cell)."""
    out = []
    for kind in grid["label_kinds"]:
        for rate in (0, *grid["label_rates"]):
            c = "clean" if rate == 0 else f"labels:{kind}"
            sev = {} if rate == 0 else {"severity": rate}
            out.append({"kind": kind, "rate": rate,
                        **{f"accuracy {lr}": mean_where(rows, "accuracy", regime="train", learner=lr,
                                                   corruption=c, **sev) for lr in learners},
                        **{p: mean_where(comp, p, regime="train", corruption=c, **sev)
                           for p in pnames}})  # fmt: skip
    return out


def _verdicts(res: dict) -> list[dict]:
    out = []
    for r in res["correlations"]:
        if r["predictor"] != PRIMARY:
            continue
        ci = r.get("spearman_ci")
        out.append({"claim": f"the change in compressibility predicts the accuracy drop "
                             f"({r['regime']} regime)", "learner": r["learner"],
                    "verdict": verdict(r, +1),
                    "evidence": f"Spearman(delta {PRIMARY}, accuracy drop) = "
                                + (f"{r['spearman']:+.2f}, 90% CI [{ci[0]:+.2f}, {ci[1]:+.2f}]"
                                   if ci else "undefined") + f" over {r['n']} cells"})  # fmt: skip
    info = "label information (bits/image)"
    for kind in res["settings"]["label_kinds"]:
        curve = [r for r in res["label_noise"] if r["kind"] == kind]
        li = [r[info] for r in curve]
        bpp = [r[PRIMARY] for r in curve]
        falls = bool(np.all(np.diff(li) < 0))
        same = float(np.ptp(bpp)) < 1e-9
        out.append({"claim": f"{kind} label noise leaves compressibility unchanged and the "
                             "label-information estimate sees it", "learner": "-",
                    "verdict": "supported" if falls and same else
                    ("partly" if falls or same else "contradicted"),
                    "evidence": f"{PRIMARY} spread {np.ptp(bpp):.2g} over rates; label "
                                "information " + " -> ".join(f"{v:.1f}" for v in li) +
                                " bits/image at rates " + ", ".join(f"{r['rate']:g}"
                                                                    for r in curve)})  # fmt: skip
    return out
