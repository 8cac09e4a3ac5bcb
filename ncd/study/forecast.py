"""Forecast a learning curve from a pilot: how many labelled images reach a target error?

The pilot is the learner's test error at three small training sizes (25, 50 and 100 images,
three seeds each) and two label-aware compression measures of 160 labelled images
(:mod:`.prequential`). Beyond the pilot's largest size ``n_p`` the curve is forecast as a
straight line in log-log space through the pilot's mean error ``e_p`` there,

    err(n) = e_p (n / n_p) ** s,

whose slope ``s`` a ridge regression predicts from the pilot (:data:`FEATURES`). The
regression is fitted on the learnability panel (:mod:`.panels`); its intervals are quantiles
of the slope's leave-one-family-out residuals on the panel, so they say how wrong the
forecast was on families it had not seen. :mod:`.forecast_eval` measures all of this with whole
families held out, against the mean of the other tasks and against extrapolating the pilot
alone (its own log-log slope, and a power law fitted to its points).
"""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from .predictors import PRIMARY_LABEL

#: The pilot features the slope is predicted from.
FEATURES = ("pilot slope", "log pilot error", PRIMARY_LABEL, "ncd pilot loo error")
#: Ridge penalty on the standardized features (fixed, not tuned on the panel).
RIDGE_ALPHA = 1.0
#: A slope at or above this is "the curve does not fall": its target is out of reach.
FLAT_SLOPE = -0.01
#: log10 of the training size reported for a target out of reach.
NEVER = 7.0
#: The interval levels reported, with their residual quantiles.
LEVELS = {"80%": (10, 90), "90%": (5, 95)}
#: The shipped calibration (one entry per panel), written by ``bench/learnability.py``.
CALIBRATION = "forecast_calibration.json"


def mean_by_size(points) -> tuple[np.ndarray, np.ndarray]:
    """The distinct training sizes of (size, error) points and the mean error at each.

    Parameters
    ----------
    points : sequence of (int, float)
        (training size, test error) pairs.

    Returns
    -------
    sizes, errors : ndarray
    """
    n, e = map(np.asarray, zip(*points, strict=True))
    sizes = np.unique(n)
    return sizes.astype(float), np.array([e[n == s].mean() for s in sizes])


def pilot_summary(points, floor: float) -> dict:
    """The pilot's mean error at its largest size and its log-log slope.

    Parameters
    ----------
    points : sequence of (int, float)
        (training size, test error) pairs of the pilot, several seeds per size.
    floor : float
        The smallest error used (half a test image), so a perfect score has a logarithm.

    Returns
    -------
    dict
        ``n_p``, ``e_p`` and ``pilot slope``.
    """
    n, e = mean_by_size(points)
    e = np.maximum(e, floor)
    return {"n_p": float(n[-1]), "e_p": float(e[-1]),
            "pilot slope": float(np.polyfit(np.log(n), np.log(e), 1)[0])}  # fmt: skip


def slope_beyond(points, n_p: float, e_p: float, floor: float) -> float:
    """The measured slope beyond the pilot: least squares through (n_p, e_p) in log-log
    space over the sizes above ``n_p``.

    Parameters
    ----------
    points : sequence of (int, float)
        (training size, test error) pairs above the pilot.
    n_p, e_p : float
        The pilot's largest size and its mean error.
    floor : float
        The smallest error used.

    Returns
    -------
    float
    """
    n, e = mean_by_size(points)
    x, y = np.log(n / n_p), np.log(np.maximum(e, floor) / e_p)
    return float((x * y).sum() / (x * x).sum())


def log10_n_at(target: float, n_p: float, e_p: float, slope: float) -> float:
    """log10 of the training size at which ``e_p (n / n_p) ** slope`` reaches ``target``
    (:data:`NEVER` when the line does not fall to it; at most :data:`NEVER`).

    Parameters
    ----------
    target : float
        The error to reach (below ``e_p``).
    n_p, e_p : float
        The pilot's largest size and its mean error.
    slope : float
        The line's slope in log-log space.

    Returns
    -------
    float
    """
    if slope >= FLAT_SLOPE:
        return NEVER
    return float(min(np.log10(n_p) + np.log10(target / e_p) / slope, NEVER))


