"""Numba kernels of the context models: context indices, code lengths, prior counts.

The model: per context, counts c_s with the Krichevsky-Trofimov estimator
p(s) = (2 c_s + 1) / (2 t + L), t = sum of counts; when t reaches ``cap`` all counts of that
context are halved. The state is one *table* of L counts per context, side by side (uint16
while ``cap`` allows), so a context's counts and total come from one cache line. Context
indices are mixed-radix numbers: the coded image's causal part and the reference's part are
precomputed once per image in the narrowest integer type (context = causal + mult * ref), so a
pair costs a multiply-add, one table read and one write per pixel; the table is reset by
walking the same pixels again. Binary symbols (L = 2, every ``binary`` and ``thermo``
serializer) take a specialised path: the coded image's causal index and symbol are packed in
one byte (``cs = 2 causal + symbol``) and mult is a power of two, a shift. Both paths do the
same arithmetic in the same order, so lengths are identical. The symmetric exact search codes
C(y|x) and C(x|y) pixel by pixel side by side in two tables (:func:`both_ways2`): the loop
is bound by each table's dependent read-modify-write, and two independent chains overlap.
Matrices run in parallel with ``numba.prange``.

Parallel kernels are declared with :func:`~ncdvision.ncd.runtime.parallel_kernel` (one
guarded launch at a time, fork-safe threading layer).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ..runtime import parallel_kernel

CAP = 4096  # halve a context's counts when its total reaches this


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


@parallel_kernel
def context_indices(planes, offsets, L, mult0, out):
    n = planes.shape[0]
    H, W = planes.shape[1], planes.shape[2]
    for i in prange(n):
        for y in range(H):
            for x in range(W):
                out[i, y * W + x] = ctx_at(planes[i], y, x, offsets, L, mult0)


def table_dtype(cap: int):
    """The narrowest count type that holds every count up to ``cap``."""
    return np.uint16 if cap <= np.iinfo(np.uint16).max else np.int64


@njit(cache=True, inline="always")
def total_at(table, base, L):
    """The total count of the context whose counts start at ``base`` (unrolled for 4 levels,
    the q2 serializer's)."""
    if L == 4:
        return (np.int64(table[base]) + np.int64(table[base + 1]) + np.int64(table[base + 2])
                + np.int64(table[base + 3]))  # fmt: skip
    t = 0
    for k in range(L):
        t += table[base + k]
    return t


@njit(cache=True, inline="always")
def update_counts(table, base, s, t, L, cap):
    """Count symbol ``s`` in the context whose counts start at ``base`` (total ``t`` before)."""
    table[base + s] += 1
    if t + 1 >= cap:
        for k in range(L):
            table[base + k] >>= 1


@njit(cache=True, inline="always")
def _code_length(ctx_a, ctx_b, mult, sym, table, L, cap, log2tab, limit, n):
    """Bits to code the first ``n`` symbols in contexts ctx_a + mult * ctx_b, updating the
    table; stops after the pixel where the sum first exceeds ``limit``. Returns (bits, pixels
    coded)."""
    bits = 0.0
    for p in range(n):
        base = (np.int64(ctx_a[p]) + mult * np.int64(ctx_b[p])) * L
        s = sym[p]
        t = total_at(table, base, L)
        bits += log2tab[2 * t + L] - log2tab[2 * np.int64(table[base + s]) + 1]
        update_counts(table, base, s, t, L, cap)
        if bits > limit:
            return bits, p + 1
    return bits, n


@njit(cache=True, inline="always")
def _reset(ctx_a, ctx_b, mult, n, table, prior, L):
    """Undo the updates of the first ``n`` coded pixels: their contexts get the prior back."""
    for p in range(n):
        base = (np.int64(ctx_a[p]) + mult * np.int64(ctx_b[p])) * L
        for k in range(L):
            table[base + k] = prior[base + k]


@njit(cache=True, inline="always")
def step2(cs, ctx_b, shift, table, cap, log2tab, p):
    """Bits of binary pixel ``p`` in context ``cs[p] + (ctx_b[p] << shift)``; counts it."""
    ix = np.int64(cs[p]) + (np.int64(ctx_b[p]) << shift)
    base = ix & ~1
    t = np.int64(table[base]) + np.int64(table[base + 1])
    bits = log2tab[2 * t + 2] - log2tab[2 * np.int64(table[ix]) + 1]
    table[ix] += 1
    if t + 1 >= cap:
        table[base] >>= 1
        table[base + 1] >>= 1
    return bits


@njit(cache=True, inline="always")
def _code_length2(cs, ctx_b, shift, table, cap, log2tab, limit, n):
    """:func:`_code_length` for binary symbols: ``cs = 2 causal + symbol``, mult = 2**shift."""
    bits = 0.0
    for p in range(n):
        bits += step2(cs, ctx_b, shift, table, cap, log2tab, p)
        if bits > limit:
            return bits, p + 1
    return bits, n


@njit(cache=True, inline="always")
def both_ways2(cs_y, ref_x, cs_x, ref_y, shift, table_a, table_b, cap, log2tab, limit, n):
    """C(y|x) and C(x|y) for binary symbols, pixel by pixel side by side in two tables: two
    independent chains of dependent table updates that the CPU overlaps. Each sum is in
    pixel order, as :func:`_code_length2` makes it, so both lengths are identical to it.
    Stops after the pixel where the two partial sums together first exceed ``limit``.
    Returns (bits of y given x, bits of x given y, pixels coded in each)."""
    b1 = 0.0
    b2 = 0.0
    for p in range(n):
        b1 += step2(cs_y, ref_x, shift, table_a, cap, log2tab, p)
        b2 += step2(cs_x, ref_y, shift, table_b, cap, log2tab, p)
        if b1 + b2 > limit:
            return b1, b2, p + 1
    return b1, b2, n


@njit(cache=True, inline="always")
def reset2(cs, ctx_b, shift, n, table, prior):
    if table.itemsize == 2:  # a context's two uint16 counts are one aligned uint32: one copy
        t32 = table.view(np.uint32)
        p32 = prior.view(np.uint32)
        sh = shift - 1
        for p in range(n):
            c = (np.int64(cs[p]) >> 1) + (np.int64(ctx_b[p]) << sh)
            t32[c] = p32[c]
        return
    for p in range(n):
        base = (np.int64(cs[p]) + (np.int64(ctx_b[p]) << shift)) & ~1
        table[base] = prior[base]
        table[base + 1] = prior[base + 1]


@njit(cache=True, inline="always")
def conditional(cod_causal, cod_sym, cod_cs, ref, mult, shift, table, prior, L, cap, log2tab,
                 limit, n):  # fmt: skip
    """C(coded | reference) from the prior, table restored afterwards: (bits, pixels coded)."""
    if L == 2:
        bits, m = _code_length2(cod_cs, ref, shift, table, cap, log2tab, limit, n)
        reset2(cod_cs, ref, shift, m, table, prior)
    else:
        bits, m = _code_length(cod_causal, ref, mult, cod_sym, table, L, cap, log2tab, limit, n)
        _reset(cod_causal, ref, mult, m, table, prior, L)
    return bits, m


@parallel_kernel
def uncond_lengths(ctx, sym, L, prior, cap, log2tab, out):
    zero = np.zeros(ctx.shape[1], ctx.dtype)
    for i in prange(ctx.shape[0]):
        table = prior.copy()
        out[i] = _code_length(ctx[i], zero, 0, sym[i], table, L, cap, log2tab, np.inf,
                              sym.shape[1])[0]  # fmt: skip


@parallel_kernel
def cond_rows(ref, cod_causal, cod_sym, cod_cs, mult, shift, ref_outer, L, prior, cap, log2tab,
              out):  # fmt: skip
    """C(coded | reference) for every pair, each from the prior counts.

    ``ref_outer``: out[i, j] = C(cod_j | ref_i), parallel over references; else
    out[i, j] = C(cod_i | ref_j), parallel over coded images.
    """
    n_outer = ref.shape[0] if ref_outer else cod_sym.shape[0]
    n_inner = cod_sym.shape[0] if ref_outer else ref.shape[0]
    n = cod_sym.shape[1]
    for i in prange(n_outer):
        table = prior.copy()
        for j in range(n_inner):
            a, b = np.int64(i), np.int64(j)  # prange's index is unsigned: unify the types
            r = a if ref_outer else b
            c = b if ref_outer else a
            out[i, j] = conditional(cod_causal[c], cod_sym[c], cod_cs[c], ref[r], mult, shift,
                                     table, prior, L, cap, log2tab, np.inf, n)[0]  # fmt: skip


@njit(cache=True)
def pair_counts(ref, mult, cod_ctx, cod_sym, pairs_ref, pairs_cod, L, out):
    """Accumulate symbol counts per context over (reference, coded) pairs of a set."""
    for q in range(pairs_ref.shape[0]):
        i = pairs_ref[q]
        j = pairs_cod[q]
        for p in range(cod_sym.shape[1]):
            c = np.int64(cod_ctx[j, p]) + mult * np.int64(ref[i, p])
            out[c * L + cod_sym[j, p]] += 1


@parallel_kernel
def sequential_joint(ctx_x, sym_x, ctx_y, sym_y, L, prior, cap, log2tab, out):
    """out[i, j] = length of coding x_i then y_j with shared adaptive statistics."""
    zero = np.zeros(ctx_x.shape[1], ctx_x.dtype)
    n = sym_y.shape[1]
    for i in prange(ctx_x.shape[0]):
        table = prior.copy()
        bx = _code_length(ctx_x[i], zero, 0, sym_x[i], table, L, cap, log2tab, np.inf,
                          sym_x.shape[1])[0]  # fmt: skip
        base = table.copy()  # the state after x_i
        for j in range(ctx_y.shape[0]):
            out[i, j] = bx + _code_length(ctx_y[j], zero, 0, sym_y[j], table, L, cap, log2tab,
                                          np.inf, n)[0]  # fmt: skip
            _reset(ctx_y[j], zero, 0, n, table, base, L)
