"""Choosing the setting and k by leave-one-out accuracy on the training set.

``codec="auto"`` / ``k="auto"`` of :class:`~ncdvision.ncd.NCDKNNClassifier`: every setting of
:data:`AUTO_CANDIDATES` and every k in :data:`~ncdvision.ncd.neighbors.AUTO_K` is scored by
leave-one-out accuracy on training queries (each query's own copy is excluded from its
neighbors). Context coders are scored on up to ``loo_size`` training queries, slow byte
codecs on up to ``loo_size // 10`` of the same queries (every setting is compared on the same
draw); ties go to the earlier candidate and the smaller k. A coder that learns from labelled
training images (``ctx-ref-learned``) is fitted, for its leave-one-out score, on the training
images that are not queries, so no query informs the model that scores it (at most half the
training set is used as queries then; the estimate is slightly pessimistic). On fewer than
``2 * loo_size`` training images, where that would leave the learned coder a prior from half
the images against settings that use them all, it is cross-fitted instead (:mod:`.crossfit`).
"""

from __future__ import annotations

import time

import numpy as np
from tqdm.auto import tqdm

from .coder import Codec
from .compressor import Compressor
from .crossfit import FoldedCoder, use_cross_fit
from .halving import halving_select, leads
from .neighbors import vote
from .search import kneighbors

#: (codec, serializer) pairs that ``codec="auto"`` chooses among.
AUTO_CANDIDATES: tuple[tuple[str, str], ...] = (
    ("ctx-ref-learned", "binary"),
    ("ctx-ref-learned", "thermo:3"),
    ("ctx-ref", "binary"),
    ("ctx-ref", "q2"),
    ("zlib", "raw"),
    ("bz2", "raw"),
)

#: Standard errors by which a setting must beat the one preferred to it (:func:`preferred`):
#: 0, the better score on the shared queries wins. A margin of standard errors would resist
#: the noise of a few-shot selection, but on digits two of them overrode the best k and moved
#: the filter's outlier seeds, so the default keeps the plain comparison. With few labels the
#: noise is reduced instead by scoring a learned coder on every image (:mod:`.crossfit`).
LEAD_SE = 0.0

#: Candidates per query (nearest in pixel space) when ``search="auto"`` scores the settings:
#: at least this many, and one in :data:`SELECTION_SHARE` of the training set on large sets.
SELECTION_CANDIDATES = 200
#: Why the pool grows: a setting is then scored as the classifier it becomes, whose final
#: cascade ranks thousands of candidates on a large set, and settings differ in the
#: neighbors they find beyond pixel space's nearest few hundred. On full Fashion-MNIST
#: (``bench/selection_pool.py``: 50,000 training images searched, 1,000 other training images
#: as queries) ctx-ref-learned binary and thermo:3 tie at k=5 (0.878) ranking 200
#: candidates; ranking 1,200, thermo:3 leads by 2.3 points (0.883 against 0.860).
SELECTION_SHARE = 50