def fit_ridge(X, y) -> Pipeline:
    """Ridge regression (penalty :data:`RIDGE_ALPHA`) on standardized features.

    Parameters
    ----------
    X : array-like of shape (n, n_features)
        The features.
    y : array-like of shape (n,)
        The targets.

    Returns
    -------
    Pipeline
        The fitted ``StandardScaler`` and ``Ridge``.
    """
    return make_pipeline(StandardScaler(), Ridge(alpha=RIDGE_ALPHA)).fit(
        np.asarray(X, float), np.asarray(y, float))  # fmt: skip


class SlopeModel:
    """Ridge regression of the slope beyond the pilot on :data:`FEATURES`, with the
    leave-one-family-out residual quantiles its intervals use.

    Parameters
    ----------
    params : dict
        ``mean``, ``scale``, ``coef`` (one per feature), ``intercept``, ``residuals``
        (level -> (low, high) quantiles of true minus predicted slope), ``ranges`` (the
        training features' (min, max) per feature), ``n_tasks`` and ``families``.
    """

    def __init__(self, params: dict):
        self.params = params

    @classmethod
    def fit(cls, X: np.ndarray, slopes: np.ndarray, families: np.ndarray) -> SlopeModel:
        """Fit on the panel's rows; the residual quantiles come from leave-one-family-out.

        Parameters
        ----------
        X : ndarray of shape (n_tasks, n_features)
            The pilot features.
        slopes : ndarray of shape (n_tasks,)
            The measured slopes beyond the pilot.
        families : ndarray of shape (n_tasks,)
            Each task's family.

        Returns
        -------
        SlopeModel
        """
        resid = np.full(len(slopes), np.nan)
        for fam in np.unique(families):
            out = families == fam
            if out.all():
                continue
            resid[out] = slopes[out] - fit_ridge(X[~out], slopes[~out]).predict(X[out])
        scaler, ridge = fit_ridge(X, slopes).named_steps.values()
        ok = np.isfinite(resid)
        q = {lv: tuple(float(np.percentile(resid[ok], p)) for p in ps) if ok.any() else (0.0, 0.0)
             for lv, ps in LEVELS.items()}  # fmt: skip
        return cls({"mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist(),
                    "coef": ridge.coef_.tolist(), "intercept": float(ridge.intercept_),
                    "residuals": q, "ranges": np.stack([X.min(0), X.max(0)], 1).tolist(),
                    "n_tasks": int(len(slopes)),
                    "families": sorted(map(str, np.unique(families)))})  # fmt: skip

    def predict(self, X) -> np.ndarray:
        """Predicted slopes.

        Parameters
        ----------
        X : array-like of shape (n, n_features)
            Pilot features in :data:`FEATURES` order.

        Returns
        -------
        ndarray of shape (n,)
        """
        p = self.params
        z = (np.atleast_2d(np.asarray(X, float)) - p["mean"]) / np.asarray(p["scale"])
        return z @ np.asarray(p["coef"]) + p["intercept"]

    def interval(self, slope: float, level: str = "90%") -> tuple[float, float]:
        """The slope's interval at ``level`` ("80%" or "90%").

        Parameters
        ----------
        slope : float
            A predicted slope.
        level : str, default="90%"
            The interval's level.

        Returns
        -------
        tuple of float
        """
        lo, hi = self.params["residuals"][level]
        return slope + lo, slope + hi

    def outside(self, x) -> list[str]:
        """The features of ``x`` outside the range the model was fitted on.

        Parameters
        ----------
        x : array-like of shape (n_features,)
            One task's features.

        Returns
        -------
        list of str
            ``"name = value (panel: lo to hi)"`` per feature out of range.
        """
        return [f"{name} = {v:.3g} (panel: {lo:.3g} to {hi:.3g})"
                for name, v, (lo, hi) in zip(FEATURES, x, self.params["ranges"], strict=True)
                if not lo <= v <= hi]  # fmt: skip


def load_calibration(panel: str | None = None) -> dict:
    """The shipped calibrations by panel, or one panel's.

    Parameters
    ----------
    panel : str, optional
        The panel whose calibration to return (default: all of them, by panel).

    Returns
    -------
    dict
    """
    path = resources.files(__package__) / CALIBRATION
    cals = json.loads(path.read_text()) if path.is_file() else {}
    if panel is None:
        return cals
    if panel not in cals:
        raise ValueError(f"no forecast calibration for panel {panel!r} (shipped: "
                         f"{', '.join(cals) or 'none'}); bench/learnability.py --panel {panel} "
                         "writes it")  # fmt: skip
    return cals[panel]
