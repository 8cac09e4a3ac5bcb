"""Learning-curve fits: a power law with an irreducible term and a smoothly broken power law.

- :func:`fit_power_law`: err(n) = a n^-alpha + e_inf (Hestness et al. 2017), fitted in log
  space (the residuals are log err - log model, so every training size counts alike).
- :func:`fit_broken_power_law`: the one-break smoothly broken power law of Caballero et al.
  2023, err(n) = e_inf + a n^-c0 (1 + (n / d)^(1/f))^(-c1 f), also in log space.
- Bootstrap intervals resample the seeds at each training size; :func:`extrapolation_error`
  fits the sizes below the largest and predicts the largest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares


def power_law(n, a: float, alpha: float, e_inf: float):
    return a * np.asarray(n, dtype=float) ** (-alpha) + e_inf


def broken_power_law(n, a: float, c0: float, c1: float, log_d: float, f: float, e_inf: float):
    n = np.asarray(n, dtype=float)
    return e_inf + a * n ** (-c0) * (1.0 + (n / np.exp(log_d)) ** (1.0 / f)) ** (-c1 * f)


@dataclass
class Fit:
    """Fitted parameters, R^2 in log space, and bootstrap 90% intervals (name -> (lo, hi))."""

    kind: str
    params: dict[str, float]
    r2: float
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)

    def predict(self, n) -> np.ndarray:
        fn = power_law if self.kind == "power" else broken_power_law
        return fn(n, **self.params)


def _as_arrays(n, err) -> tuple[np.ndarray, np.ndarray]:
    n = np.asarray(n, dtype=float).ravel()
    err = np.asarray(err, dtype=float).ravel()
    if n.shape != err.shape or len(n) < 3:
        raise ValueError(f"need at least 3 (n, error) points of equal length, got {len(n)}, "
                         f"{len(err)}")  # fmt: skip
    if np.any(n <= 0) or np.any(err <= 0):
        raise ValueError("training sizes and errors must be positive (log-space fit)")
    return n, err


def _r2_log(err, pred) -> float:
    y, p = np.log(err), np.log(np.maximum(pred, 1e-12))
    ss = np.sum((y - y.mean()) ** 2)
    return float(1.0 - np.sum((y - p) ** 2) / ss) if ss > 0 else float("nan")


def _fit_power(n, err) -> dict[str, float]:
    floor = float(err.min())

    def resid(p):
        return np.log(np.maximum(power_law(n, *p), 1e-12)) - np.log(err)

    # start from the straight line through the two ends with no floor
    alpha0 = max(np.log(err[np.argmin(n)] / err[np.argmax(n)]) / np.log(n.max() / n.min()), 0.05)
    x0 = [err[np.argmin(n)] * n.min() ** alpha0, alpha0, 0.1 * floor]
    r = least_squares(resid, x0, bounds=([1e-12, 0.0, 0.0], [np.inf, 5.0, floor * (1 - 1e-9)]))
    return dict(zip(("a", "alpha", "e_inf"), map(float, r.x), strict=True))


def _fit_broken(n, err) -> dict[str, float]:
    pw = _fit_power(n, err)
    floor = float(err.min())

    def resid(p):
        return np.log(np.maximum(broken_power_law(n, *p), 1e-12)) - np.log(err)

    x0 = [pw["a"], pw["alpha"], 0.0, float(np.log(np.median(n))), 1.0, pw["e_inf"]]
    lo = [1e-12, 0.0, -2.0, float(np.log(n.min())) - 2, 0.05, 0.0]
    hi = [np.inf, 5.0, 5.0, float(np.log(n.max())) + 2, 10.0, floor * (1 - 1e-9)]
    r = least_squares(resid, np.clip(x0, np.add(lo, 1e-9), np.subtract(hi, 1e-9)),
                      bounds=(lo, hi))  # fmt: skip
    return dict(zip(("a", "c0", "c1", "log_d", "f", "e_inf"), map(float, r.x), strict=True))


def _bootstrap(fitter, n, err, groups, n_boot: int, seed: int) -> dict[str, tuple[float, float]]:
    """90% intervals of each parameter, resampling the points within each training size."""
    rng = np.random.default_rng(seed)
    by_size = [np.flatnonzero(groups == g) for g in np.unique(groups)]
    samples = []
    for _ in range(n_boot):
        pick = np.concatenate([rng.choice(ix, len(ix)) for ix in by_size])
        try:
            samples.append(fitter(n[pick], err[pick]))
        except (ValueError, RuntimeError):
            continue
    if not samples:
        return {}
    return {k: (float(np.percentile([s[k] for s in samples], 5)),
                float(np.percentile([s[k] for s in samples], 95))) for k in samples[0]}  # fmt: skip


def fit_power_law(n, err, *, n_boot: int = 200, seed: int = 0) -> Fit:
    """Fit err(n) = a n^-alpha + e_inf to (training size, error) points (several seeds per
    size allowed); intervals from ``n_boot`` bootstrap resamples (0: none)."""
    n, err = _as_arrays(n, err)
    params = _fit_power(n, err)
    ci = _bootstrap(_fit_power, n, err, n, n_boot, seed) if n_boot else {}
    return Fit("power", params, _r2_log(err, power_law(n, **params)), ci)


def fit_broken_power_law(n, err, *, n_boot: int = 0, seed: int = 0) -> Fit:
    """Fit the one-break smoothly broken power law (needs at least 6 points)."""
    n, err = _as_arrays(n, err)
    if len(np.unique(n)) < 4:
        raise ValueError("a broken power law needs at least 4 distinct training sizes")
    params = _fit_broken(n, err)
    ci = _bootstrap(_fit_broken, n, err, n, n_boot, seed) if n_boot else {}
    return Fit("broken", params, _r2_log(err, broken_power_law(n, **params)), ci)


def extrapolation_error(n, err, kind: str = "power") -> dict:
    """Fit the sizes below the largest, predict the mean error at the largest: the predicted
    and measured errors and their absolute difference."""
    n, err = _as_arrays(n, err)
    top = n == n.max()
    fitter = fit_power_law if kind == "power" else fit_broken_power_law
    fit = fitter(n[~top], err[~top], n_boot=0)
    predicted = float(fit.predict(n.max()))
    measured = float(err[top].mean())
    return {"n": float(n.max()), "predicted": predicted, "measured": measured,
            "abs_error": abs(predicted - measured)}  # fmt: skip
