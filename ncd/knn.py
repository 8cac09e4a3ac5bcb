"""Parameter-free compression classifiers (scikit-learn estimators).

:class:`NCDKNNClassifier` -- k nearest neighbours under a compression distance.

Tie rule (single label, never "any of the tied labels"): a majority vote among the k nearest;
if several classes share the most votes, the prediction is the tied class whose nearest member
is closest to the query (neighbours are ordered by distance, then by training index).

``codec="auto"`` / ``k="auto"``: chosen by leave-one-out accuracy on the training set only
(each training query's own copy is excluded from its neighbours), over
:data:`AUTO_CANDIDATES` and k in :data:`AUTO_K`. Fast context coders are scored on up to
``loo_size`` training queries, slow byte codecs on up to ``loo_size // 10``; ties go to the
earlier candidate and the smaller k. Test labels are never seen. A coder that learns from
labelled training images (``ctx-ref-learned``) is fitted, for its leave-one-out score, on the
training images that are not queries, so no query informs the model that scores it (at most
half the training set is used as queries then; the estimate is slightly pessimistic).
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from .distance import Compressor, check_images, kneighbors

#: (codec, serializer) pairs that ``codec="auto"`` chooses among.
AUTO_CANDIDATES: tuple[tuple[str, str], ...] = (
    ("ctx-ref-learned", "binary"),
    ("ctx-ref-learned", "thermo:3"),
    ("ctx-ref", "binary"),
    ("ctx-ref", "q2"),
    ("zlib", "raw"),
    ("bz2", "raw"),
)
AUTO_K: tuple[int, ...] = (1, 3, 5, 7)
_FAST = {"ctx", "ctx-ref", "ctx-ref-asym", "ctx-ref-learned"}


def vote(neighbor_labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Majority vote per row; a tie goes to the tied class met first (its nearest member is
    closest). ``neighbor_labels`` (n, k) are encoded labels ordered nearest first."""
    n, k = neighbor_labels.shape
    counts = np.zeros((n, n_classes), np.int64)
    np.add.at(counts, (np.repeat(np.arange(n), k), neighbor_labels.ravel()), 1)
    top = counts.max(axis=1, keepdims=True)
    is_tied_top = np.take_along_axis(counts, neighbor_labels, 1) == top
    first = np.argmax(is_tied_top, axis=1)  # first neighbour whose class has the top count
    return neighbor_labels[np.arange(n), first]


def loo_accuracies(neighbors: np.ndarray, y_train: np.ndarray, y_query: np.ndarray,
                   ks, n_classes: int) -> dict[int, float]:  # fmt: skip
    """Accuracy of the k-nearest vote for each k; ``neighbors`` (n_query, >= max(ks)) are
    training indices ordered nearest first, with each query itself already left out."""
    return {k: float(np.mean(vote(y_train[neighbors[:, :k]], n_classes) == y_query)) for k in ks}


def best_k(accuracies: dict[int, float]) -> int:
    """The k with the best accuracy; the smallest such k on a tie."""
    return max(accuracies, key=lambda k: (accuracies[k], -k))


def without_self(neighbors: np.ndarray, k: int) -> np.ndarray:
    """Row i of a training-set self query without i itself, its first ``k`` kept."""
    return np.array([row[row != i][:k] for i, row in enumerate(neighbors)])


def _encode_labels(y) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {y.shape}")
    check_classification_targets(y)
    classes, enc = np.unique(y, return_inverse=True)
    return classes, enc


def _check_X(X) -> np.ndarray:
    X = np.asarray(X) if not isinstance(X, (list, tuple)) else X
    if isinstance(X, np.ndarray) and X.ndim == 2:
        raise ValueError(
            f"X has shape {X.shape}: expected images (N, H, W) or (N, H, W, C), not flattened "
            "feature vectors. Reshape, e.g. X.reshape(-1, 28, 28)"
        )
    return check_images(X, "X")


