"""Numba kernels of the context models: context indices, code lengths, prior counts.

The model: per context, counts c_s with the Krichevsky-Trofimov estimator
p(s) = (2 c_s + 1) / (2 t + L), t = sum of counts; when t reaches ``cap`` all counts of that
context are halved. Context indices are mixed-radix numbers: the coded image's causal part and
the reference's part are precomputed once per image, so a pair costs one add, two table
lookups and two count updates per pixel; the counts are reset by walking the same pixels again.
Matrices run in parallel with ``numba.prange``.

Fork safety: numba's default OpenMP layer (GNU libgomp) aborts a forked child
(multiprocessing's default start method on Linux) once parallel code has run. The workqueue
layer is fork-safe and as fast here, but not re-entrant from several threads, so every
parallel launch holds one lock (:func:`launch`). A user's ``NUMBA_THREADING_LAYER`` is
respected.
"""

from __future__ import annotations

import os
import threading

import numba
import numpy as np
from numba import njit, prange

if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"
_LAUNCH_LOCK = threading.RLock()

CAP = 4096  # halve a context's counts when its total reaches this


def launch(kernel, *args):
    """Run a ``parallel=True`` kernel; one at a time per process."""
    with _LAUNCH_LOCK:
        return kernel(*args)


def set_threads(n_jobs: int | None) -> int:
    """Set numba's thread count from scikit-learn-style ``n_jobs`` (None = 1, -1 = all cores)."""
    n_max = numba.config.NUMBA_NUM_THREADS
    n = 1 if n_jobs is None else (n_max if n_jobs < 0 else min(int(n_jobs), n_max))
    numba.set_num_threads(max(n, 1))
    return max(n, 1)


def log2_table(levels: int, cap: int = CAP) -> np.ndarray:
    """log2(0..2 cap + levels + 1), with log2(0) stored as 0 (never looked up)."""
    n = 2 * cap + levels + 2
    t = np.zeros(n, np.float64)
    t[1:] = np.log2(np.arange(1, n))
    return t


@njit(cache=True, inline="always")
def ctx_at(img, y, x, offsets, L, mult):
    H, W = img.shape
    idx = 0
    for k in range(offsets.shape[0]):
        yy = y + offsets[k, 0]
        xx = x + offsets[k, 1]
        if 0 <= yy < H and 0 <= xx < W:
            idx += img[yy, xx] * mult
        mult *= L
    return idx


@njit(cache=True, parallel=True)
def context_indices(planes, offsets, L, mult0, out):
    n = planes.shape[0]
    H, W = planes.shape[1], planes.shape[2]
    for i in prange(n):
        for y in range(H):
            for x in range(W):
                out[i, y * W + x] = ctx_at(planes[i], y, x, offsets, L, mult0)


@njit(cache=True, inline="always")
def update_counts(counts, totals, c, s, L, cap):
    counts[c * L + s] += 1
    totals[c] += 1
    if totals[c] >= cap:
        t = 0
        for k in range(L):
            counts[c * L + k] >>= 1
            t += counts[c * L + k]
        totals[c] = t


@njit(cache=True, inline="always")
def _code_length(ctx_a, ctx_b, sym, counts, totals, L, cap, log2tab):
    """Bits to code ``sym`` with contexts ctx_a + ctx_b, updating the counts."""
    bits = 0.0
    for p in range(sym.shape[0]):
        c = ctx_a[p] + ctx_b[p]
        s = sym[p]
        bits += log2tab[2 * totals[c] + L] - log2tab[2 * counts[c * L + s] + 1]
        update_counts(counts, totals, c, s, L, cap)
    return bits


@njit(cache=True, inline="always")
def _reset(ctx_a, ctx_b, sym, counts, totals, prior_c, prior_t, L):
    """Undo the updates of one coded image: its contexts get the prior counts back."""
    for p in range(sym.shape[0]):
        c = ctx_a[p] + ctx_b[p]
        totals[c] = prior_t[c]
        for k in range(L):
            counts[c * L + k] = prior_c[c * L + k]


@njit(cache=True, parallel=True)
def uncond_lengths(ctx, sym, L, prior_c, prior_t, cap, log2tab, out):
    zero = np.zeros(ctx.shape[1], ctx.dtype)
    for i in prange(ctx.shape[0]):
        counts = prior_c.copy()
        totals = prior_t.copy()
        out[i] = _code_length(ctx[i], zero, sym[i], counts, totals, L, cap, log2tab)


@njit(cache=True, parallel=True)
def cond_rows(ref, cod_ctx, cod_sym, ref_outer, L, prior_c, prior_t, cap, log2tab, out):
    """C(coded | reference) for every pair, each from the prior counts.

    ``ref_outer``: out[i, j] = C(cod_j | ref_i), parallel over references; else
    out[i, j] = C(cod_i | ref_j), parallel over coded images (whichever side is longer).
    """
    n_outer = ref.shape[0] if ref_outer else cod_ctx.shape[0]
    n_inner = cod_ctx.shape[0] if ref_outer else ref.shape[0]
    for i in prange(n_outer):
        counts = prior_c.copy()
        totals = prior_t.copy()
        for j in range(n_inner):
            a, b = np.int64(i), np.int64(j)  # prange's index is unsigned: unify the types
            r = a if ref_outer else b
            c = b if ref_outer else a
            out[i, j] = _code_length(cod_ctx[c], ref[r], cod_sym[c], counts, totals, L, cap,
                                     log2tab)  # fmt: skip
            _reset(cod_ctx[c], ref[r], cod_sym[c], counts, totals, prior_c, prior_t, L)


@njit(cache=True)
def pair_counts(ref, cod_ctx, cod_sym, pairs_ref, pairs_cod, L, out):
    """Accumulate symbol counts per context over (reference, coded) pairs of a set."""
    for q in range(pairs_ref.shape[0]):
        i = pairs_ref[q]
        j = pairs_cod[q]
        for p in range(cod_sym.shape[1]):
            out[(cod_ctx[j, p] + ref[i, p]) * L + cod_sym[j, p]] += 1


@njit(cache=True, parallel=True)
def sequential_joint(ctx_x, sym_x, ctx_y, sym_y, L, prior_c, prior_t, cap, log2tab, out):
    """out[i, j] = length of coding x_i then y_j with shared adaptive statistics."""
    zero = np.zeros(ctx_x.shape[1], ctx_x.dtype)
    for i in prange(ctx_x.shape[0]):
        counts = prior_c.copy()
        totals = prior_t.copy()
        bx = _code_length(ctx_x[i], zero, sym_x[i], counts, totals, L, cap, log2tab)
        base_c = counts.copy()
        base_t = totals.copy()
        for j in range(ctx_y.shape[0]):
            out[i, j] = bx + _code_length(ctx_y[j], zero, sym_y[j], counts, totals, L, cap, log2tab)
            cy = ctx_y[j]
            sy = sym_y[j]
            for p in range(sy.shape[0]):  # restore the state after x_i
                c = cy[p]
                totals[c] = base_t[c]
                for k in range(L):
                    counts[c * L + k] = base_c[c * L + k]
