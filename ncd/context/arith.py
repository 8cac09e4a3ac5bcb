"""The arithmetic coder that realises the context models' lengths.

The models' probabilities are ratios of small integers (Krichevsky-Trofimov counts), so this
32-bit coder uses them *exactly*: the encoded size is the model's length plus at most a few
bits of termination and rounding, and decoding reproduces the image bit for bit.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .kernels import ctx_at, total_at, update_counts

_PREC = 32
_TOP = (1 << _PREC) - 1
_HALF = 1 << (_PREC - 1)
_Q1 = 1 << (_PREC - 2)
_Q3 = _HALF + _Q1


@njit(cache=True, inline="always")
def _emit(buf, pos, bit, pending):
    if bit:
        buf[pos >> 3] |= np.uint8(0x80 >> (pos & 7))
    pos += 1
    for _ in range(pending):
        if not bit:
            buf[pos >> 3] |= np.uint8(0x80 >> (pos & 7))
        pos += 1
    return pos


@njit(cache=True)
def encode(img, ref, c_off, r_off, L, prior, cap, log2tab, buf):
    H, W = img.shape
    counts = prior.copy()
    mult_ref = L ** c_off.shape[0]
    low, high, pending, pos = 0, _TOP, 0, 0
    ideal = 0.0
    for y in range(H):
        for x in range(W):
            c = ctx_at(img, y, x, c_off, L, 1) + ctx_at(ref, y, x, r_off, L, mult_ref)
            s = img[y, x]
            base = c * L
            t = total_at(counts, base, L)
            cum = 0
            for k in range(s):
                cum += 2 * np.int64(counts[base + k]) + 1
            f = 2 * np.int64(counts[base + s]) + 1
            total = 2 * t + L
            ideal += log2tab[total] - log2tab[f]
            rng = high - low + 1
            high = low + (rng * (cum + f)) // total - 1
            low = low + (rng * cum) // total
            while True:
                if high < _HALF:
                    pos = _emit(buf, pos, 0, pending)
                    pending = 0
                elif low >= _HALF:
                    pos = _emit(buf, pos, 1, pending)
                    pending = 0
                    low -= _HALF
                    high -= _HALF
                elif low >= _Q1 and high < _Q3:
                    pending += 1
                    low -= _Q1
                    high -= _Q1
                else:
                    break
                low = 2 * low
                high = 2 * high + 1
            update_counts(counts, base, s, t, L, cap)
    pending += 1
    pos = _emit(buf, pos, 0 if low < _Q1 else 1, pending)
    return (pos + 7) // 8, ideal


@njit(cache=True, inline="always")
def _bit(buf, pos):
    if (pos >> 3) >= buf.shape[0]:
        return 0
    return (buf[pos >> 3] >> (7 - (pos & 7))) & 1


@njit(cache=True)
def decode(buf, ref, H, W, c_off, r_off, L, prior, cap, out):
    counts = prior.copy()
    mult_ref = L ** c_off.shape[0]
    low, high, value, pos = 0, _TOP, 0, 0
    for _ in range(_PREC):
        value = 2 * value + _bit(buf, pos)
        pos += 1
    for y in range(H):
        for x in range(W):
            c = ctx_at(out, y, x, c_off, L, 1) + ctx_at(ref, y, x, r_off, L, mult_ref)
            base = c * L
            t = total_at(counts, base, L)
            total = 2 * t + L
            rng = high - low + 1
            scaled = ((value - low + 1) * total - 1) // rng
            cum = 0
            s = 0
            while True:
                f = 2 * np.int64(counts[base + s]) + 1
                if cum + f > scaled or s == L - 1:
                    break
                cum += f
                s += 1
            out[y, x] = s
            high = low + (rng * (cum + f)) // total - 1
            low = low + (rng * cum) // total
            while True:
                if high < _HALF:
                    pass
                elif low >= _HALF:
                    value -= _HALF
                    low -= _HALF
                    high -= _HALF
                elif low >= _Q1 and high < _Q3:
                    value -= _Q1
                    low -= _Q1
                    high -= _Q1
                else:
                    break
                low = 2 * low
                high = 2 * high + 1
                value = 2 * value + _bit(buf, pos)
                pos += 1
            update_counts(counts, base, s, t, L, cap)
