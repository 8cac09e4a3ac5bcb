"""Learning-curve fits recover known parameters from noisy synthetic curves."""

import numpy as np
import pytest

from ncdvision.ncd.study import extrapolation_error, fit_broken_power_law, fit_power_law
from ncdvision.ncd.study.fits import power_law


def _curve(a=2.0, alpha=0.5, e_inf=0.02, noise=0.03, seeds=3, seed=0):
    rng = np.random.default_rng(seed)
    sizes = np.repeat(np.geomspace(50, 5000, 6).round(), seeds)
    err = power_law(sizes, a, alpha, e_inf) * np.exp(rng.normal(0, noise, len(sizes)))
    return sizes, err


def test_power_law_fit_recovers_parameters_with_intervals():
    n, err = _curve()
    fit = fit_power_law(n, err, n_boot=100)
    assert fit.params["alpha"] == pytest.approx(0.5, abs=0.1)
    assert fit.params["e_inf"] == pytest.approx(0.02, abs=0.01)
    assert fit.r2 > 0.98
    lo, hi = fit.intervals["alpha"]
    assert lo <= 0.5 <= hi and lo < fit.params["alpha"] < hi


def test_extrapolation_to_the_largest_size_is_close():
    n, err = _curve(seed=1)
    ex = extrapolation_error(n, err)
    assert ex["abs_error"] < 0.01
    assert ex["measured"] == pytest.approx(power_law(5000, 2.0, 0.5, 0.02), rel=0.05)


def test_broken_power_law_fits_a_curve_with_a_break():
    n = np.geomspace(20, 20000, 10)
    err = 0.01 + 0.5 * n**-0.1 * (1 + n / 500) ** -0.6
    fit = fit_broken_power_law(n, err)
    assert fit.r2 > 0.99
    assert np.allclose(fit.predict(n), err, rtol=0.05)
    # a plain power law cannot follow the bend as closely
    assert fit_power_law(n, err, n_boot=0).r2 < fit.r2


def test_fits_refuse_bad_points():
    with pytest.raises(ValueError, match="at least 3"):
        fit_power_law([10, 20], [0.5, 0.4])
    with pytest.raises(ValueError, match="positive"):
        fit_power_law([10, 20, 40], [0.5, 0.0, 0.3])
