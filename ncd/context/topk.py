"""Numba kernels of the exact top-k search under a ``ctx-ref`` distance, with early abandoning.

A pair's joint length is a sum of per-pixel code lengths that only grows, and every distance
grows with C(xy) for fixed C(x), C(y): once a partial sum proves that a pair cannot beat the
current k-th neighbor, coding stops (:func:`ref_kneighbors`).

Active pixels first (binary symbols). With no halving inside a pair (a context's total never
reaches ``cap``: the largest prior total plus the pixels of an image stays below it), the
Krichevsky-Trofimov code length of a context's symbols depends only on how many of each it
saw, not on their order: the product of the sequential probabilities is a ratio of Gamma
functions of the counts. So a pair's length is the same sum in any pixel order. Pixels where
neither image has ink within reach of a template (its *inactive* pixels: every context bit
and the symbol are 0, so they all share context 0 and cost a small, predictable amount) are
about half of an MNIST pair's; :func:`_bound_both2` codes the *active* pixels first, where
the pair's cost is decided, and adds the inactive ones in closed form from prefix sums.
That partial sum rejects most pairs after a fraction of the work; it is used where a
reference set is mostly background (:data:`ACTIVE_MAX`). A pair it does not reject
is coded again in raster order by the same kernel as the full matrix
(:func:`.kernels.both_ways2`), so lengths, distances and neighbors are bit-identical to the
exhaustive search; the first pass only decides, with a margin far above float rounding,
which pairs cannot enter the top k.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from numba.cpython.unsafe.numbers import trailing_zeros

from ..runtime import parallel_kernel
from .kernels import both_ways2, conditional, reset2, step2

WORD = 64  # pixels per word of an activity bitmap
#: The largest mean share of active pixels of a reference set for which the search codes
#: active pixels first. A speed choice only (results are identical either way), from
#: same-process A/B runs (3,000-4,000 candidates per query, thermo:3): mnist-5k (0.31 active)
#: runs 1.34x faster with it, fashion-mnist-10k (0.52) 0.96x. An active pixel's context
#: misses cache and costs more than a raster step, so skipping the background pays only where
#: there is much of it.
ACTIVE_MAX = 0.4


def active_words(cs: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Bitmaps of binary prepared images, (N, 2, ceil(P / 64)) uint64 with pixel p at bit
    p % 64 of word p // 64: ``[:, 0]`` its activity (the coded-side index ``cs``, causal
    context and symbol, or the reference index ``ref`` is non-zero), ``[:, 1]`` its symbol."""
    out = np.zeros((cs.shape[0], 2, -(-cs.shape[1] // WORD)), np.uint64)
    if cs.shape[0]:
        _active_words(cs, ref, out)
    return out


@parallel_kernel
def _active_words(cs, ref, out):
    for i in prange(cs.shape[0]):
        for p in range(cs.shape[1]):
            bit = np.uint64(1) << np.uint64(p & 63)
            if cs[i, p] != 0 or ref[i, p] != 0:
                out[i, 0, p >> 6] |= bit
            if cs[i, p] & 1:
                out[i, 1, p >> 6] |= bit


def activity(words: np.ndarray, n_pixels: int, sample: int = 1000) -> float:
    """The mean share of active pixels in a set's bitmaps (:func:`active_words`), over its
    first ``sample`` images (it is asked once per block of queries)."""
    words = words[:sample]
    if not words.size:
        return 0.0
    return _active_count(words) / (words.shape[0] * n_pixels)


@njit(cache=True)
def _active_count(words):
    total = 0
    for i in range(words.shape[0]):
        for w in range(words.shape[2]):
            bits = words[i, 0, w]
            while bits != 0:
                bits &= bits - np.uint64(1)
                total += 1
    return total


def zero_tails(log2tab: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
    """Prefix sums of the two terms of a binary visit's cost, log2(2t + 2) and log2(2c + 1):
    the cost of m visits to one context from counts (c, t) with the same symbol each time is
    ``(tail_t[t + m] - tail_t[t]) - (tail_c[c + m] - tail_c[c])`` (no halving)."""
    u = np.arange(cap + 1)
    tail_t = np.concatenate([[0.0], np.cumsum(log2tab[2 * u + 2])])
    tail_c = np.concatenate([[0.0], np.cumsum(log2tab[2 * u + 1])])
    return tail_t, tail_c


@njit(cache=True, inline="always")
def _zero_tail(table, m, tail_t, tail_c):
    """Bits of ``m`` more visits to context 0 with symbol 0 from the table's counts now."""
    c = np.int64(table[0])
    t = c + np.int64(table[1])
    return (tail_t[t + m] - tail_t[t]) - (tail_c[c + m] - tail_c[c])


@njit(cache=True, inline="always")
def _reset2_at(cs, ctx_b, shift, pos, m, table, prior):
    """:func:`.kernels.reset2` for the pixels ``pos[:m]``."""
    if table.itemsize == 2:  # a context's two uint16 counts are one aligned uint32: one copy
        t32 = table.view(np.uint32)
        p32 = prior.view(np.uint32)
        sh = shift - 1
        for r in range(m):
            p = pos[r]
            c = (np.int64(cs[p]) >> 1) + (np.int64(ctx_b[p]) << sh)
            t32[c] = p32[c]
        return
    for r in range(m):
        p = pos[r]
        base = (np.int64(cs[p]) + (np.int64(ctx_b[p]) << shift)) & ~1
        table[base] = prior[base]
        table[base + 1] = prior[base + 1]


@njit(cache=True, inline="always")
def _bound_both2(cs_y, ref_x, cs_x, ref_y, act_x, act_y, pos, shift, table_a, table_b, cap,
                 log2tab, limit, n, tail_t, tail_c):  # fmt: skip
    """C(y|x) + C(x|y) with the pixels active in either image coded first (those whose
    symbols differ before the others) and the inactive ones added in closed form; stops
    after the pixel where the partial sum first exceeds ``limit``. The pixels coded are
    listed in ``pos`` as it goes, so that an abandoned pair never walks the rest. Returns
    (the sum so far, pixels coded); the tables are left to reset."""
    b = 0.0
    m = 0
    for phase in range(2):
        for w in range(act_x.shape[1]):
            diff = act_x[1, w] ^ act_y[1, w]
            bits = diff if phase == 0 else (act_x[0, w] | act_y[0, w]) & ~diff
            while bits != 0:
                p = w * WORD + np.int64(trailing_zeros(bits))
                bits &= bits - np.uint64(1)
                pos[m] = p
                m += 1
                b += step2(cs_y, ref_x, shift, table_a, cap, log2tab, p)
                b += step2(cs_x, ref_y, shift, table_b, cap, log2tab, p)
                if b > limit:
                    return b, m
    rest = n - m
    return b + _zero_tail(table_a, rest, tail_t, tail_c) + _zero_tail(
        table_b, rest, tail_t, tail_c
    ), m


@njit(cache=True, inline="always")
def _distance(kind, cx, cy, cxy):
    """The distances of :mod:`ncdvision.ncd.distance`, the same float64 arithmetic."""
    if kind == 0:  # ncd
        return (cxy - min(cx, cy)) / max(max(cx, cy), 1e-12)
    if kind == 1:  # cdm
        return cxy / max(cx + cy, 1e-12)
    return 1.0 - (cx + cy - cxy) / max(cxy, 1e-12)  # clm


@njit(cache=True, inline="always")
def _joint_budget(kind, cx, cy, tau):
    """The largest C(xy) whose distance can still round to at most ``tau`` (float32), with
    slack: a pair whose C(xy) provably exceeds it cannot enter the top k."""
    t = tau + abs(tau) * 2.0**-22 + 1e-30  # above the next float32 after tau
    if kind == 0:
        b = t * max(max(cx, cy), 1e-12) + min(cx, cy)
    elif kind == 1:
        b = t * max(cx + cy, 1e-12)
    else:
        if t >= 2.0:
            return np.inf
        b = (cx + cy) / (2.0 - t)
    return b * (1.0 + 1e-9) + 1e-9


@njit(cache=True, inline="always")
def _insert(best_d, best_i, d, j):
    """Insert (d, j) into the ascending top-k lists (ties by the lower index) if it belongs;
    whether it did."""
    k = best_d.shape[0]
    if d > best_d[k - 1] or (d == best_d[k - 1] and j >= best_i[k - 1]):
        return False
    pos = k - 1
    while pos > 0 and (best_d[pos - 1] > d or (best_d[pos - 1] == d and best_i[pos - 1] > j)):
        best_d[pos] = best_d[pos - 1]
        best_i[pos] = best_i[pos - 1]
        pos -= 1
    best_d[pos] = d
    best_i[pos] = j
    return True


@parallel_kernel
def ref_kneighbors(q_causal, q_sym, q_cs, q_ref, q_len, q_act, t_causal, t_sym, t_cs, t_ref,
                   t_len, t_act, cand, mult, shift, symmetric, kind, L, prior, cap, log2tab,
                   tail_t, tail_c, stop, out_d, out_i, coded, ranked, trace):  # fmt: skip
    """Exact top-k of each query among its candidate rows ``cand[i]`` (training indices, best
    first by some cheap order) under a ``ctx-ref`` distance, with early abandoning.

    Pairs that are not abandoned are coded in full with the same arithmetic as
    :func:`.kernels.cond_rows`, so distances and neighbors are identical to the exhaustive
    search. ``q_act`` / ``t_act``: activity bitmaps (:func:`active_words`) for the active-first
    bound of symmetric binary pairs, or zero-width where it does not hold (then ``tail_t`` and
    ``tail_c`` are unused). ``coded[i]`` counts the pixels coded for query i.

    ``stop = (m0, g)`` with ``g > 0`` ends a query's walk down its candidates early: before
    the candidate at position p, once p >= m0 and p >= g * (q + 1), where q is the position of
    the last candidate that entered the top k. The top k is then exact among the first p
    candidates. ``ranked[i]`` is the number of candidates walked. ``trace[i]`` (width 0: no
    trace) receives the positions, from m0 on, at which a candidate entered the top k, then
    -1s; a query with more entries than its width gets -2 in its last slot.
    """
    n = q_sym.shape[1]
    k = out_d.shape[1]
    empty = np.iinfo(np.int64).max
    both = symmetric and L == 2
    active = both and q_act.shape[2] > 0
    m0, g = int(stop[0]), stop[1]
    width = trace.shape[1]
    for i in prange(cand.shape[0]):
        last = -1
        n_tr = 0
        for t in range(width):
            trace[i, t] = -1
        table = prior.copy()
        table_b = prior.copy() if both else table  # C(x|y)'s own counts, coded beside C(y|x)
        pos = np.empty(n if active else 0, np.int64)
        best_d = np.full(k, np.inf, np.float32)
        best_i = np.full(k, empty, np.int64)
        cx = q_len[i]
        work = 0
        walked = cand.shape[1]
        for jj in range(cand.shape[1]):
            if g > 0 and jj >= m0 and jj >= g * (last + 1):
                walked = jj
                break
            j = cand[i, jj]
            cy = t_len[j]
            budget = np.inf
            if best_i[k - 1] != empty:
                budget = _joint_budget(kind, cx, cy, np.float64(best_d[k - 1]))
            if both:  # C(y|x) + C(x|y) can only grow: stop once it passes the budget
                lim = 2.0 * budget - cx - cy
                if active and lim < np.inf:  # reject on the active pixels first
                    b, m = _bound_both2(t_cs[j], q_ref[i], q_cs[i], t_ref[j], q_act[i], t_act[j], pos, shift,
                                        table, table_b, cap, log2tab, lim, n, tail_t,
                                        tail_c)  # fmt: skip
                    _reset2_at(t_cs[j], q_ref[i], shift, pos, m, table, prior)
                    _reset2_at(q_cs[i], t_ref[j], shift, pos, m, table_b, prior)
                    work += 2 * m
                    # the margin covers the rounding of two orders of summation (~1e-13)
                    if b > lim + 1e-9 * (abs(lim) + cx + cy) + 1e-6:
                        continue
                b1, b2, m = both_ways2(t_cs[j], q_ref[i], q_cs[i], t_ref[j], shift, table,
                                        table_b, cap, log2tab, lim, n)  # fmt: skip
                reset2(t_cs[j], q_ref[i], shift, m, table, prior)
                reset2(q_cs[i], t_ref[j], shift, m, table_b, prior)
                work += 2 * m
                if b1 + b2 > lim:
                    continue
                cxy = 0.5 * ((b1 + cx) + b2 + cy)
            else:
                # C(y|x): the candidate coded given the query; the joint is at least its share
                lim = 2.0 * budget - cx - cy if symmetric else budget - cx
                b1, m = conditional(t_causal[j], t_sym[j], t_cs[j], q_ref[i], mult, shift, table,
                                    prior, L, cap, log2tab, lim, n)  # fmt: skip
                work += m
                if b1 > lim:
                    continue
                if symmetric:  # C(x|y): the query coded given the candidate
                    lim2 = 2.0 * budget - cx - cy - b1
                    b2, m = conditional(q_causal[i], q_sym[i], q_cs[i], t_ref[j], mult, shift,
                                        table, prior, L, cap, log2tab, lim2, n)  # fmt: skip
                    work += m
                    if b2 > lim2:
                        continue
                    cxy = 0.5 * ((b1 + cx) + b2 + cy)
                else:
                    cxy = b1 + cx
            if _insert(best_d, best_i, np.float32(_distance(kind, cx, cy, cxy)), j):
                last = jj
                if width and jj >= m0:
                    if n_tr < width:
                        trace[i, n_tr] = jj
                        n_tr += 1
                    else:
                        trace[i, width - 1] = -2
        out_d[i] = best_d
        out_i[i] = best_i
        coded[i] = work
        ranked[i] = walked
