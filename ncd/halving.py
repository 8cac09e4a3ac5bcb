"""Successive halving for ``codec="auto"``: time spent only on the contending settings.

Every setting is scored by leave-one-out accuracy (its best k) on the first
:data:`HALVING_START` queries of one random order; the better half is kept and the queries
are doubled, as scikit-learn's ``HalvingGridSearchCV`` does with samples. A kept setting
codes only the new queries of each round (its earlier neighbors are kept), so every setting
is still compared on a prefix of the same queries. The search stops when one setting leads
the runner-up by more than the standard error of their paired difference (per query: right
under one minus right under the other), when one setting is left, or when the leaders have
used their query budget (``loo_size`` for context coders, a tenth for byte codecs, as in
:func:`~.selection.select_setting`). The chosen setting is then scored on its whole budget and
its k chosen there, so k is chosen on the same queries as by the full selection. Ties go to
the earlier candidate and the smaller k.
"""

from __future__ import annotations

import time

import numpy as np
from tqdm.auto import tqdm

from .coder import Codec
from .compressor import Compressor
from .crossfit import FoldedCoder, use_cross_fit
from .neighbors import vote
from .search import kneighbors

#: Queries of the first round; each round doubles them.
HALVING_START = 250


def _budget(comp: Compressor, n: int, loo_size: int, cross_fit: bool = False) -> int:
    n_q = loo_size if comp.codec.kind == "context" else max(loo_size // 10, 50)
    n_q = min(n, n_q)
    return min(n_q, n // 2) if comp.codec.learned and not cross_fit else n_q


class _Contender:
    """One setting: its fitted compressor and its neighbors on a prefix of the queries."""

    def __init__(self, rank: int, codec, ser, X, y, order, loo_size, distance, n_jobs,
                 unlabeled=None, n_settings: int = 1):  # fmt: skip
        self.rank, self.codec, self.ser = rank, codec, ser
        self.comp = Compressor(codec, ser, distance, n_jobs)
        self.folds = None
        if use_cross_fit(self.comp, len(X), loo_size, n_settings, unlabeled is not None):
            self.folds = FoldedCoder(lambda: Compressor(codec, ser, distance, n_jobs), X, y,
                                     order, unlabeled)  # fmt: skip
        self.budget = _budget(self.comp, len(X), loo_size, self.folds is not None)
        t = time.perf_counter()
        if self.folds is None:
            # a learned coder is fitted once without any query it may ever score
            fit_rows = (np.setdiff1d(np.arange(len(X)), order[: self.budget])
                        if self.comp.codec.learned else slice(None))  # fmt: skip
            self.comp.fit(X[fit_rows], y[fit_rows], unlabeled=unlabeled)
        self.seconds = time.perf_counter() - t
        self.idx = np.empty((0, 0), np.int64)
        self.name = self.comp.codec.name if isinstance(codec, (dict, Codec)) else codec

    def extend(self, X, order, n: int, k_max: int, m, **search) -> None:
        """Code the queries ``order[len(self.idx):n]`` (at most the budget)."""
        n = min(n, self.budget)
        if n <= len(self.idx):
            return
        q = order[len(self.idx) : n]
        t = time.perf_counter()
        if self.folds is not None:
            idx = self.folds.kneighbors(len(self.idx), n, k_max, m, **search)
        else:
            _, idx = kneighbors(X[q], X, k=k_max, compressor=self.comp, exclude=q, candidates=m,
                                **search)  # fmt: skip
        self.seconds += time.perf_counter() - t
        self.idx = idx if not len(self.idx) else np.concatenate([self.idx, idx])

    def correct(self, y, order, ks, n_classes) -> dict[int, np.ndarray]:
        """Per k, whether each scored query's vote is right."""
        truth = y[order[: len(self.idx)]]
        return {k: vote(y[self.idx[:, :k]], n_classes) == truth for k in ks}


def halving_select(X: np.ndarray, y: np.ndarray, candidates, ks, *, n_classes: int,
                   loo_size: int, search: str, distance: str, n_jobs: int | None,
                   random_state: int | None, m: int | None, backend: str = "local",
                   scheduler=None, unlabeled=None,
                   verbose: bool = False) -> tuple[tuple, float, list[dict]]:  # fmt: skip
    """The best (codec, serializer, k) by successive halving of leave-one-out scoring.

    Parameters
    ----------
    X : ndarray of uint8, shape (n_images, height, width[, channels])
        Checked training images.
    y : ndarray of int, shape (n_images,)
        Encoded labels.
    candidates : list of (codec, serializer)
        The settings, in order of preference (ties go to the earlier).
    ks : sequence of int
        The k to score, ascending (ties go to the smaller).
    n_classes : int
        Number of classes.
    loo_size : int
        The most queries a context coder is scored on (a tenth, at least 50, for others).
    search : {"auto", "exact"}
        Only recorded; ``m`` says how many candidates are ranked.
    distance : {"ncd", "cdm", "clm"}
        The distance.
    n_jobs : int or None
        Threads.
    random_state : int or None
        Seed of the query order.
    m : int or None
        Pixel-space candidates per query (None: exact search).
    backend : {"local", "dask"}, default="local"
        Where the searches run.
    scheduler : optional
        The Dask scheduler for ``backend="dask"``.
    unlabeled : ndarray of uint8, optional
        An unlabelled pool for a learned coder's prior, as in
        :func:`~.selection.select_setting`.
    verbose : bool, default=False
        Progress bars: one per round over its settings, and the searches'.

    Returns
    -------
    best : tuple
        ``(codec, serializer, k)``.
    accuracy : float
        Its leave-one-out accuracy on the queries it was scored on.
    rows : list of dict
        One row per setting and k: codec, serializer, k, loo_accuracy, n_queries,
        candidates, seconds, round (the last round the setting took part in).
    """
    order = np.random.default_rng(random_state).permutation(len(X))
    k_max = max(ks)
    alive = [_Contender(i, c, s, X, y, order, loo_size, distance, n_jobs, unlabeled,
                        len(candidates)) for i, (c, s) in enumerate(candidates)]  # fmt: skip
    alive = [c for c in alive if c.budget > 0]
    if not alive:
        raise ValueError(f"{len(X)} training images are too few for leave-one-out selection")
    rows: dict[int, list[dict]] = {}
    n, rnd = HALVING_START, 0
    while True:
        scored = []
        steps = tqdm(alive, desc=f"auto: scoring settings by leave-one-out, round {rnd + 1}",
                     unit="setting", disable=not verbose, leave=False)  # fmt: skip
        for c in steps:
            steps.set_postfix_str(f"{c.name}/{c.ser}")
            n_c = n if c.comp.codec.kind == "context" else max(n // 10, 50)
            c.extend(X, order, n_c, k_max, m, backend=backend, scheduler=scheduler,
                     progress=True if verbose else None)  # fmt: skip
            right = c.correct(y, order, ks, n_classes)
            acc = {k: float(r.mean()) for k, r in right.items()}
            k_best = max(ks, key=lambda k: (acc[k], -k))
            scored.append((acc[k_best], -c.rank, c, k_best, right[k_best]))
            rows[c.rank] = [{"codec": c.name, "serializer": str(c.ser), "k": k,
                             "loo_accuracy": a, "n_queries": len(c.idx), "candidates": m,
                             "seconds": c.seconds, "round": rnd} for k, a in acc.items()]  # fmt: skip
        scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
        lead = scored[0]
        if (
            len(scored) == 1
            or _decided(lead, scored[1])
            or all(len(s[2].idx) >= s[2].budget for s in scored[: max(1, -(-len(scored) // 2))])
        ):
            break
        alive = [s[2] for s in scored[: -(-len(scored) // 2)]]
        n, rnd = 2 * n, rnd + 1
    # the setting is decided; its k is chosen on its whole query budget, since a few hundred
    # queries tell settings several points apart but not values of k a point apart
    best = lead[2]
    best.extend(X, order, best.budget, k_max, m, backend=backend, scheduler=scheduler,
                progress=True if verbose else None)  # fmt: skip
    right = best.correct(y, order, ks, n_classes)
    acc = {k: float(r.mean()) for k, r in right.items()}
    k_best = max(ks, key=lambda k: (acc[k], -k))
    rows[best.rank] = [{**r, "loo_accuracy": acc[r["k"]], "n_queries": len(best.idx),
                        "seconds": best.seconds} for r in rows[best.rank]]  # fmt: skip
    out = [r for rank in sorted(rows) for r in rows[rank]]
    return (best.codec, best.ser, k_best), acc[k_best], out


def _decided(lead, second) -> bool:
    """Whether the leader is ahead of the runner-up by more than the standard error of their
    paired per-query difference (on the queries both were scored on)."""
    n = min(len(lead[4]), len(second[4]))
    return leads(lead[4][:n], second[4][:n])


def leads(right_a: np.ndarray, right_b: np.ndarray, z: float = 1.0) -> bool:
    """Whether setting a beats setting b by more than ``z`` standard errors of their paired
    per-query difference.

    Parameters
    ----------
    right_a, right_b : ndarray of bool, shape (n_queries,)
        Whether each setting's vote was right on the same queries, in the same order.
    z : float, default=1.0
        Standard errors the lead must exceed.

    Returns
    -------
    bool
        False with fewer than two queries.
    """
    n = len(right_a)
    if n < 2:
        return False
    diff = right_a.astype(float) - right_b.astype(float)
    se = diff.std(ddof=1) / np.sqrt(n)
    return bool(diff.mean() > z * se)
