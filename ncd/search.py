"""Top-k neighbors under a compression distance: exact search with early abandoning, and a
candidate cascade whose recall is measured on training data.

Exact search (``candidates=None``). Rows of X are processed in blocks and only the k best of
each row are kept (memory O(n_x k + block)). For the ``ctx-ref`` coders the candidates of
each query are visited nearest-in-pixels first and each pair is coded only until its partial
code length proves it cannot beat the current k-th neighbor (early abandoning,
:func:`ncdvision.ncd.context.topk.ref_kneighbors`; symmetric binary pairs code their
active pixels first); the neighbors and distances are identical to the full matrix's.
Other codecs compute each block in full.

Cascade (``candidates=M``). A cheap distance (L2 on the square roots of the pixels) picks the
M nearest training images of each query, and the compression distance ranks only those; with
``rerank`` a second level (:class:`~ncdvision.ncd.SecondStage`) first cuts them to a
shorter list. :func:`~ncdvision.ncd.choose_cascade` picks the sizes whose recall of the
exact top k reaches a target (0.99 by default) on leave-one-out *training* queries; the recall
is that of the final top k, since the cascade ranks its last candidates exactly.
"""

from __future__ import annotations

import numpy as np

from .compressor import Compressor
from .distance import checked_inputs, map_row_blocks, progress_bar
from .validation import check_exclude, check_k

#: The cascade's first stage, by name: stored results of cascade searches key on it, so a
#: change of the first stage never serves neighbors found with the old one.
FIRST_STAGE = "l2-sqrt, ties by index"


def first_stage_features(X: np.ndarray) -> np.ndarray:
    """The cascade's cheap representation: square roots of the pixel values, flattened.

    The square root compresses bright values and stretches dark ones, so strokes' presence
    counts more than their exact intensity, as in the context coders' low-level planes. On
    leave-one-out training queries it halves the M at which the pixel-space candidates hold
    99% of ``ctx-ref-learned``'s top k (``bench/first_stage.py``: mnist-5k 1,000 -> 500)."""
    return np.sqrt(X.reshape(len(X), -1).astype(np.float32))


def l2_order(x: np.ndarray, y: np.ndarray, m: int, exclude: np.ndarray | None = None,
             y_norms: np.ndarray | None = None):  # fmt: skip
    """The ``m`` nearest rows of feature matrix ``y`` for each row of ``x`` by squared L2
    distance, nearest first (ties by the lower index); ``exclude[i]`` is never returned for
    row i. ``y_norms``: the squared norms of ``y``'s rows, if already known."""
    yy = (y * y).sum(1) if y_norms is None else y_norms
    d2 = (x * x).sum(1)[:, None] - 2.0 * (x @ y.T) + yy[None, :]
    if exclude is not None:
        d2[np.arange(len(x)), exclude] = np.inf
    if m < d2.shape[1]:
        part = np.argpartition(d2, m - 1, axis=1)[:, :m]
        # argpartition may cut a tie at the m-th value arbitrarily: those rows take the lowest
        # indices among the tied
        kth = np.take_along_axis(d2, part, 1).max(axis=1, keepdims=True)
        for r in np.flatnonzero((d2 <= kth).sum(axis=1) > m):
            cand = np.flatnonzero(d2[r] <= kth[r])
            part[r] = cand[np.lexsort((cand, d2[r, cand]))[:m]]
    else:
        part = np.broadcast_to(np.arange(d2.shape[1]), d2.shape)
    part_d = np.take_along_axis(d2, part, 1)
    order = np.lexsort((part, part_d), axis=1)
    return np.take_along_axis(part, order, 1).astype(np.int64)


class FirstStage:
    """The cascade's first stage over a reference set: its features and their squared norms,
    computed once and shared by every block of queries (and sent once to each Dask worker)."""

    def __init__(self, Y: np.ndarray):
        self.features = first_stage_features(Y)
        self.norms = (self.features * self.features).sum(1)

    def order(self, X: np.ndarray, m: int, exclude: np.ndarray | None = None) -> np.ndarray:
        """The ``m`` nearest reference images of each X image, nearest first."""
        return l2_order(first_stage_features(X), self.features, m, exclude, self.norms)


def pixel_order(X: np.ndarray, Y: np.ndarray, m: int, exclude: np.ndarray | None = None):
    """The ``m`` nearest Y images of each X image in the cascade's first stage (L2 on
    :func:`first_stage_features`), nearest first."""
    return FirstStage(Y).order(X, m, exclude)


