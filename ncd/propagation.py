"""Few labels and many unlabelled images: labels spread over a compression-distance graph.

:class:`NCDLabelSpreading` is semi-supervised. It links every labelled and unlabelled image
to its nearest neighbors under a compression distance (the setting and the learned prior of
:class:`~ncdvision.ncd.NCDKNNClassifier` fitted with the unlabelled pool), spreads the known
labels over that graph with scikit-learn's :class:`~sklearn.semi_supervised.LabelSpreading`
(Zhou et al. 2004), and classifies a new image by the vote of its nearest images, labelled
or newly labelled. The spreading's clamping factor is chosen by cross-validation on the
labelled images alone, so no test image chooses anything.
"""

from __future__ import annotations

import warnings
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold
from sklearn.semi_supervised import LabelSpreading
from sklearn.utils.validation import check_is_fitted

from .knn import NCDKNNClassifier
from .neighbors import SingleLabelClassifier, vote
from .params import Interval, validate_params
from .search import kneighbors
from .selection import SELECTION_CANDIDATES
from .validation import check_images, check_X_y

#: Clamping factors the cross-validation chooses among (scikit-learn's ``alpha``: how much
#: of a labelled image's label its neighbors may overwrite; 0 keeps given labels fixed).
ALPHAS: tuple[float, ...] = (0.2, 0.5, 0.8, 0.95)


class _Graph:
    """A precomputed affinity matrix as a LabelSpreading kernel: the estimator is fitted on
    the row numbers, and the kernel returns the graph (rows of it for other row numbers)."""

    def __init__(self, W: sp.csr_matrix):
        self.W = W

    def __call__(self, a: np.ndarray, b: np.ndarray) -> sp.csr_matrix:
        return self.W[a[:, 0].astype(np.int64)][:, b[:, 0].astype(np.int64)]


def spread(W: sp.csr_matrix, y: np.ndarray, alpha: float) -> np.ndarray:
    """Labels of every node after label spreading over ``W`` (``-1`` marks unlabelled nodes).

    Parameters
    ----------
    W : sparse matrix, shape (n, n)
        Symmetric affinities.
    y : ndarray of int, shape (n,)
        Known labels, ``-1`` where unknown.
    alpha : float
        Clamping factor, in (0, 1).

    Returns
    -------
    ndarray of int, shape (n,)
        The spread labels (``y``'s classes).
    """
    rows = np.arange(W.shape[0], dtype=np.float64)[:, None]
    with warnings.catch_warnings():  # slow convergence still gives usable labels
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LabelSpreading(kernel=_Graph(W), alpha=alpha, max_iter=100).fit(rows, y)
    return model.transduction_


def knn_graph(idx: np.ndarray) -> sp.csr_matrix:
    """The symmetric 0/1 graph linking each row to the neighbors in ``idx`` (n, k)."""
    n, k = idx.shape
    W = sp.csr_matrix((np.ones(n * k), (np.repeat(np.arange(n), k), idx.ravel())), shape=(n, n))
    return W.maximum(W.T).tocsr()


def choose_alpha(W: sp.csr_matrix, y: np.ndarray, seed: int) -> tuple[float, dict[float, float]]:
    """The clamping factor of :data:`ALPHAS` whose spreading best recovers held-out labels.

    The labelled nodes (the first ``len(y)``) are split in up to five stratified folds; each
    fold's labels are hidden in turn and scored against what the spreading gives them. Ties
    go to the smaller factor.

    Parameters
    ----------
    W : sparse matrix
        The graph; its first ``len(y)`` nodes are the labelled ones.
    y : ndarray of int
        Their labels.
    seed : int
        Seed of the folds.

    Returns
    -------
    alpha : float
    scores : dict
        Held-out accuracy of every factor.
    """
    folds = min(5, int(np.bincount(y).min()))
    if folds < 2:
        return ALPHAS[-1], {}
    split = StratifiedKFold(folds, shuffle=True, random_state=seed).split(y, y)
    tests = [test for _, test in split]
    full = np.full(W.shape[0], -1, np.int64)
    scores = {}
    for alpha in ALPHAS:
        right = 0
        for test in tests:
            known = full.copy()
            known[: len(y)] = y
            known[test] = -1
            right += int((spread(W, known, alpha)[test] == y[test]).sum())
        scores[alpha] = right / len(y)
    return max(ALPHAS, key=lambda a: (scores[a], -a)), scores


