"""The L2 pixel-space kNN baseline (a scikit-learn estimator).

Every compression distance is compared with it in the same run, with the same tie rule and
the same leave-one-out k selection (:mod:`.neighbors`).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .neighbors import K_CONSTRAINT, SingleLabelClassifier, VectorKNN
from .validation import check_images, check_no_bool_numbers, check_X_y


class PixelKNNClassifier(SingleLabelClassifier, BaseEstimator):
    """k nearest neighbours on raw pixels (L2 by default): the baseline every compression
    distance is compared with, with the same tie rule and leave-one-out k selection.

    Parameters
    ----------
    k : int or "auto", default="auto"
    metric : str, default="euclidean"
        Any metric of :class:`sklearn.neighbors.NearestNeighbors`.
    """

    _parameter_constraints: dict = {"k": K_CONSTRAINT, "metric": [str]}

    def __init__(self, k="auto", metric="euclidean"):
        self.k = k
        self.metric = metric

    @staticmethod
    def _flat(X) -> np.ndarray:
        X = check_images(X, "X")
        return X.reshape(len(X), -1).astype(np.float32)

    def fit(self, X, y) -> PixelKNNClassifier:
        self._validate_params()
        check_no_bool_numbers(self)
        X, self.classes_, y_enc = check_X_y(X, y)
        self.knn_ = VectorKNN(self.k, self.metric).fit(self._flat(X), y_enc, len(self.classes_))
        self.k_, self.loo_accuracy_ = self.knn_.k_, self.knn_.loo_accuracy_
        return self

    def kneighbors(self, X=None, n_neighbors: int | None = None, return_distance: bool = True):
        """Distances and training indices of the nearest training images, nearest first;
        ``X=None`` is leave-one-out over the training images, as in scikit-learn."""
        check_is_fitted(self, "knn_")
        F = None if X is None else self._flat(X)
        k = self.k_ if n_neighbors is None else n_neighbors
        return self.knn_.nn_.kneighbors(F, n_neighbors=k, return_distance=return_distance)

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "knn_")
        return self.classes_[self.knn_.predict(self._flat(X))]

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self, "knn_")
        return self.knn_.predict_proba(self._flat(X))

    def settings(self) -> dict:
        check_is_fitted(self, "knn_")
        return {"codec": "-", "serializer": "raw", "k": self.k_, "distance": self.metric,
                "loo_accuracy": self.loo_accuracy_}  # fmt: skip
