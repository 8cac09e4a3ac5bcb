"""The measurement suite: learning curves, their fits, compressibility predictors and the
learnability and noise studies.

- :mod:`.learners` -- learners by name (``l2-knn``, ``ncd-knn``, ``logreg``; ``cnn`` from
  ``[neural]`` through the ``ncdvision.learners`` entry-point group);
- :mod:`.curves` -- test error at log-spaced training sizes over seeds, one cached cell each
  (:class:`~ncdvision.ncd.cache.ResultCache`, which lets a killed study resume);
- :mod:`.fits` -- power law with an irreducible term, smoothly broken power law, bootstrap
  intervals, extrapolation check;
- :mod:`.predictors` -- compressibility in bits per value (every codec, ``ctx`` fresh and
  trained, label information; ``pixelcnn`` from ``[neural]`` through the
  ``ncdvision.predictors`` group) and two non-compression comparisons;
- :mod:`.analysis` -- correlations with bootstrap intervals, leave-one-dataset-out, verdicts,
  and the share of a noise cost a treatment recovers (:func:`~.analysis.recovered_share`);
- :mod:`.learnability` (``ncdvision study learnability``) and :mod:`.noise` (``ncdvision
  study noise``), with their reports in :mod:`.learnability_report` and :mod:`.noise_report`.
"""

from .curves import learning_curves, log_sizes
from .fits import Fit, extrapolation_error, fit_broken_power_law, fit_power_law
from .learnability import run_learnability
from .learners import LEARNERS, available_learners, make_learner, register_learner
from .noise import run_noise
from .predictors import PREDICTORS, PRIMARY, register_predictor

__all__ = [
    "Fit",
    "LEARNERS",
    "PREDICTORS",
    "PRIMARY",
    "available_learners",
    "extrapolation_error",
    "fit_broken_power_law",
    "fit_power_law",
    "learning_curves",
    "log_sizes",
    "make_learner",
    "register_learner",
    "register_predictor",
    "run_learnability",
    "run_noise",
]