def selection_candidates(n_train: int) -> int:
    """The cascade's candidates per query while the settings are scored on ``n_train``
    images: 200 up to 10,000 images, n_train / 50 beyond (1,200 for 60,000)."""
    return max(SELECTION_CANDIDATES, n_train // SELECTION_SHARE)


def select_setting(X: np.ndarray, y: np.ndarray, candidates, ks, *, n_classes: int,
                   loo_size: int, search: str, distance: str, n_jobs: int | None,
                   random_state: int | None, verbose: bool = False, backend: str = "local",
                   scheduler=None, halving: bool = False,
                   unlabeled: np.ndarray | None = None) -> tuple[tuple, float, list[dict]]:  # fmt: skip
    """The best (codec, serializer, k) by leave-one-out accuracy on training queries.

    Parameters
    ----------
    X : ndarray of uint8, shape (n_images, height, width[, channels])
        Checked training images.
    y : ndarray of int, shape (n_images,)
        Encoded labels.
    candidates : list of (codec, serializer)
        The settings to score, in order of preference (ties go to the earlier).
    ks : sequence of int
        The k to score, ascending (ties go to the smaller).
    n_classes : int
        Number of classes.
    loo_size : int
        Training queries for a context coder (a tenth, at least 50, for the others).
    search : {"auto", "exact"}
        ``"auto"`` ranks :func:`selection_candidates` pixel-space candidates per query.
    distance : {"ncd", "cdm", "clm"}
        The distance.
    n_jobs : int or None
        Threads.
    random_state : int or None
        Seed of the query draw.
    verbose : bool, default=False
        Progress bars.
    backend : {"local", "dask"}, default="local"
        Where the searches run.
    scheduler : optional
        The Dask scheduler for ``backend="dask"``.
    halving : bool, default=False
        Score by successive halving (:func:`.halving.halving_select`): the settings that
        fall behind stop being scored early.
    unlabeled : ndarray of uint8, optional
        An unlabelled pool: a learned coder's prior then comes from it and the non-query
        training images, without labels (:meth:`Compressor.fit`).

    Returns
    -------
    best : tuple
        ``(codec, serializer, k)``.
    accuracy : float
        Its leave-one-out accuracy.
    rows : list of dict
        One row per setting and k: codec, serializer, k, loo_accuracy, n_queries,
        candidates, seconds.
    """
    if halving:
        m = selection_candidates(len(X)) if search != "exact" else None
        return halving_select(X, y, candidates, ks, n_classes=n_classes, loo_size=loo_size,
                              search=search, distance=distance, n_jobs=n_jobs,
                              random_state=random_state,
                              m=m if m is not None and m < len(X) - 1 else None,
                              backend=backend, scheduler=scheduler,
                              unlabeled=unlabeled, verbose=verbose)  # fmt: skip
    # one draw for every setting: each is scored on a prefix of the same random order, so
    # settings are compared on the same queries (a paired comparison; independent draws
    # per setting let the draw decide between settings a point or two apart)
    order = np.random.default_rng(random_state).permutation(len(X))
    rows, scored = [], []
    steps = tqdm(candidates, desc="auto: scoring settings by leave-one-out", unit="setting",
                 disable=not verbose, leave=False)  # fmt: skip
    for codec, ser in steps:
        steps.set_postfix_str(f"{codec}/{ser}")
        comp = Compressor(codec, ser, distance, n_jobs)
        cross_fit = use_cross_fit(comp, len(X), loo_size, len(candidates), unlabeled is not None)
        n_q = loo_size if comp.codec.kind == "context" else max(loo_size // 10, 50)
        n_q = min(len(X), n_q)
        if comp.codec.learned and not cross_fit:
            n_q = min(n_q, len(X) // 2)
            if n_q == 0:
                continue
        t = time.perf_counter()
        m = selection_candidates(len(X)) if search != "exact" else None
        m = m if m is not None and m < len(X) - 1 else None
        run = dict(progress=True if verbose else None, backend=backend, scheduler=scheduler)
        if cross_fit:
            folds = FoldedCoder(lambda c=codec, s=ser: Compressor(c, s, distance, n_jobs), X, y,
                                order, unlabeled)  # fmt: skip
            sorted_q = np.argsort(order[:n_q])
            q = order[:n_q][sorted_q]
            idx = folds.kneighbors(0, n_q, max(ks), m, **run)[sorted_q]
        else:
            q = np.sort(order[:n_q])
            fit_rows = np.setdiff1d(np.arange(len(X)), q) if comp.codec.learned else slice(None)
            comp.fit(X[fit_rows], y[fit_rows], unlabeled=unlabeled)
            _, idx = kneighbors(X[q], X, k=max(ks), compressor=comp, exclude=q, candidates=m,
                                **run)  # fmt: skip
        secs = time.perf_counter() - t
        name = comp.codec.name if isinstance(codec, (dict, Codec)) else codec
        for k in ks:
            right = vote(y[idx[:, :k]], n_classes) == y[q]
            rows.append({"codec": name, "serializer": str(ser), "k": k,
                         "loo_accuracy": float(right.mean()), "n_queries": int(n_q),
                         "candidates": m, "seconds": secs})  # fmt: skip
            scored.append(((codec, ser, k), q, right))
    if not scored:
        raise ValueError(f"{len(X)} training images are too few for leave-one-out selection")
    best, best_acc = preferred(scored)
    return best, best_acc, rows


def preferred(scored: list, z: float = LEAD_SE) -> tuple[tuple, float]:
    """The setting chosen from leave-one-out results, in order of preference.

    A setting replaces the one chosen so far only when it leads it by more than ``z``
    standard errors of their paired per-query difference (:func:`.halving.leads`, on the
    queries both were scored on); ties go to the earlier setting and the smaller k.

    Parameters
    ----------
    scored : list of (setting, queries, right)
        In order of preference: the setting, the sorted query indices it was scored on, and
        whether its vote was right on each.
    z : float, default=LEAD_SE
        The lead needed, in standard errors.

    Returns
    -------
    setting : tuple
        The chosen setting.
    accuracy : float
        Its leave-one-out accuracy.
    """
    best, q_best, r_best = scored[0]
    for setting, q, right in scored[1:]:
        _, i_new, i_best = np.intersect1d(q, q_best, assume_unique=True, return_indices=True)
        if leads(right[i_new], r_best[i_best], z):
            best, q_best, r_best = setting, q, right
    return best, float(r_best.mean())
