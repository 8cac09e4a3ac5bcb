"""The L2 pixel-space kNN baseline (a scikit-learn estimator).

Every compression distance is compared with it in the same run, with the same tie rule and
the same leave-one-out k selection (:mod:`.neighbors`).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .neighbors import K_CONSTRAINT, SingleLabelClassifier, VectorKNN
from .params import validate_params
from .validation import check_images, check_X_y


class PixelKNNClassifier(SingleLabelClassifier, BaseEstimator):
    """k nearest neighbors on raw pixels (L2 by default): the baseline every compression
    distance is compared with, with the same tie rule and leave-one-out k selection.

    Parameters
    ----------
    k : int or "auto", default="auto"
        Neighbors that vote; ``"auto"`` chooses it by leave-one-out on the training set
        (at most :data:`~ncdvision.ncd.neighbors.LOO_QUERIES` of its images as queries).
    metric : str, default="euclidean"
        Any metric of :class:`sklearn.neighbors.NearestNeighbors`.
    """

    _constraints: dict = {"k": K_CONSTRAINT, "metric": [str]}

    def __init__(self, k="auto", metric="euclidean"):
        self.k = k
        self.metric = metric

    @staticmethod
    def _flat(X) -> np.ndarray:
        X = check_images(X, "X")
        return X.reshape(len(X), -1).astype(np.float32)

    def fit(self, X, y) -> PixelKNNClassifier:
        """Store the training images and choose k (where ``"auto"``) by leave-one-out.

        Parameters
        ----------
        X : array-like of shape (n_images, height, width[, channels])
            Training images, uint8.
        y : array-like of shape (n_images,)
            Their labels.

        Returns
        -------
        PixelKNNClassifier
            ``self``, fitted.
        """
        validate_params(self, self._constraints)
        X, self.classes_, y_enc = check_X_y(X, y)
        self.knn_ = VectorKNN(self.k, self.metric).fit(self._flat(X), y_enc, len(self.classes_))
        self.k_, self.loo_accuracy_ = self.knn_.k_, self.knn_.loo_accuracy_
        return self

    def kneighbors(self, X=None, n_neighbors: int | None = None, return_distance: bool = True):
        """Distances and training indices of the nearest training images, nearest first.

        Parameters
        ----------
        X : array-like of shape (n_queries, height, width[, channels]), optional
            Query images; None is leave-one-out over the training images, as in scikit-learn.
        n_neighbors : int, optional
            Neighbors per query; default the fitted ``k_``.
        return_distance : bool, default=True
            Return the distances too.

        Returns
        -------
        distances : ndarray of shape (n_queries, n_neighbors)
            Only when ``return_distance``.
        indices : ndarray of int, shape (n_queries, n_neighbors)
            Indices into the training images.
        """
        check_is_fitted(self, "knn_")
        F = None if X is None else self._flat(X)
        k = self.k_ if n_neighbors is None else n_neighbors
        return self.knn_.nn_.kneighbors(F, n_neighbors=k, return_distance=return_distance)

    def predict(self, X) -> np.ndarray:
        """The majority label of each image's k nearest training images (the tie rule of
        :mod:`.neighbors`).

        Parameters
        ----------
        X : array-like of shape (n_queries, height, width[, channels])
            Query images.

        Returns
        -------
        ndarray of shape (n_queries,)
            One label each.
        """
        check_is_fitted(self, "knn_")
        return self.classes_[self.knn_.predict(self._flat(X))]

    def predict_proba(self, X) -> np.ndarray:
        """Vote fractions among the k nearest training images.

        Parameters
        ----------
        X : array-like of shape (n_queries, height, width[, channels])
            Query images.

        Returns
        -------
        ndarray of shape (n_queries, n_classes)
            Columns in the order of ``classes_``.
        """
        check_is_fitted(self, "knn_")
        return self.knn_.predict_proba(self._flat(X))

    def settings(self) -> dict:
        """The settings in use, for reports.

        Returns
        -------
        dict
            ``codec`` (``"-"``), ``serializer``, ``k``, ``distance`` (the metric) and
            ``loo_accuracy``.
        """
        check_is_fitted(self, "knn_")
        return {"codec": "-", "serializer": "raw", "k": self.k_, "distance": self.metric,
                "loo_accuracy": self.loo_accuracy_}  # fmt: skip