def top_k(D: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise k smallest of a distance matrix.

    Parameters
    ----------
    D : ndarray, shape (n, m)
        Distances.
    k : int
        Neighbors per row.

    Returns
    -------
    distances : ndarray, shape (n, min(k, m))
        Ascending; ties are broken by the lower column index.
    indices : ndarray of int64, shape (n, min(k, m))
    """
    if k < D.shape[1]:
        part = np.argpartition(D, k - 1, axis=1)[:, :k]
        # argpartition may cut a tie at the k-th value arbitrarily: take all columns that are
        # not worse than the k-th value, then sort by (distance, index)
        kth = np.take_along_axis(D, part, 1).max(axis=1, keepdims=True)
        out_d = np.empty((D.shape[0], k), D.dtype)
        out_i = np.empty((D.shape[0], k), np.int64)
        for r in range(D.shape[0]):
            cand = np.flatnonzero(D[r] <= kth[r])
            order = np.lexsort((cand, D[r, cand]))[:k]
            out_i[r] = cand[order]
            out_d[r] = D[r, out_i[r]]
        return out_d, out_i
    order = np.lexsort((np.broadcast_to(np.arange(D.shape[1]), D.shape), D), axis=1)[:, :k]
    return np.take_along_axis(D, order, 1), order.astype(np.int64)


def _top_k_of(D: np.ndarray, cand: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top k of distances ``D`` of candidate columns ``cand``, ties by the lower Y index."""
    order = np.lexsort((cand, D), axis=1)[:, :k]
    return np.take_along_axis(D, order, 1), np.take_along_axis(cand, order, 1)


def _search_block(comp: Compressor, dy, stage: FirstStage | None, rerank, stop, trace: int, X, dx,
                  exclude, k: int, m: int, n_avail: int):  # fmt: skip
    """Top k of one block of query rows: (distances, indices, pixels coded or -1, candidates
    walked per row, trace)."""
    if stage is not None:
        cand = stage.order(X, m, exclude)
        if rerank is not None and m < n_avail:
            cand = rerank.order(X, cand)
            m = cand.shape[1]
    walked = np.full(len(X), m, np.int64)
    if comp.codec.early_abandoning:
        d, i, work, walked, entered = comp.codec.kneighbors_block(
            dx, dy, cand, k, comp.distance, comp.n_jobs, stop=stop, trace=trace
        )
        return d, i, int(work.sum()), walked, entered
    none = np.empty((len(X), 0), np.int64)
    if m < n_avail:
        return (*_top_k_of(comp.pair_distances(dx, dy, cand), cand, k), -1, walked, none)
    D = comp.distances(dx, dy)
    if exclude is not None:
        D[np.arange(len(exclude)), exclude] = np.inf
    return (*top_k(D, k), -1, walked, none)


def kneighbors(
    X,
    Y=None,
    k: int = 5,
    *,
    codec="ctx-ref",
    serializer="auto",
    distance: str = "ncd",
    n_jobs: int | None = -1,
    block_rows: int | None = None,
    progress: bool | None = None,
    compressor: Compressor | None = None,
    exclude: np.ndarray | None = None,
    prepared_y=None,
    candidates: int | None = None,
    rerank=None,
    stop: tuple[int, float] | None = None,
    backend: str = "local",
    scheduler=None,
    stats: dict | None = None,
    trace: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest Y images of each X image, without forming the full matrix.

    The Dask backend (``backend="dask"``, see :mod:`.distributed`) returns the same
    neighbors and distances as the local one.

    Parameters
    ----------
    X, Y : uint8 arrays (N, H, W[, C])
        Queries and the images they are searched in; ``Y=None`` searches X itself,
        leaving each query out.
    k : int, default=5
        Neighbors per query.
    codec, serializer, distance, n_jobs, block_rows, progress, compressor, backend, scheduler
        As for :func:`~ncdvision.ncd.pairwise`.
    exclude : array of int, shape (n_x,), optional
        For each query, one index of Y it must not return (its own copy).
    prepared_y : optional
        Y already prepared by ``compressor`` (its C(y)), reused.
    candidates : int, optional
        The cascade's M: rank only each query's M nearest Y images in pixel space. None:
        the exact search.
    rerank : SecondStage, optional
        The cascade's second level (:class:`~ncdvision.ncd.SecondStage`, fitted on
        Y): of the M pixel-space candidates, only its ``m`` best by rank fusion are ranked.
        Only with ``candidates``.
    stop : (int, float), optional
        ``(m0, g)``: each query stops walking its candidates, nearest first in pixel space,
        before position p once p >= m0 and p >= g * (q + 1), q the position of the last
        candidate that entered its top k; its top k is exact among those it walked. The
        cascade's per-query rule (:func:`~ncdvision.ncd.choose_cascade`). Only with a codec
        that searches with early abandoning.
    stats : dict, optional
        Filled with ``pairs`` (pairs the setting ranked), ``coded_fraction`` (the share of
        their pixels actually coded, below 1 where early abandoning saved work),
        ``rerank_pairs`` (pairs the second level scored; 0 without one) and ``walked``
        (candidates walked per query), and with ``trace``, ``entered``.
    trace : int, default=0
        With ``stats``: record, per query, the positions in its candidate order at which a
        candidate entered its top k, in ``stats["entered"]`` (width ``trace``, -1 padded, -2
        in the last slot where more occurred). Only with an early-abandoning codec.

    Returns
    -------
    distances : ndarray of float32, shape (n_x, k)
        Ascending along each row.
    indices : ndarray of int64, shape (n_x, k)
        Into Y; ties in distance go to the lower index.

    Examples
    --------
    >>> from ncdvision.datasets import load
    >>> train, test = load("digits").split(test_size=100, seed=0)
    >>> dist, idx = kneighbors(test.images, train.images, k=3)
    >>> dist.shape, idx.shape
    ((100, 3), (100, 3))
    """
    X, Y, loo = checked_inputs(X, Y, block_rows, backend)
    n_x, n_y = len(X), len(Y)
    exclude = np.arange(n_x) if loo else check_exclude(exclude, n_x, n_y)
    n_avail = n_y - 1 if exclude is not None else n_y
    k = check_k(k, n_avail)
    if candidates is not None and (
        isinstance(candidates, bool)
        or not isinstance(candidates, (int, np.integer))
        or candidates < k
    ):
        raise ValueError(f"candidates must be an integer >= k={k} or None, got {candidates!r}")
    m = n_avail if candidates is None else min(int(candidates), n_avail)
    if rerank is not None and rerank.m < k:
        raise ValueError(f"rerank keeps {rerank.m} candidates, fewer than k={k}")
    m_final = m if rerank is None or m == n_avail else min(rerank.m, m)
    comp = compressor or Compressor(codec, serializer, distance, n_jobs).fit(Y)
    if (stop is not None or trace) and not comp.codec.early_abandoning:
        raise ValueError(f"stop and trace need a codec that searches with early abandoning; "
                         f"{comp.codec.name} does not")  # fmt: skip
    dy = prepared_y if prepared_y is not None else comp.prepare(Y, "Y")
    dx = dy if loo else comp.prepare(X, "X")

    def args(rows):
        return X[rows], dx.take(rows), None if exclude is None else exclude[rows], k, m, n_avail

    # the first stage orders the candidates of early abandoning, or picks the cascade's
    stage = FirstStage(Y) if comp.codec.early_abandoning or m < n_avail else None
    results = map_row_blocks(_search_block, comp, (dy, stage, rerank, stop, trace), args, n_x,
                             n_y, block_rows, backend, scheduler)  # fmt: skip
    dist = np.empty((n_x, k), np.float32)
    idx = np.empty((n_x, k), np.int64)
    walked = np.empty(n_x, np.int64)
    entered = np.empty((n_x, trace), np.int64)
    coded = done = 0
    with progress_bar(n_x * m, progress, f"kneighbors {comp.codec.name}") as bar:
        for rows, (d, i, work, w, e) in results:
            dist[rows], idx[rows], walked[rows], entered[rows] = d, i, w, e
            coded += work
            done += rows.stop - rows.start
            if stop is None:
                bar.update((rows.stop - rows.start) * m)
            else:  # the pairs walked; the total follows their mean so far
                bar.total = int((bar.n + w.sum()) * n_x / done)
                bar.update(int(w.sum()))
    if stats is not None:
        sym = 2 if getattr(comp.codec, "symmetric", False) else 1
        ranked = int(walked.sum()) if stop is not None else n_x * m_final
        pixels = ranked * dx.symbols.shape[1] * sym if hasattr(dx, "symbols") else 0
        stats.update(pairs=ranked, coded_fraction=coded / pixels if coded >= 0 and pixels else 1.0,
                     rerank_pairs=n_x * m if m_final < m else 0, walked=walked)  # fmt: skip
        if trace:
            stats["entered"] = entered
    return dist, idx
