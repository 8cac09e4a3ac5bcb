"""The one k-nearest-neighbor vote and leave-one-out k selection every kNN path uses:
compression distances, L2 pixels, learned-compressor latents.

Tie rule (single label, never "any of the tied labels"): a majority vote among the k nearest;
if several classes share the most votes, the prediction is the tied class whose nearest member
is closest (neighbors are ordered by distance, then by training index).
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.neighbors import NearestNeighbors

from .params import Interval, Options

#: The k values ``k="auto"`` chooses among.
AUTO_K: tuple[int, ...] = (1, 3, 5, 7)
#: Probability mass that encodes the tie rule in ``predict_proba`` (see :func:`vote_proba`).
TIE_BREAK = 1e-6
#: Leave-one-out queries of :class:`VectorKNN`'s k selection at most: a larger set is sampled
#: (seed 0). Each query costs a row of the (queries x points) distance matrix, so all 60,000
#: images of Fashion-MNIST take six times as long as 10,000 (9 s on 2 cores,
#: ``bench/fullsize.py``); the accuracy of 10,000 queries has a standard error of 0.005 or less.
LOO_QUERIES = 10_000


def vote(neighbor_labels: np.ndarray, n_classes: int,
         exclude: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
    """Majority vote per row with the tie rule: among tied classes, the class of the nearest
    neighbor.

    Parameters
    ----------
    neighbor_labels : ndarray of int, shape (n, k)
        Encoded labels, nearest first.
    n_classes : int
        Number of classes.
    exclude : ndarray of int, shape (n,), optional
        A class per row that does not vote (e.g. the row's own given label, to find the
        leading other class).

    Returns
    -------
    ndarray of int, shape (n,)
        The winning class; -1 for a row whose every neighbor is excluded.
    """
    n, k = neighbor_labels.shape
    rows = np.arange(n)
    counts = np.zeros((n, n_classes), np.int64)
    np.add.at(counts, (np.repeat(rows, k), neighbor_labels.ravel()), 1)
    voting = np.ones((n, k), bool)
    if exclude is not None:
        counts[rows, exclude] = 0
        voting = neighbor_labels != np.asarray(exclude)[:, None]
    top = counts.max(axis=1, keepdims=True)
    is_tied_top = (np.take_along_axis(counts, neighbor_labels, 1) == top) & voting
    first = np.argmax(is_tied_top, axis=1)  # first neighbor whose class has the top count
    return np.where(is_tied_top.any(axis=1), neighbor_labels[rows, first], -1)


def vote_fractions(neighbor_labels: np.ndarray, n_classes: int) -> np.ndarray:
    """(n, n_classes) share of each row's k nearest in each class."""
    n, k = neighbor_labels.shape
    frac = np.zeros((n, n_classes))
    np.add.at(frac, (np.repeat(np.arange(n), k), neighbor_labels.ravel()), 1.0)
    return frac / k