def check_X_y(X, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated images, the sorted classes and the encoded labels of a training set."""
    X = _check_X(X)
    classes, y_enc = _encode_labels(y)
    if len(y_enc) != len(X):
        raise ValueError(f"X has {len(X)} images but y has {len(y_enc)} labels")
    return X, classes, y_enc


class NCDKNNClassifier(ClassifierMixin, BaseEstimator):
    """k-nearest-neighbour classifier under a compression distance.

    Parameters
    ----------
    codec : str, default="auto"
        A codec name (see :func:`ncdvision.ncd.available_codecs`) or ``"auto"``.
    serializer : str, default="auto"
        ``raw``, ``q1``..``q8``, ``binary``, or ``"auto"`` (chosen with the codec).
    distance : {"ncd", "cdm", "clm"}, default="ncd"
    k : int or "auto", default="auto"
    n_jobs : int, default=-1
    loo_size : int, default=2000
        Training queries used for the leave-one-out selection of fast codecs (a tenth of it
        for byte codecs).
    random_state : int, default=0
        Seed of the leave-one-out query sample.

    Attributes
    ----------
    classes_ : ndarray
    codec_, serializer_, k_ : the settings in use (chosen ones for ``"auto"``)
    selection_ : list of dict
        Leave-one-out training accuracy of every candidate (codec, serializer, k), when any
        setting was ``"auto"``.
    loo_accuracy_ : float or None
        The chosen setting's leave-one-out training accuracy, an estimate of test accuracy.
    """

    def __init__(
        self,
        codec="auto",
        serializer="auto",
        distance="ncd",
        k="auto",
        n_jobs=-1,
        loo_size=2000,
        random_state=0,
    ):
        self.codec = codec
        self.serializer = serializer
        self.distance = distance
        self.k = k
        self.n_jobs = n_jobs
        self.loo_size = loo_size
        self.random_state = random_state

    def fit(self, X, y) -> NCDKNNClassifier:
        X, self.classes_, y_enc = check_X_y(X, y)
        if self.k != "auto" and (not isinstance(self.k, (int, np.integer)) or self.k < 1):
            raise ValueError(f"k must be a positive integer or 'auto', got {self.k!r}")
        if self.k != "auto" and self.k > len(X):
            raise ValueError(f"k={self.k} is larger than the training set ({len(X)} images)")
        self._X, self._y = X, y_enc
        if self.codec == "auto":
            candidates = [c for c in AUTO_CANDIDATES if self.serializer in ("auto", c[1])]
            if not candidates:
                raise ValueError(f"no auto candidate uses serializer {self.serializer!r}")
        else:
            ser = self.serializer
            if ser == "auto":
                ser = "binary" if str(self.codec).startswith("ctx") else "raw"
            candidates = [(self.codec, ser)]
        ks = AUTO_K if self.k == "auto" else (int(self.k),)
        self.selection_, self.loo_accuracy_ = [], None
        if len(candidates) > 1 or len(ks) > 1:
            best = self._select(X, y_enc, candidates, ks)
        else:
            best = (candidates[0][0], candidates[0][1], ks[0])
        self.codec_, self.serializer_, self.k_ = best
        self.compressor_ = Compressor(
            self.codec_, self.serializer_, self.distance, self.n_jobs
        ).fit(X, y_enc)
        self._prepared = self.compressor_.prepare(X, "training images")
        return self

    def _select(self, X, y, candidates, ks):
        rng = np.random.default_rng(self.random_state)
        n_avail = len(X) - 1  # leave-one-out: every training image but the query
        if self.k != "auto" and ks[0] > n_avail:
            raise ValueError(
                f"k={ks[0]}: choosing the codec by leave-one-out needs {ks[0]} neighbours per "
                f"training query, but {len(X)} training images leave {n_avail}; pass k <= "
                f"{n_avail} or a fixed codec"
            )
        ks = [k for k in ks if k <= n_avail]
        if not ks:
            raise ValueError(f"{len(X)} training images are too few for leave-one-out selection")
        best, best_acc = None, -1.0
        for codec, ser in candidates:
            comp = Compressor(codec, ser, self.distance, self.n_jobs)
            learned = getattr(comp.codec, "learned", False)
            n_q = min(len(X), self.loo_size if codec in _FAST else max(self.loo_size // 10, 50))
            if learned:
                n_q = min(n_q, len(X) // 2)
                if n_q == 0:
                    continue
            q = (
                np.sort(rng.choice(len(X), n_q, replace=False))
                if n_q < len(X)
                else np.arange(len(X))
            )
            t = time.perf_counter()
            fit_rows = np.setdiff1d(np.arange(len(X)), q) if learned else slice(None)
            comp.fit(X[fit_rows], y[fit_rows])
            _, idx = kneighbors(X[q], X, k=max(ks), compressor=comp, exclude=q)
            secs = time.perf_counter() - t
            for k, acc in loo_accuracies(idx, y, y[q], ks, len(self.classes_)).items():
                self.selection_.append(
                    {
                        "codec": codec,
                        "serializer": ser,
                        "k": k,
                        "loo_accuracy": acc,
                        "n_queries": int(n_q),
                        "seconds": secs,
                    }
                )
                if acc > best_acc:
                    best, best_acc = (codec, ser, k), acc
        if best is None:
            raise ValueError(f"{len(X)} training images are too few for leave-one-out selection")
        self.loo_accuracy_ = best_acc
        return best

    def kneighbors(self, X, n_neighbors: int | None = None, return_distance: bool = True):
        """Distances and training indices of the nearest training images, nearest first."""
        check_is_fitted(self, "compressor_")
        X = _check_X(X)
        k = self.k_ if n_neighbors is None else n_neighbors
        dist, idx = kneighbors(
            X, self._X, k=k, compressor=self.compressor_, prepared_y=self._prepared
        )
        return (dist, idx) if return_distance else idx

    def predict(self, X) -> np.ndarray:
        idx = self.kneighbors(X, return_distance=False)
        return self.classes_[vote(self._y[idx], len(self.classes_))]

    def predict_proba(self, X) -> np.ndarray:
        """Vote fractions among the k nearest (columns in ``classes_`` order)."""
        idx = self.kneighbors(X, return_distance=False)
        proba = np.zeros((len(idx), len(self.classes_)))
        np.add.at(proba, (np.repeat(np.arange(len(idx)), idx.shape[1]), self._y[idx].ravel()), 1)
        return proba / idx.shape[1]

    def settings(self) -> dict:
        """The settings in use, for reports."""
        check_is_fitted(self, "compressor_")
        return {
            "codec": self.codec_,
            "serializer": self.serializer_,
            "k": self.k_,
            "distance": self.distance,
            "loo_accuracy": self.loo_accuracy_,
        }