class NCDLabelSpreading(SingleLabelClassifier, BaseEstimator):
    """Semi-supervised classification: labels spread over the compression-distance kNN graph
    of labelled and unlabelled images, then a vote of the nearest ones.

    Parameters
    ----------
    codec, serializer : default="auto"
        As for :class:`~ncdvision.ncd.NCDKNNClassifier`, which chooses them on the labelled
        images and learns its prior from them and the pool without labels.
    n_neighbors : int, default=10
        Neighbors per image in the graph (made symmetric).
    k : int, default=5
        Nearest labelled or newly labelled images that vote for a new image.
    max_unlabeled : int, default=5000
        Unlabelled images in the graph, at most (a seeded random subset of the pool).
    n_jobs : int, default=-1
        Threads.
    random_state : int, default=0
        Seed of the pool subset, the folds and the setting choice.

    Attributes
    ----------
    classes_ : ndarray
    knn_ : NCDKNNClassifier
        The fitted setting (``knn_.codec_``, ``knn_.serializer_``) and its compressor.
    alpha_ : float
        The clamping factor chosen; ``alpha_scores_`` has every factor's held-out accuracy.
    labels_ : ndarray of int
        Encoded labels of the graph's images: the given ones, then the spread ones.
    """

    _constraints: dict = {
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "k": [Interval(Integral, 1, None, closed="left")],
        "max_unlabeled": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    def __init__(self, codec="auto", serializer="auto", n_neighbors=10, k=5,
                 max_unlabeled=5000, n_jobs=-1, random_state=0):  # fmt: skip
        self.codec = codec
        self.serializer = serializer
        self.n_neighbors = n_neighbors
        self.k = k
        self.max_unlabeled = max_unlabeled
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(self, X, y, X_unlabeled) -> NCDLabelSpreading:
        """Choose the setting, build the graph of ``X`` and the pool, and spread the labels.

        Parameters
        ----------
        X : array of uint8 images, shape (N, H, W) or (N, H, W, C)
            Labelled images.
        y : array of shape (N,)
            Their labels.
        X_unlabeled : array of uint8 images, shape (M, H, W) or (M, H, W, C)
            Unlabelled images of the same kind; their labels are never asked for.

        Returns
        -------
        NCDLabelSpreading
            ``self``, fitted.
        """
        validate_params(self, self._constraints)
        X, self.classes_, y_enc = check_X_y(X, y)
        pool = check_images(X_unlabeled, "X_unlabeled")
        if len(pool) > self.max_unlabeled:
            rng = np.random.default_rng(self.random_state)
            pool = pool[np.sort(rng.choice(len(pool), self.max_unlabeled, replace=False))]
        self.knn_ = NCDKNNClassifier(self.codec, self.serializer, n_jobs=self.n_jobs,
                                     random_state=self.random_state).fit(X, y, X_unlabeled=pool)  # fmt: skip
        self._A = np.concatenate([X, pool])
        comp = self.knn_.compressor_
        self._prepared = comp.prepare(self._A, "graph images")
        m = self._candidates(len(self._A) - 1)
        _, idx = kneighbors(self._A, None, k=min(self.n_neighbors, len(self._A) - 1),
                            compressor=comp, prepared_y=self._prepared, candidates=m)  # fmt: skip
        W = knn_graph(idx)
        seed = 0 if self.random_state is None else int(self.random_state)
        self.alpha_, self.alpha_scores_ = choose_alpha(W, y_enc, seed)
        known = np.concatenate([y_enc, np.full(len(pool), -1, np.int64)])
        self.labels_ = spread(W, known, self.alpha_)
        self.labels_[: len(X)] = y_enc  # the given labels vote as given
        return self

    def _candidates(self, n: int) -> int | None:
        """Pixel-space candidates per query of the graph's searches (None: exact)."""
        return SELECTION_CANDIDATES if SELECTION_CANDIDATES < n else None

    def kneighbors(self, X, n_neighbors: int | None = None) -> np.ndarray:
        """Indices of each image's nearest graph images, nearest first.

        Parameters
        ----------
        X : array of uint8 images
            The images.
        n_neighbors : int, optional
            Default ``k``.

        Returns
        -------
        ndarray of int64, shape (n_images, n_neighbors)
            Rows of the graph: the labelled images, then the pool's; ``labels_`` holds their
            labels, given or spread.
        """
        check_is_fitted(self, "labels_")
        X = check_images(X, "X")
        k = min(self.k if n_neighbors is None else n_neighbors, len(self._A))
        _, idx = kneighbors(X, self._A, k=k, compressor=self.knn_.compressor_,
                            prepared_y=self._prepared,
                            candidates=self._candidates(len(self._A)))  # fmt: skip
        return idx

    def predict(self, X) -> np.ndarray:
        """The majority of the spread labels of each image's k nearest graph images.

        Parameters
        ----------
        X : array of uint8 images
            The images.

        Returns
        -------
        ndarray
            Labels from ``classes_``.
        """
        idx = self.kneighbors(X)
        return self.classes_[vote(self.labels_[idx], len(self.classes_))]