def vote_proba(neighbor_labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Vote fractions among the k nearest, with :data:`TIE_BREAK` of extra mass on the class
    :func:`vote` picks, so that ``argmax(vote_proba) == vote`` on ties too."""
    proba = vote_fractions(neighbor_labels, n_classes)
    proba[np.arange(len(proba)), vote(neighbor_labels, n_classes)] += TIE_BREAK
    return proba / proba.sum(axis=1, keepdims=True)


def loo_accuracies(neighbors: np.ndarray, y_train: np.ndarray, y_query: np.ndarray,
                   ks, n_classes: int) -> dict[int, float]:  # fmt: skip
    """Accuracy of the k-nearest vote for each k; ``neighbors`` (n_query, >= max(ks)) are
    training indices ordered nearest first, with each query itself already left out."""
    return {k: float(np.mean(vote(y_train[neighbors[:, :k]], n_classes) == y_query)) for k in ks}


def best_k(accuracies: dict[int, float]) -> int:
    """The k with the best accuracy; the smallest such k on a tie."""
    return max(accuracies, key=lambda k: (accuracies[k], -k))


def candidate_ks(k, n_available: int, what: str = "training images",
                 labels: np.ndarray | None = None) -> list[int]:  # fmt: skip
    """The k values to score: :data:`AUTO_K` within ``n_available`` for ``"auto"``, else
    ``[k]``, refused with the numbers when there are not that many neighbors.

    With ``labels``, ``"auto"`` keeps only k below the median class size (always 1): a
    leave-one-out query of a class of m images has only m - 1 classmates, so with 5 images
    per class k = 5 or 7 is scored on votes the test images never see.
    """
    if k == "auto":
        ks = [c for c in AUTO_K if c <= n_available]
        if not ks:
            raise ValueError(f"leave-one-out k selection needs at least 2 {what}")
        if labels is not None:
            typical = float(np.median(np.unique(labels, return_counts=True)[1]))
            ks = [c for c in ks if c < typical] or [1]
        return ks
    if k > n_available:
        raise ValueError(
            f"k={k}: leave-one-out needs {k} neighbors per query, but there are only "
            f"{n_available} ({what} minus the query)"
        )
    return [int(k)]


class VectorKNN:
    """Exact kNN on feature vectors (scikit-learn's :class:`~sklearn.neighbors.NearestNeighbors`)
    with the tie rule and leave-one-out k selection on the training set (on
    :data:`LOO_QUERIES` of its points at most); the engine of the L2 pixel baseline and of
    latent-feature kNN.

    ``fit`` takes encoded labels; ``kneighbors(X=None)`` is scikit-learn's leave-one-out query
    (each training point is not its own neighbor).
    """

    def __init__(self, k="auto", metric: str = "euclidean"):
        self.k = k
        self.metric = metric

    def fit(self, F: np.ndarray, y: np.ndarray, n_classes: int) -> VectorKNN:
        self.y_, self.n_classes_ = y, n_classes
        ks = candidate_ks(self.k, len(F) - 1, labels=y) if self.k == "auto" else [int(self.k)]
        if self.k != "auto" and self.k > len(F):
            raise ValueError(f"k={self.k} is larger than the training set ({len(F)} points)")
        self.nn_ = NearestNeighbors(metric=self.metric).fit(F)
        self.loo_accuracy_ = None
        if len(ks) > 1:
            q = np.arange(len(F))
            if len(F) > LOO_QUERIES:
                q = np.sort(np.random.default_rng(0).choice(len(F), LOO_QUERIES, replace=False))
            accs = loo_accuracies(self._loo(F, q, max(ks)), y, y[q], ks, n_classes)
            ks = [best_k(accs)]
            self.loo_accuracy_ = accs[ks[0]]
        self.k_ = ks[0]
        return self

    def _loo(self, F: np.ndarray, q: np.ndarray, k: int) -> np.ndarray:
        """The ``k`` nearest of points ``q``, each left out of its own list as scikit-learn's
        ``kneighbors(X=None)`` leaves it out (where a duplicate hides it, the first goes)."""
        if len(q) == len(F):
            return self.nn_.kneighbors(n_neighbors=k, return_distance=False)
        idx = self.nn_.kneighbors(F[q], n_neighbors=k + 1, return_distance=False)
        keep = idx != q[:, None]
        keep[keep.all(axis=1), 0] = False
        return idx[keep].reshape(len(q), k)

    def neighbor_labels(self, F: np.ndarray) -> np.ndarray:
        _, idx = self.nn_.kneighbors(F, n_neighbors=self.k_)
        return self.y_[idx]

    def predict(self, F: np.ndarray) -> np.ndarray:
        return vote(self.neighbor_labels(F), self.n_classes_)

    def predict_proba(self, F: np.ndarray) -> np.ndarray:
        return vote_proba(self.neighbor_labels(F), self.n_classes_)


#: The constraint of a ``k`` parameter: a positive integer or ``"auto"``.
K_CONSTRAINT = [Interval(Integral, 1, None, closed="left"), Options({"auto"})]


class SingleLabelClassifier(ClassifierMixin):
    """scikit-learn's classifier mixin, with :meth:`score` documented for these classifiers."""

    def score(self, X, y, sample_weight=None) -> float:
        """Mean accuracy of :meth:`predict` on ``X``: a prediction is correct only when its
        single label is right (a tie is decided by the tie rule, never counted as a hit).

        Parameters
        ----------
        X : array of uint8 images, shape (N, H, W) or (N, H, W, C)
        y : array of shape (N,)
            The true labels.
        sample_weight : array of shape (N,), optional

        Returns
        -------
        float
        """
        return super().score(X, y, sample_weight)
