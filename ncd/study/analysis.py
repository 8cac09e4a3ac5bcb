"""Does a predictor track learnability? Rank and linear correlation with bootstrap intervals
over datasets, and leave-one-dataset-out prediction. And how much of what noise costs a
treatment (e.g. label filtering) wins back, with paired bootstrap intervals."""

from __future__ import annotations

import numpy as np
from scipy import stats


def _pearson_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson correlation of each row pair of (B, n) arrays (nan where a row is constant)."""
    xc = x - x.mean(axis=1, keepdims=True)
    yc = y - y.mean(axis=1, keepdims=True)
    den = np.sqrt((xc * xc).sum(axis=1) * (yc * yc).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (xc * yc).sum(axis=1) / den, np.nan)


def correlation(x, y, n_boot: int = 2000, seed: int = 0) -> dict:
    """Spearman and Pearson correlation of paired values (one pair per dataset), each with a
    90% bootstrap interval from resampling the datasets (resamples with a constant side are
    left out)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    out = {"n": int(len(x))}
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return {**out, "spearman": None, "pearson": None}
    idx = np.random.default_rng(seed).integers(0, len(x), (n_boot, len(x)))
    xb, yb = x[idx], y[idx]
    for name, (r, boot) in {
        "pearson": (stats.pearsonr(x, y)[0], _pearson_rows(xb, yb)),
        "spearman": (stats.spearmanr(x, y)[0],
                     _pearson_rows(stats.rankdata(xb, axis=1), stats.rankdata(yb, axis=1))),
    }.items():  # fmt: skip
        boot = boot[np.isfinite(boot)]
        out[name] = float(r)
        out[f"{name}_ci"] = tuple(float(v) for v in np.percentile(boot, [5, 95]))
    return out


def leave_one_out_prediction(x, y) -> dict:
    """Predict each dataset's y from a straight line through the others' (x, y); the mean
    absolute error, next to that of predicting the others' mean (no predictor)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 3:
        return {"mae": None, "mae_mean_only": None}
    err, base = [], []
    for i in range(len(x)):
        m = np.arange(len(x)) != i
        slope, intercept = np.polyfit(x[m], y[m], 1) if np.ptp(x[m]) > 0 else (0.0, y[m].mean())
        err.append(abs(slope * x[i] + intercept - y[i]))
        base.append(abs(y[m].mean() - y[i]))
    return {"mae": float(np.mean(err)), "mae_mean_only": float(np.mean(base))}


def verdict(corr: dict, sign: int = 1) -> str:
    """'supported' when the Spearman interval lies on the expected side of zero, 'contradicted'
    when on the other, else 'inconclusive'."""
    if corr.get("spearman") is None:
        return "inconclusive (fewer than 3 datasets)"
    lo, hi = sorted(sign * v for v in corr["spearman_ci"])
    if lo > 0:
        return "supported"
    if hi < 0:
        return "contradicted"
    return "inconclusive"


def recovered_share(correct: dict[str, np.ndarray], n_boot: int = 2000, seed: int = 0) -> dict:
    """How much of the accuracy lost to noise each treatment wins back, with 90% intervals.

    ``correct`` maps a condition to a (seeds, n_test) boolean array of correct test
    predictions; it holds ``"noisy"`` and ``"clean"`` and any treatments (e.g. ``"filtered"``),
    row ``s`` of each from the same noise draw and the same test images. The cost is the mean
    over seeds of clean minus noisy accuracy; a treatment's share is its mean gain over noisy
    divided by the cost (1: all of it back, 0: none, below 0: worse than not treating). The
    intervals resample the noise draws and the test images together (paired), so a cost the
    test set cannot tell from zero shows as an interval reaching 0 (its shares then mean
    little). Shares are computed on the resamples with a positive cost; a share's interval
    is None when fewer than half the resamples have one.
    """
    acc = {w: np.asarray(c, float) for w, c in correct.items()}
    for w in ("noisy", "clean"):
        if w not in acc:
            raise ValueError(f"correct needs a {w!r} condition, got {sorted(acc)}")
    shapes = {a.shape for a in acc.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise ValueError(f"every condition must be one (seeds, n_test) array, got shapes {shapes}")
    n_seeds, n_test = next(iter(shapes))
    rng = np.random.default_rng(seed)
    si = rng.integers(0, n_seeds, (n_boot, n_seeds))
    ti = rng.integers(0, n_test, (n_boot, n_test))

    def boot_mean(a: np.ndarray) -> np.ndarray:
        per_seed = np.stack([a[:, t].mean(axis=1) for t in ti])  # (n_boot, n_seeds)
        return np.take_along_axis(per_seed, si, axis=1).mean(axis=1)

    mean = {w: float(a.mean()) for w, a in acc.items()}
    boot = {w: boot_mean(a) for w, a in acc.items()}
    cost, cost_b = mean["clean"] - mean["noisy"], boot["clean"] - boot["noisy"]
    out = {"n_seeds": int(n_seeds), "n_test": int(n_test),
           "accuracy": mean, "cost": cost,
           "cost_ci": tuple(float(v) for v in np.percentile(cost_b, [5, 95])),
           "share": {}, "share_ci": {}}  # fmt: skip
    for w in acc:
        if w in ("noisy", "clean"):
            continue
        out["share"][w] = (mean[w] - mean["noisy"]) / cost if cost > 0 else None
        ok = cost_b > 0
        share_b = (boot[w][ok] - boot["noisy"][ok]) / cost_b[ok]
        out["share_ci"][w] = (tuple(float(v) for v in np.percentile(share_b, [5, 95]))
                              if ok.mean() > 0.5 else None)  # fmt: skip
    return out
