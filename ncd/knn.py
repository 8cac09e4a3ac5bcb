"""Parameter-free kNN classifiers (scikit-learn estimators).

:class:`NCDKNNClassifier` -- k nearest neighbors under a compression distance;
:class:`PixelKNNClassifier` -- the L2 pixel-space baseline with the same tie rule and the same
leave-one-out k selection (:mod:`.neighbors`).

``codec="auto"`` / ``k="auto"`` are chosen by leave-one-out accuracy on the training set only
(:mod:`.selection`). Test labels are never seen.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .cascade import Cascade, choose_cascade
from .coder import Codec, get_codec
from .compressor import Compressor, default_serializer
from .formulas import DISTANCES
from .neighbors import (
    AUTO_K,
    K_CONSTRAINT,
    SingleLabelClassifier,
    candidate_ks,
    vote,
    vote_proba,
)
from .params import Interval, Options, validate_params
from .pixelknn import PixelKNNClassifier  # noqa: F401 - importable from here as before
from .search import kneighbors
from .selection import AUTO_CANDIDATES, select_setting
from .serialize import Serializer
from .validation import check_images, check_X_y

#: Pairs (queries x training images) up to which the cascade still ranks every training image
#: of a query: 2-3 minutes of the slowest coder (ctx-ref-learned/thermo:3, exact with early
#: abandoning) on 2 cores. The cascade makes large jobs affordable; this is affordable exactly.
EXACT_PAIRS = 20_000_000


class NCDKNNClassifier(SingleLabelClassifier, BaseEstimator):
    """k-nearest-neighbor classifier under a compression distance.

    Parameters
    ----------
    codec : str, default="auto"
        A codec name (see :func:`ncdvision.ncd.available_codecs`) or ``"auto"``.
    serializer : str, default="auto"
        ``raw``, ``q1`` to ``q8``, ``binary``, ``thermo:K``, or ``"auto"`` (chosen with the
        codec).
    distance : {"ncd", "cdm", "clm"}, default="ncd"
        The compression distance (:data:`~ncdvision.ncd.DISTANCES`).
    k : int or "auto", default="auto"
        Neighbors that vote; ``"auto"`` chooses among 1, 3, 5 and 7 by leave-one-out.
    n_jobs : int, default=-1
        Threads; -1 uses every core.
    loo_size : int, default=2000
        Training queries used for the leave-one-out selection of fast codecs (a tenth of it
        for byte codecs).
    search : {"auto", "adaptive", "exact"}, default="auto"
        ``"exact"``: every training image is a candidate neighbor (early abandoning keeps it
        exact and faster). ``"auto"``: the cascade of :mod:`ncdvision.ncd.search`: the
        selection scores each candidate setting as a cascade over the
        :func:`selection_candidates` nearest training images in pixel space, and after it M
        is the smallest count whose recall of the exact top k is at least ``recall`` on
        leave-one-out training queries (exact search when none is). A call whose queries x
        training images are at most ``exact_pairs`` is searched exactly all the same
        (:meth:`candidates_for`). ``"adaptive"``: the same, each query stopping early by the
        rule :meth:`cascade_plan` chose, where it walks clearly fewer candidates.
    recall : float, default=0.99
        Target recall of the exact top k for ``search="auto"`` or ``"adaptive"``.
    exact_pairs : int, default=EXACT_PAIRS
        The largest call (queries x training images) that ``search="auto"`` searches exactly;
        0 uses the cascade for every call. It applies per call: many small calls on a large
        training set are each searched exactly.
    backend : {"local", "dask"}, default="local"
        Where neighbor searches run; ``"dask"`` uses a Dask cluster (``scheduler``: an
        address or a ``distributed.Client``; default ``$NCDVISION_DASK_SCHEDULER`` or a
        ``LocalCluster``), with identical results.
    scheduler : str or Client, default=None
        The Dask scheduler for ``backend="dask"``.
    random_state : int, default=0
        Seed of the leave-one-out query samples.
    verbose : bool, default=False
        Progress bars (tqdm, on standard error) for the selection, the recall measurement and
        every neighbor search.
    selection : {"halving", "full"}, default="halving"
        How ``"auto"`` scores the settings: by successive halving
        (:mod:`ncdvision.ncd.halving`; the same choices as ``"full"`` on digits, mnist-5k and
        fashion-mnist-10k in 0.56 to 0.65 of the time, ``bench/selection_halving.py``), or
        every one on the same ``loo_size`` queries.

    Attributes
    ----------
    classes_ : ndarray
    codec_, serializer_, k_ : the settings in use (chosen ones for ``"auto"``)
    selection_ : list of dict
        Leave-one-out training accuracy of every candidate (codec, serializer, k), when any
        setting was ``"auto"``.
    loo_accuracy_ : float or None
        The chosen setting's leave-one-out training accuracy, an estimate of test accuracy.
    n_candidates_, cascade_recall_ : int or None, dict
        :meth:`cascade` at ``k_``: M for calls beyond ``exact_pairs`` (None: exact search) and
        the training recall at each M tried, measured at first use.
    """

    _constraints: dict = {
        "codec": [Options({"auto"}), str, dict, Codec],
        "serializer": [Options({"auto"}), str, Serializer],
        "distance": [Options(set(DISTANCES))],
        "k": K_CONSTRAINT,
        "n_jobs": [Integral, None],
        "loo_size": [Interval(Integral, 1, None, closed="left")],
        "search": [Options({"auto", "adaptive", "exact"})],
        "recall": [Interval(Real, 0, 1, closed="both")],
        "exact_pairs": [Interval(Integral, 0, None, closed="left")],
        "backend": [Options({"local", "dask"})],
        "random_state": ["random_state"],
        "verbose": ["boolean"],
        "selection": [Options({"full", "halving"})],
    }

    def __init__(
        self,
        codec="auto",
        serializer="auto",
        distance="ncd",
        k="auto",
        n_jobs=-1,
        loo_size=2000,
        search="auto",
        recall=0.99,
        exact_pairs=EXACT_PAIRS,
        backend="local",
        scheduler=None,
        random_state=0,
        verbose=False,
        selection="halving",
    ):
        self.codec = codec
        self.serializer = serializer
        self.distance = distance
        self.k = k
        self.n_jobs = n_jobs
        self.loo_size = loo_size
        self.search = search
        self.recall = recall
        self.exact_pairs = exact_pairs
        self.backend = backend
        self.scheduler = scheduler
        self.random_state = random_state
        self.verbose = verbose
        self.selection = selection

    def fit(self, X, y, X_unlabeled=None) -> NCDKNNClassifier:
        """Choose the setting and k by leave-one-out on ``X`` (where ``"auto"``), fit the
        serializer and a learned prior, and prepare the training images.

        Parameters
        ----------
        X : array of uint8 images, shape (N, H, W) or (N, H, W, C)
            The images.
        y : array of shape (N,)
            Class labels of any type scikit-learn accepts.
        X_unlabeled : array of uint8 images, shape (M, H, W) or (M, H, W, C), optional
            Images of the same kind without labels (an unlabelled pool). A learned coder
            (``ctx-ref-learned``) then learns its prior from ``X`` and these together without
            reading any label: each image coded given its nearest neighbors
            (:mod:`ncdvision.ncd.context.pairs`). They are never neighbors that vote.

        Returns
        -------
        NCDKNNClassifier
            ``self``, fitted.
        """
        validate_params(self, self._constraints)
        X, self.classes_, y_enc = check_X_y(X, y)
        pool = None if X_unlabeled is None else check_images(X_unlabeled, "X_unlabeled")
        if pool is not None and pool.shape[1:] != X.shape[1:]:
            raise ValueError(f"X_unlabeled images are {pool.shape[1:]}, X's are {X.shape[1:]}")
        if self.k != "auto" and self.k > len(X):
            raise ValueError(f"k={self.k} is larger than the training set ({len(X)} images)")
        self._X, self._y = X, y_enc
        if isinstance(self.codec, str) and self.codec == "auto":
            candidates = [c for c in AUTO_CANDIDATES if self.serializer in ("auto", c[1])]
            if not candidates:
                raise ValueError(f"no auto candidate uses serializer {self.serializer!r}")
        else:
            ser = self.serializer
            if isinstance(ser, str) and ser == "auto":
                ser = default_serializer(get_codec(self.codec))
            candidates = [(self.codec, ser)]
        ks = AUTO_K if self.k == "auto" else (int(self.k),)
        self.selection_, self.loo_accuracy_ = [], None
        if len(candidates) > 1 or len(ks) > 1:
            best = self._select(X, y_enc, candidates, pool)
        else:
            best = (candidates[0][0], candidates[0][1], ks[0])
        self.codec_, self.serializer_, self.k_ = best
        self.compressor_ = Compressor(
            self.codec_, self.serializer_, self.distance, self.n_jobs
        ).fit(X, y_enc, unlabeled=pool)
        self._prepared = self.compressor_.prepare(X, "training images")
        self._cascades: dict[int, Cascade] = {}
        return self

    def _select(self, X, y, candidates, pool):
        best, self.loo_accuracy_, self.selection_ = select_setting(
            X, y, candidates, candidate_ks(self.k, len(X) - 1, labels=y), n_classes=len(self.classes_),
            loo_size=self.loo_size, search=self.search, distance=self.distance,
            n_jobs=self.n_jobs, random_state=self.random_state, verbose=self.verbose,
            backend=self.backend, scheduler=self.scheduler,
            halving=self.selection == "halving", unlabeled=pool)  # fmt: skip
        return best

    def _progress(self) -> bool | None:
        return True if self.verbose else None  # None: bars only on very long searches

    def _where(self) -> dict:
        return {"backend": self.backend, "scheduler": self.scheduler}

    def cascade(self, k: int | None = None) -> tuple[int | None, dict[int, float]]:
        """The cascade's M for ``k`` neighbors (default ``k_``) and the recall of the exact
        top k at every M tried, on leave-one-out training queries: :meth:`cascade_plan`'s.

        Parameters
        ----------
        k : int, optional
            Default ``k_``.

        Returns
        -------
        m : int or None
            The smallest M whose recall reaches ``recall``, or with a stopping rule the most
            a query walks; None: search exactly.
        recalls : dict
            The recall at every candidate count tried.
        """
        plan = self.cascade_plan(k)
        return plan.m, plan.recalls

    def cascade_plan(self, k: int | None = None) -> Cascade:
        """The cascade plan for ``k`` neighbors (default ``k_``): its M and, with
        ``search="adaptive"``, the per-query stopping rule where it walks clearly fewer
        candidates at the same recall (:func:`~ncdvision.ncd.choose_cascade`). Measured at
        the first call that needs it and kept (:mod:`ncdvision.ncd.recall` on a large set),
        which a job small enough to be searched exactly never pays. ``search="exact"``:
        ``Cascade(None)``.

        Parameters
        ----------
        k : int, optional
            Default ``k_``.

        Returns
        -------
        Cascade
            ``describe()`` gives it in one line.
        """
        check_is_fitted(self, "compressor_")
        k = self.k_ if k is None else int(k)
        if self.search == "exact":
            return Cascade(None)
        if k not in self._cascades:
            self._cascades[k] = choose_cascade(
                self.compressor_, self._X, k, self.recall, prepared=self._prepared,
                seed=self.random_state, stopping=self.search == "adaptive",
                progress=self._progress(), **self._where(),
            )  # fmt: skip
        return self._cascades[k]

    @property
    def n_candidates_(self) -> int | None:
        """Candidates per query of the cascade at the fitted k, or None for exact search."""
        return self.cascade()[0]

    @property
    def cascade_recall_(self) -> dict[int, float]:
        """Measured recall of the exact top k at each candidate count tried."""
        return self.cascade()[1]

    def candidates_for(self, n_queries: int, k: int | None = None) -> int | None:
        """The cascade's candidates per query for a call with ``n_queries`` images.

        Parameters
        ----------
        n_queries : int
            Images in the call.
        k : int, optional
            Default ``k_``.

        Returns
        -------
        int or None
            None: the call is searched exactly.
        """
        check_is_fitted(self, "compressor_")
        if self.search == "exact" or n_queries * len(self._X) <= self.exact_pairs:
            return None
        return self.cascade(k)[0]

    def kneighbors(self, X=None, n_neighbors: int | None = None, return_distance: bool = True,
                   progress: bool | None = None):  # fmt: skip
        """Distances and training indices of the nearest training images, nearest first.

        Parameters
        ----------
        X : array of uint8 images, optional
            ``None``, as in scikit-learn: the neighbors of each training image among the
            other training images (leave-one-out). The compressor is the one fitted on every
            training image, so a learned prior (``ctx-ref-learned``) has seen each query.
        n_neighbors : int, optional
            Default ``k_``.
        return_distance : bool, default=True
            Return the distances too.
        progress : bool, optional
            A progress bar (default: as ``verbose`` says, else only on very long searches).

        Returns
        -------
        distances : ndarray of float32, shape (n_queries, n_neighbors)
            Only when ``return_distance``.
        indices : ndarray of int64, shape (n_queries, n_neighbors)
        """
        check_is_fitted(self, "compressor_")
        X = None if X is None else check_images(X, "X")
        k = self.k_ if n_neighbors is None else n_neighbors
        m = self.candidates_for(len(self._X if X is None else X), k)
        stop = None if m is None else self.cascade_plan(k).stop
        if X is None:  # leave-one-out: the training images and their C(x), reused
            X, Y = self._X, None
        else:
            Y = self._X
        dist, idx = kneighbors(X, Y, k=k, compressor=self.compressor_, prepared_y=self._prepared,
                               candidates=m, stop=stop,
                               progress=self._progress() if progress is None else progress,
                               **self._where())  # fmt: skip
        return (dist, idx) if return_distance else idx

    def predict(self, X) -> np.ndarray:
        """The majority label of each image's k nearest training images (a tie goes to the
        tied class whose nearest member is closest).

        Parameters
        ----------
        X : array of uint8 images, shape (N, H, W) or (N, H, W, C)
            The images.

        Returns
        -------
        ndarray of shape (N,)
            Labels from ``classes_``.
        """
        idx = self.kneighbors(X, return_distance=False)
        return self.classes_[vote(self._y[idx], len(self.classes_))]

    def predict_proba(self, X) -> np.ndarray:
        """Vote fractions among the k nearest training images.

        A tie carries :data:`~ncdvision.ncd.neighbors.TIE_BREAK` extra on the class the tie
        rule picks, so ``predict == classes_[argmax(predict_proba)]`` always.

        Parameters
        ----------
        X : array of uint8 images, shape (N, H, W) or (N, H, W, C)
            The images.

        Returns
        -------
        ndarray of float64, shape (N, n_classes)
            Columns in ``classes_`` order.
        """
        idx = self.kneighbors(X, return_distance=False)
        return vote_proba(self._y[idx], len(self.classes_))

    def settings(self) -> dict:
        """The settings in use, for reports.

        Returns
        -------
        dict
            ``codec``, ``serializer``, ``k``, ``distance``, ``loo_accuracy``, and the cascade's
            ``n_candidates``, ``cascade_recall`` and one-line ``cascade`` plan at ``k_`` where
            a call needed it.
        """
        check_is_fitted(self, "compressor_")
        plan = self._cascades.get(self.k_, Cascade(None))  # None: not measured, or exact
        return {
            "codec": self.codec_ if isinstance(self.codec_, str) else self.compressor_.codec.name,
            "serializer": self.compressor_.serializer.name,
            "k": self.k_,
            "distance": self.distance,
            "loo_accuracy": self.loo_accuracy_,
            "n_candidates": plan.m,
            "cascade_recall": plan.recall,
            "cascade": plan.describe() if plan.m is not None else None,
        }
