"""The learners whose learning curves the studies measure, found by name.

A learner is a function that returns a fresh scikit-learn classifier taking uint8 image
batches, registered in :data:`LEARNERS` (:func:`register_learner`). Built in: ``l2-knn`` (L2
pixel kNN), ``ncd-knn`` (NCD kNN with the best coder, ``ctx-ref-learned`` on ``thermo:3``; k
chosen by leave-one-out), ``logreg`` (logistic regression on pixels scaled to 0..1). Other
packages add learners through the ``ncdvision.learners`` entry-point group (the ``[neural]``
package adds ``cnn``), loaded when first asked for.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from ..knn import NCDKNNClassifier, PixelKNNClassifier
from ..plugins import Registry
from ..validation import check_images, check_X_y

#: Learner factories by name.
LEARNERS: Registry[Callable[[], BaseEstimator]] = Registry("learner", "ncdvision.learners")
#: Register a learner factory: ``register_learner("name", factory)``.
register_learner = LEARNERS.register


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


register_learner("l2-knn", lambda: PixelKNNClassifier())
register_learner(
    "ncd-knn", lambda: NCDKNNClassifier(codec="ctx-ref-learned", serializer="thermo:3")
)
register_learner("logreg", lambda: PixelLogisticRegression())


def available_learners() -> list[str]:
    """Built-in names, then those of installed packages (not loaded until used).

    Returns
    -------
    list of str
    """
    return LEARNERS.names()


def make_learner(name: str) -> BaseEstimator:
    """A fresh classifier for ``name``; a learner of a missing extra says how to install it.

    Parameters
    ----------
    name : str
        A registered learner.

    Returns
    -------
    estimator
        An unfitted scikit-learn classifier.
    """
    return LEARNERS.get(name)()
