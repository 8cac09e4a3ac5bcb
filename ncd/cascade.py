"""The candidate cascade of :func:`~ncdvision.ncd.search.kneighbors`, and how its sizes are
chosen on training queries.

One level. L2 on the square roots of the pixels (:class:`~ncdvision.ncd.search.FirstStage`)
picks the M nearest training images of each query, and the compression distance ranks only
those.

Two levels. The same codec on ``binary`` planes scores the M1 pixel candidates, and the
setting ranks only the top M2 of a rank fusion of the two orders: each candidate scores
``log(1 + pixel rank) + log(1 + binary rank)``. The fusion finds the exact neighbors that the
pixels rank low: on 500 leave-one-out queries of fashion-mnist-10k (``bench/cascade.py``), the
exact top 5 of ``ctx-ref-learned/thermo:3`` lies within the pixel top 500 at recall 0.970, and
within the fused top 500 of the pixel top 1,500 at 0.989.

:func:`choose_cascade` measures the recall of the exact top k on leave-one-out *training*
queries for every size of :data:`CANDIDATE_GRID`. Given a second level, it also times both
levels on those queries and keeps two levels only where they are clearly faster. On every set
measured they were slower: the setting's early-abandoning search ranks a candidate about as
fast as the ``binary`` coder scores one in full (``bench/cascade.py``), so the classifiers
and the filter use one level.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .compressor import Compressor
from .distance import row_blocks
from .recall import TAIL_QUERIES, TAIL_SPLIT, RecallRecord
from .search import FirstStage, kneighbors
from .stopping import STOP_PATIENCE, STOP_SHARE, TRACE_WIDTH, stop_positions
from .validation import check_images

#: Candidate counts :func:`choose_cascade` tries at each level, smallest first.
CANDIDATE_GRID: tuple[int, ...] = (10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000,
                                   1500, 2000, 3000, 5000, 7500, 10000, 15000, 20000)  # fmt: skip

#: Leave-one-out training queries the recall is measured on. On full Fashion-MNIST the k = 5
#: recall is 0.991 at M = 5,000 and 0.995 at 7,500 (300 queries); bootstrap draws of 200 of
#: those queries choose anything from 2,000 to 15,000 (5,000 in 46%, 10,000 or more in 11%),
#: draws of 500 choose 5,000 or 7,500 in 90%. The predict's cost is linear in M, the
#: measurement's in queries.
RECALL_QUERIES = 500

#: Two levels are chosen only where their estimated time is at most this share of one
#: level's: the estimate comes from timings on a few hundred queries of a shared machine.
TWO_LEVEL_SHARE = 0.75


def fused_order(cand: np.ndarray, d: np.ndarray, m: int) -> np.ndarray:
    """The top ``m`` of each row of ``cand`` by rank fusion.

    Parameters
    ----------
    cand : ndarray of int, shape (n, M1)
        Candidates in first-stage order, nearest first.
    d : ndarray, shape (n, M1)
        Their distances under the second stage.
    m : int
        Candidates to keep.

    Returns
    -------
    ndarray of int64, shape (n, min(m, M1))
        The candidates with the smallest ``log1p(first rank) + log1p(second rank)``, best
        first; ties go to the better first-stage rank.
    """
    second = np.argsort(np.argsort(d, axis=1, kind="stable"), axis=1, kind="stable")
    score = np.log1p(np.arange(cand.shape[1]))[None, :] + np.log1p(second)
    keep = np.argsort(score, axis=1, kind="stable")[:, :m]
    return np.take_along_axis(cand, keep, 1).astype(np.int64)


class SecondStage:
    """The cascade's second level: a cheap compressor over the reference images, and how many
    fused candidates it keeps.

    Parameters
    ----------
    compressor : Compressor
        Fitted on the reference images.
    prepared_y : prepared batch
        ``compressor.prepare`` of the reference images.
    m : int
        Candidates kept for the final ranking (M2).
    """

    def __init__(self, compressor: Compressor, prepared_y, m: int):
        self.compressor, self.prepared_y, self.m = compressor, prepared_y, int(m)

    @classmethod
    def fit(cls, compressor: Compressor, images, labels=None, unlabeled=None) -> SecondStage | None:
        """The second level for ``compressor``: the same codec on ``binary`` planes, fitted as
        ``compressor`` was (labels, or an unlabelled pool); ``m`` is set by
        :func:`choose_cascade`.

        Parameters
        ----------
        compressor : Compressor
            The setting that ranks last.
        images : uint8 array (N, H, W[, C])
            Its reference images.
        labels, unlabeled : optional
            As for :meth:`Compressor.fit`.

        Returns
        -------
        SecondStage or None
            None where the setting codes ``binary`` planes already or is not a context coder.
        """
        if compressor.codec.kind != "context" or compressor.serializer.name == "binary":
            return None
        cheap = Compressor(compressor.codec, "binary", compressor.distance, compressor.n_jobs)
        cheap.fit(images, labels, unlabeled=unlabeled)
        return cls(cheap, cheap.prepare(images, "reference images"), 0)

    @property
    def name(self) -> str:
        """``codec/serializer`` of the cheap compressor."""
        return f"{self.compressor.codec.name}/{self.compressor.serializer.name}"

    def order(self, X: np.ndarray, cand: np.ndarray) -> np.ndarray:
        """The fused top :attr:`m` of each query's first-stage candidates.

        Parameters
        ----------
        X : uint8 array (n, H, W[, C])
            The queries.
        cand : ndarray of int, shape (n, M1)
            Their first-stage candidates, nearest first.

        Returns
        -------
        ndarray of int64, shape (n, min(m, M1))
            The candidates the final setting ranks, best first.
        """
        d = self.compressor.pair_distances(self.compressor.prepare(X), self.prepared_y, cand)
        return fused_order(cand, d, self.m)


@dataclass
class Cascade:
    """A cascade plan and the recalls it was chosen by.

    Parameters
    ----------
    m : int or None
        First-stage candidates per query; None: search exactly.
    recalls : dict
        One-level recall of the exact top k at each M tried.
    second : SecondStage or None
        The second level with its M2, where two levels are cheaper.
    recall : float or None
        Measured recall of the chosen plan.
    recalls2 : dict
        Two-level recall at each ``(M1, M2)`` tried.
    pair_seconds : dict
        Seconds per candidate of the ``final`` ranking and of the ``second`` level, as
        measured or given.
    stop : (int, float) or None
        The per-query stopping rule ``(m0, g)`` within the ``m`` candidates, where it walks
        clearly fewer than a fixed M (:func:`~ncdvision.ncd.search.kneighbors`).
    walked : float or None
        Mean candidates the chosen plan walks per training query.
    stop_recalls : dict
        ``(m0, g) -> (recall, mean candidates walked)`` of every rule tried.
    seconds : float or None
        Time of the recall measurement's searches.
    """

    m: int | None
    recalls: dict[int, float] = field(default_factory=dict)
    second: SecondStage | None = None
    recall: float | None = None
    recalls2: dict[tuple[int, int], float] = field(default_factory=dict)
    pair_seconds: dict[str, float] = field(default_factory=dict)
    stop: tuple[int, float] | None = None
    walked: float | None = None
    stop_recalls: dict[tuple[int, float], tuple[float, float]] = field(default_factory=dict)
    seconds: float | None = None

    @property
    def m2(self) -> int | None:
        """Candidates the final setting ranks when two levels are used."""
        return None if self.second is None else self.second.m

    def describe(self) -> str:
        """The plan in one line.

        Returns
        -------
        str
            ``exact``, ``cascade M=1500 (recall 0.992)``, ``cascade M=2000 -> 500 (recall
            0.991)`` or ``cascade M<=20000, stop at 3x the last entry after 500 (mean 1,050;
            recall 0.991)``.
        """
        if self.m is None:
            return "exact"
        if self.stop is not None:
            m0, g = self.stop
            return (f"cascade M<={self.m}, stop at {g:g}x the last entry after {m0} "
                    f"(mean {self.walked:,.0f}; recall {self.recall:.3f})")  # fmt: skip
        sizes = f"M={self.m}" if self.second is None else f"M={self.m} -> {self.m2}"
        return f"cascade {sizes} (recall {self.recall:.3f})"


def choose_cascade(
    compressor: Compressor, images: np.ndarray, k: int, target: float = 0.99, *,
    second: SecondStage | None = None, pair_seconds: dict[str, float] | None = None,
    n_queries: int = RECALL_QUERIES, seed: int = 0, prepared=None, grid=CANDIDATE_GRID,
    stopping: bool = False, tail_queries: int | None = TAIL_QUERIES, **where,
) -> Cascade:  # fmt: skip
    """The cheapest cascade whose recall of the exact top k reaches ``target`` on
    leave-one-out training queries.

    Parameters
    ----------
    compressor : Compressor
        Fitted on ``images``: the setting whose top k is recalled.
    images : uint8 array (N, H, W[, C])
        The training images; the queries are drawn from them.
    k : int
        Neighbors whose recall is measured.
    target : float, default=0.99
        The recall to reach.
    second : SecondStage, optional
        A second level to consider (:meth:`SecondStage.fit`). Two levels are chosen where
        their time, M1 second-level pairs plus M2 final pairs, is at most
        :data:`TWO_LEVEL_SHARE` of the one-level plan's M pairs, with M1 no larger than M.
    pair_seconds : dict, optional
        ``{"final": s, "second": s}``, seconds per candidate of each level. Default: timed
        here, the second level over every query's M candidates and the final ranking over
        those of up to 100 queries.
    n_queries : int, default=RECALL_QUERIES
        Leave-one-out queries.
    seed : int, default=0
        Draws the queries.
    prepared : optional
        ``compressor.prepare(images)``, reused.
    grid : tuple of int, default=CANDIDATE_GRID
        Sizes tried at each level.
    stopping : bool, default=False
        Also try the per-query stopping rule (one level, early-abandoning codecs): each
        query walks its pixel-space candidates until g times as far as the last one that
        entered its top k, and at least m0 of them (g in
        :data:`~ncdvision.ncd.stopping.STOP_PATIENCE`, m0 among the grid's sizes below the
        fixed M). Its recall and mean walk are read from a record of the exact search, at no
        extra search. The rule with the shortest mean walk at ``target`` is chosen where that
        walk is at most :data:`~ncdvision.ncd.stopping.STOP_SHARE` of the fixed M.
    tail_queries : int or None, default=TAIL_QUERIES
        Where the largest size tried is at most :data:`~ncdvision.ncd.recall.TAIL_SPLIT` of
        the set, the queries walk only that many candidates and this many of them, drawn at
        random, also walk every one (:mod:`ncdvision.ncd.recall`). None: every query walks
        every candidate.
    **where
        ``backend``, ``scheduler`` or ``progress`` of the exact search.

    Returns
    -------
    Cascade
        ``m`` is None where no plan reaches the target (search exactly).
    """
    images = check_images(images, "images")
    n = len(images)
    ms = [m for m in grid if k <= m < n - 1]
    if not ms:  # too few images for a cascade to save anything
        return Cascade(None)
    rng = np.random.default_rng(seed)
    q = np.sort(rng.choice(n, min(n_queries, n), replace=False))
    trace = TRACE_WIDTH if stopping and second is None and compressor.codec.early_abandoning else 0
    cap = max(ms)
    split = tail_queries is not None and tail_queries < len(q) and cap <= TAIL_SPLIT * (n - 1)
    stats: dict = {}
    t = time.perf_counter()
    _, walked = kneighbors(images[q], images, k, compressor=compressor, exclude=q,
                           prepared_y=prepared, candidates=cap if split else None, stats=stats,
                           trace=trace, **where)  # fmt: skip
    rec = RecallRecord(walked)
    if split:  # the exact top k of a random subsample corrects the walked one's recall
        tail = np.sort(rng.choice(len(q), tail_queries, replace=False))
        _, truth = kneighbors(images[q[tail]], images, k, compressor=compressor, exclude=q[tail],
                              prepared_y=prepared, **where)  # fmt: skip
        rec = RecallRecord(walked, tail, truth)
    seconds = time.perf_counter() - t
    stage = FirstStage(images)
    cheap = {}  # the second level's distances to the first m1 candidates, per block
    orders = []  # kept only for a second level (500 x 20,000 indices on a large set)
    for rows in row_blocks(len(q), n, None):  # the first stage's (queries x n) in blocks
        order = stage.order(images[q[rows]], cap, q[rows])
        rec.locate(rows, order)
        if second is not None:
            orders.append((rows, order))
    recalls = {m: rec.recall(m) for m in ms}
    m1 = next((m for m in ms if recalls[m] >= target), None)
    plan = Cascade(m1, recalls, recall=None if m1 is None else recalls[m1],
                   walked=None if m1 is None else float(m1), seconds=seconds)  # fmt: skip
    if trace and m1 is not None:
        _plan_stop(plan, stats["entered"], rec, ms, target)
    if second is None or m1 is None:
        return plan
    t = time.perf_counter()
    for rows, order in orders:
        dx = second.compressor.prepare(images[q[rows]])
        cheap[rows.start] = second.compressor.pair_distances(dx, second.prepared_y, order[:, :m1])
    rates = dict(pair_seconds or {})
    rates.setdefault("second", (time.perf_counter() - t) / (len(q) * m1))
    if "final" not in rates:
        s = q[:100]
        t = time.perf_counter()
        kneighbors(images[s], images, k, compressor=compressor, exclude=s, prepared_y=prepared,
                   candidates=m1, progress=False)  # fmt: skip
        rates["final"] = (time.perf_counter() - t) / (len(s) * m1)
    plan.pair_seconds = rates
    best = (TWO_LEVEL_SHARE * m1 * rates["final"], None, None)
    for a in (m for m in ms if m <= m1):
        fused = RecallRecord(rec.walked, rec.tail, rec.truth)
        for r, o in orders:
            fused.locate(r, fused_order(o[:, :a], cheap[r.start][:, :a], a))
        for b in (m for m in ms if m < a):
            plan.recalls2[(a, b)] = r2 = fused.recall(b)
            cost = a * rates["second"] + b * rates["final"]
            if r2 >= target and cost <= best[0]:
                best = (cost, a, b)
    if best[1] is not None:
        plan.m, plan.recall = best[1], plan.recalls2[best[1:]]
        plan.second = SecondStage(second.compressor, second.prepared_y, best[2])
    return plan


def _plan_stop(plan: Cascade, entered: np.ndarray, rec: RecallRecord, ms: list[int],
               target: float) -> None:  # fmt: skip
    """Replace the fixed M of ``plan`` by the stopping rule that walks the fewest candidates
    at ``target`` recall, within the largest M tried, if it walks at most
    :data:`~ncdvision.ncd.stopping.STOP_SHARE` of them."""
    cap = max(ms)
    best = (STOP_SHARE * plan.m, None)
    for m0 in (m for m in ms if m < plan.m):
        for g in STOP_PATIENCE:
            walked = stop_positions(entered, m0, g, cap)
            recall = rec.recall(walked)
            plan.stop_recalls[(m0, g)] = (recall, float(walked.mean()))
            if recall >= target and walked.mean() <= best[0]:
                best = (float(walked.mean()), (m0, g))
    if best[1] is not None:
        plan.m, plan.stop = cap, best[1]
        plan.recall, plan.walked = plan.stop_recalls[best[1]]


def choose_candidates(
    compressor: Compressor, images: np.ndarray, k: int, target: float = 0.99, **kw
) -> tuple[int | None, dict[int, float]]:
    """The smallest one-level M whose recall reaches ``target`` on training queries.

    Parameters
    ----------
    compressor : Compressor
        Fitted on ``images``.
    images : uint8 array (N, H, W[, C])
        The training images; the queries are drawn from them (leave-one-out).
    k : int
        Neighbors whose recall is measured.
    target : float, default=0.99
        The recall of the exact top k to reach.
    **kw
        ``n_queries``, ``seed``, ``prepared``, ``grid`` and ``backend`` / ``scheduler`` /
        ``progress`` of :func:`choose_cascade`.

    Returns
    -------
    m : int or None
        None when no M of the grid reaches the target: search exactly.
    recalls : dict
        The recall of the exact top k at every M tried.
    """
    plan = choose_cascade(compressor, images, k, target, **kw)
    return plan.m, plan.recalls
