"""The measurement suite: learning curves, their fits, compressibility predictors and the
learnability and noise studies (being built; today: :mod:`.fits`)."""

from .fits import Fit, extrapolation_error, fit_broken_power_law, fit_power_law

__all__ = ["Fit", "extrapolation_error", "fit_broken_power_law", "fit_power_law"]
