"""The learners whose learning curves the studies measure, found by name.

Built in: ``l2-knn`` (L2 pixel kNN), ``ncd-knn`` (NCD kNN with the best coder,
``ctx-ref-learned`` on ``thermo:3``; k chosen by leave-one-out), ``logreg`` (logistic
regression on pixels scaled to 0..1). Other packages add learners through the
``ncdvision.learners`` entry-point group (the ``[neural]`` package adds ``cnn``); an entry
names a function that returns a fresh scikit-learn classifier taking uint8 image batches.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from ..knn import NCDKNNClassifier, PixelKNNClassifier
from ..validation import check_images, check_X_y

LEARNERS_GROUP = "ncdvision.learners"


class PixelLogisticRegression(ClassifierMixin, BaseEstimator):
    """Multinomial logistic regression on pixels scaled to 0..1 (fixed C, no tuning)."""

    def __init__(self, C: float = 0.1, max_iter: int = 300):
        self.C = C
        self.max_iter = max_iter

    @staticmethod
    def _flat(X) -> np.ndarray:
        X = check_images(X, "X")
        return X.reshape(len(X), -1).astype(np.float32) / 255.0

    def fit(self, X, y) -> PixelLogisticRegression:
        X, self.classes_, y_enc = check_X_y(X, y)
        self.model_ = LogisticRegression(C=self.C, max_iter=self.max_iter)
        self.model_.fit(self._flat(X), y_enc)
        return self

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.model_.predict(self._flat(X))]

    def predict_proba(self, X) -> np.ndarray:
        return self.model_.predict_proba(self._flat(X))


BUILTIN: dict[str, Callable[[], BaseEstimator]] = {
    "l2-knn": lambda: PixelKNNClassifier(),
    "ncd-knn": lambda: NCDKNNClassifier(codec="ctx-ref-learned", serializer="thermo:3"),
    "logreg": lambda: PixelLogisticRegression(),
}


def available_learners() -> list[str]:
    """Built-in names, then those of installed packages (not loaded until used)."""
    return list(BUILTIN) + [ep.name for ep in entry_points(group=LEARNERS_GROUP)
                            if ep.name not in BUILTIN]  # fmt: skip


def make_learner(name: str) -> BaseEstimator:
    """A fresh classifier for ``name``; a learner of a missing extra says how to install it."""
    if name in BUILTIN:
        return BUILTIN[name]()
    for ep in entry_points(group=LEARNERS_GROUP):
        if ep.name == name:
            return ep.load()()
    raise ValueError(f"unknown learner {name!r}; known: {', '.join(available_learners())}")
