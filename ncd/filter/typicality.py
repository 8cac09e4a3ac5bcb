"""Typicality: how much knowing the rest of the set shortens an image's code.

An image foreign to a set is not hard to compress in itself (a handwritten digit is simpler
than a shirt), it is hard to compress *with what the set teaches*. As in the input-complexity
correction of likelihood-based out-of-distribution scores (Serrà et al., ICLR 2020), the score
subtracts the image's own complexity from its code length under a model of the set:

    typicality(x) = (L_set(x) - L_self(x)) / pixels        [bits per pixel; high = atypical]

Both lengths code the same symbols (pixels quantized to :data:`LEVELS` levels) with the
same context (the left and upper neighbours' levels):

- ``L_set``: static counts of the set's other images per (pixel position, context), so where
  in the frame a pattern occurs matters; images are split into :data:`FOLDS` folds and each is
  coded with the counts of the other folds (an image never teaches the model that codes it).
- ``L_self``: the same context without position, counts adapted on the image alone (the
  Krichevsky-Trofimov code length, which has a closed form: no image is coded twice).

Counts use the KT estimator (add one half). Colour channels are coded as stacked planes.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from ..context.templates import as_planes

LEVELS = 4
FOLDS = 5
#: Images per chunk when counting (bounds the index arrays' memory).
CHUNK = 2048
_ALPHA = 0.5


def _symbols(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(symbols, context) per pixel, as (N, P) arrays: the quantized level and the left and
    upper neighbours' levels (0 outside the image)."""
    q = as_planes(images.astype(np.uint8) // (256 // LEVELS))
    left = np.zeros_like(q)
    left[:, :, 1:] = q[:, :, :-1]
    up = np.zeros_like(q)
    up[:, 1:] = q[:, :-1]
    n = len(q)
    ctx = left.astype(np.int64) * LEVELS + up
    return q.reshape(n, -1).astype(np.int64), ctx.reshape(n, -1)


def _set_counts(sym: np.ndarray, ctx: np.ndarray) -> np.ndarray:
    """Counts per (position, context, symbol): (P, LEVELS**2, LEVELS) int64."""
    p = sym.shape[1]
    size = p * LEVELS**3
    cell = (np.arange(p) * LEVELS**2 + ctx) * LEVELS + sym
    return np.bincount(cell.ravel(), minlength=size).reshape(p, LEVELS**2, LEVELS)


def _self_bits(sym: np.ndarray, ctx: np.ndarray) -> np.ndarray:
    """Adaptive KT code length of each image on its own, in bits."""
    n = len(sym)
    cell = (np.arange(n)[:, None] * LEVELS**2 + ctx) * LEVELS + sym
    c = np.bincount(cell.ravel(), minlength=n * LEVELS**3).reshape(n, LEVELS**2, LEVELS)
    nats = (gammaln(c.sum(-1) + _ALPHA * LEVELS) - gammaln(_ALPHA * LEVELS)).sum(-1)
    nats -= (gammaln(c + _ALPHA) - gammaln(_ALPHA)).sum((-1, -2))
    return nats / np.log(2)


def typicality(images: np.ndarray, seed: int = 0) -> np.ndarray:
    """Each image's typicality score (bits per pixel; higher is less like the rest)."""
    n = len(images)
    fold = np.random.default_rng(seed).permutation(n) % FOLDS
    chunks = [np.arange(s, min(s + CHUNK, n)) for s in range(0, n, CHUNK)]
    plane = as_planes(images[:1]).shape[1:]
    per_fold = np.zeros((FOLDS, plane[0] * plane[1], LEVELS**2, LEVELS), np.int64)
    for rows in chunks:
        sym, ctx = _symbols(images[rows])
        for f in range(FOLDS):
            sel = fold[rows] == f
            per_fold[f] += _set_counts(sym[sel], ctx[sel])
    total = per_fold.sum(0)
    out = np.empty(n, np.float64)
    for rows in chunks:
        sym, ctx = _symbols(images[rows])
        pos = np.arange(sym.shape[1])
        set_bits = np.empty(len(rows))
        for f in range(FOLDS):
            sel = fold[rows] == f
            c = total - per_fold[f]
            logp = np.log2(c + _ALPHA) - np.log2(c.sum(-1, keepdims=True) + _ALPHA * LEVELS)
            set_bits[sel] = -logp[pos, ctx[sel], sym[sel]].sum(1)
        out[rows] = (set_bits - _self_bits(sym, ctx)) / sym.shape[1]
    return out
