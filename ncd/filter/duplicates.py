"""Exact and near duplicates, within a set and across two sets (train/test leakage).

**Exact**: identical pixels (and shape), found by hashing. **Near**: compression distance
below :data:`NEAR_THRESHOLD` under ``ctx-ref-asym`` on ``thermo:3`` planes of normalized
images, so that a brightness or contrast change, a ±1 px shift (the reference template spans
±2 px), JPEG artefacts or mild noise leave a copy cheap to code given its original. Two
normalizations (:data:`NORMALIZATIONS`), and a pair's distance is the lesser of the two:
:func:`stretch` (1st..99th percentile to 0..255) undoes a contrast change, :func:`offset`
(1st percentile to 0, no scaling) a brightness change that saturates the top (a stretch
would then scale the copy's unsaturated grays by another factor than the original's).
Images smaller than :data:`MIN_SIDE` are upsampled first,
and then each is also compared with the other images moved by one of their own pixels in
every direction (:data:`SHIFTS`): upsampling by f turns a 1 px shift into f px, beyond the
template's reach, so the shift a 28 px image tolerates is restored explicitly.
Each image's :data:`NEAR_K` nearest neighbors are searched
among its :data:`NEAR_CANDIDATES` nearest in pixel space (on the planted mnist-5k and
fashion-mnist-10k copies the original was among them for 100% and 99.8%).

A pair is near when its distance is below :data:`NEAR_THRESHOLD`, or when it passes the
*ratio test* (as in Lowe's SIFT matching): the image's nearest neighbor is closer than
:data:`NEAR_RATIO` times its second nearest. A copy sits far closer to its original than to
anything else, even where noise or a texture keeps its distance from being small in
absolute terms (gaussian noise on a textured Fashion-MNIST image); the absolute threshold
keeps groups of three or more, whose members' two nearest are both close.

Pairs become groups by connected components (a copy of a copy joins the group); one member of
each group is kept, the lowest index, and the others point to it (``duplicate_of``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..cache import content_key
from ..compressor import Compressor
from ..search import FIRST_STAGE, kneighbors
from .rules import Rule, RuleThresholds, register_rule, threshold

NEAR_CODEC, NEAR_SERIALIZER = "ctx-ref-asym", "thermo:3"
#: Chosen on mnist-5k (seed 1 of the planted copies, ``bench/filter.py --calibrate``): the best
#: F1 of 0.50, 0.55, ..., 0.70 (precision 0.997, recall 0.990).
NEAR_THRESHOLD = 0.6
#: Chosen on mnist-5k like the threshold, with it fixed: the best F1 of 0.65, 0.7, ..., 0.85
#: for the rule "below the threshold or passing the ratio test" (precision 0.997, recall
#: 0.995).
NEAR_RATIO = 0.75
NEAR_K = 5
NEAR_CANDIDATES = 300
#: Images with a shorter side are upsampled (bilinear, by a whole factor) to at least this
#: side before the near-duplicate distance: the calibration set's 28 px. On fewer pixels the
#: adaptive coder learns too little to tell a copy from a neighbor (8x8 digits, seed 1 of
#: the planted copies: F1 0.03 as they are, 0.81 upsampled x4). The side comes from the
#: calibration set, not from digits.
MIN_SIDE = 28
#: Shifts (dy, dx), in pixels of the image as given, of the reference copies an upsampled
#: image is also compared with (the first is the image itself): every direction by one pixel,
#: the tolerance the reference template's ±2 px reach gives a 28 px image. Without them,
#: digits' planted 1 px shifts are all missed after upsampling.
SHIFTS = ((0, 0), (-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


def pixel_hashes(images: np.ndarray) -> np.ndarray:
    """A digest of each image's shape and pixels (equal digests: identical images)."""
    shape = repr(images.shape[1:]).encode()
    return np.array([hashlib.blake2b(shape + np.ascontiguousarray(im).tobytes(),
                                     digest_size=16).hexdigest() for im in images])  # fmt: skip


def stretch(images: np.ndarray) -> np.ndarray:
    """Map each image's 1st..99th percentile of values to 0..255 (clipped)."""
    flat = images.reshape(len(images), -1).astype(np.float32)
    lo = np.percentile(flat, 1, axis=1, keepdims=True)
    hi = np.percentile(flat, 99, axis=1, keepdims=True)
    out = (flat - lo) * (255.0 / np.maximum(hi - lo, 1.0))
    return np.clip(np.rint(out), 0, 255).astype(np.uint8).reshape(images.shape)


def offset(images: np.ndarray) -> np.ndarray:
    """Move each image's 1st percentile of values to 0 (clipped), without scaling."""
    flat = images.reshape(len(images), -1).astype(np.float32)
    lo = np.percentile(flat, 1, axis=1, keepdims=True)
    return np.clip(np.rint(flat - lo), 0, 255).astype(np.uint8).reshape(images.shape)


#: The per-image normalizations a pair is compared under (its distance is the least). The
#: stretch alone misses brightened 8x8 digits (+30 of 255 saturates their top two gray
#: levels, so it scales the copy's other grays by 255/225 and the original's by 1). On the
#: calibration set (mnist-5k, seed 1 of the planted copies) F1 is 0.996 with the stretch
#: alone, 0.999 with the offset alone or both; with contrast-lowered copies (x0.7 + 20)
#: planted instead of brightened ones, the offset alone finds 10% of them and both 100%.
NORMALIZATIONS = (stretch, offset)


def upsample_factor(shape: tuple[int, ...], min_side: int = MIN_SIDE) -> int:
    """The smallest whole factor that brings an image of ``shape`` to ``min_side`` (1 if it
    is that large already)."""
    return max(1, -(-min_side // min(shape[:2])))


def upsample(images: np.ndarray, min_side: int = MIN_SIDE) -> np.ndarray:
    """Images whose shorter side is below ``min_side`` enlarged by the smallest whole factor
    that reaches it (linear interpolation); others unchanged."""
    from scipy.ndimage import zoom

    f = upsample_factor(images.shape[1:], min_side)
    if f <= 1:
        return images
    factors = (1, f, f) + (1,) * (images.ndim - 3)
    return np.clip(np.rint(zoom(images.astype(np.float32), factors, order=1)), 0,
                   255).astype(np.uint8)  # fmt: skip


def shifted(images: np.ndarray, shifts=SHIFTS) -> np.ndarray:
    """Each image moved by each (dy, dx) of ``shifts``, zero-filled: row ``len(shifts) * i +
    s`` is image i under shift s."""
    n, h, w = images.shape[:3]
    out = np.zeros((n, len(shifts)) + images.shape[1:], images.dtype)
    for s, (dy, dx) in enumerate(shifts):
        out[:, s, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = images[
            :, max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]  # fmt: skip
    return out.reshape((n * len(shifts),) + images.shape[1:])


def near_neighbors(images, other=None, k: int = NEAR_K, n_jobs: int | None = -1,
                   progress: bool | None = None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Each image's ``k`` nearest under the duplicate distance: among ``images`` themselves
    (leave-one-out) or in ``other``, the least distance over :data:`NORMALIZATIONS`. Small
    images go through :func:`upsample` first, and an image's distance to a reference is then
    the least over the reference's :func:`shifted` copies."""
    n_avail = len(images) if other is None else len(other)
    k = min(k, n_avail - (other is None))
    found = [_near_one(norm, images, other, k, n_jobs, progress) for norm in NORMALIZATIONS]
    dist = np.concatenate([d for d, _ in found], axis=1)
    idx = np.concatenate([i for _, i in found], axis=1)
    order = np.argsort(dist, axis=1, kind="stable")
    return _nearest_originals(np.take_along_axis(dist, order, 1),
                              np.take_along_axis(idx, order, 1), k, None)  # fmt: skip


def _near_one(norm, images, other, k, n_jobs, progress):
    """:func:`near_neighbors` under one normalization."""
    x = norm(images)
    y = x if other is None else norm(other)
    v = len(SHIFTS) if upsample_factor(x.shape[1:]) > 1 else 1
    ys = upsample(shifted(y) if v > 1 else y)
    comp = Compressor(NEAR_CODEC, NEAR_SERIALIZER, "ncd", n_jobs).fit(ys)
    n_avail = len(y) - (other is None)
    if other is None and v == 1:
        m = NEAR_CANDIDATES if NEAR_CANDIDATES < n_avail else None
        return kneighbors(upsample(x), None, k, compressor=comp, candidates=m, progress=progress)
    # every copy of an image may come before another image's: ask for enough to leave k others
    own = np.arange(len(x)) * v if other is None else None
    avail = len(ys) - (own is not None)
    kk = min(v * (k + 1) - 1, avail)
    m = v * NEAR_CANDIDATES if v * NEAR_CANDIDATES < avail else None
    dist, idx = kneighbors(upsample(x), ys, kk, compressor=comp, candidates=m, exclude=own,
                           progress=progress)  # fmt: skip
    if v == 1:  # no shifted copies: the neighbors are the images themselves
        return dist, idx
    return _nearest_originals(dist, idx // v, k, None if own is None else own // v)


def _nearest_originals(dist, owner, k, self_index):
    """Per row, the first ``k`` distinct owners (skipping the row's own) of neighbors given
    nearest first, with the distance of each one's nearest copy."""
    out_d = np.full((len(dist), k), np.inf, np.float32)
    out_i = np.full((len(dist), k), -1, np.int64)
    for r in range(len(dist)):
        seen = set() if self_index is None else {int(self_index[r])}
        c = 0
        for d, o in zip(dist[r].tolist(), owner[r].tolist(), strict=True):
            if o not in seen and c < k:
                seen.add(o)
                out_d[r, c], out_i[r, c] = d, o
                c += 1
    return out_d, out_i


def passes_ratio(dist: np.ndarray, ratio: float = NEAR_RATIO) -> np.ndarray:
    """Whether each row's nearest distance is below ``ratio`` times its second nearest
    (False with fewer than two neighbors)."""
    if dist.shape[1] < 2:
        return np.zeros(len(dist), bool)
    return dist[:, 0] < ratio * dist[:, 1]


def duplicate_pairs(dist: np.ndarray, idx: np.ndarray, hashes: np.ndarray,
                    threshold: float = NEAR_THRESHOLD,
                    ratio: float = NEAR_RATIO) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(i, j) index pairs, i < j, that are exact (equal hashes) or near duplicates within one
    set: a distance below ``threshold``, or an image and its nearest neighbor when that
    passes the ratio test (:func:`passes_ratio`), in either direction."""
    rows, cols = np.nonzero(dist < threshold)
    ratio_rows = np.flatnonzero(passes_ratio(dist, ratio))
    rows = np.concatenate([rows, ratio_rows])
    cols = np.concatenate([cols, np.zeros(len(ratio_rows), cols.dtype)])
    pairs = {(min(a, b), max(a, b)) for a, b in zip(rows.tolist(), idx[rows, cols].tolist(),
                                                    strict=True)}  # fmt: skip
    order = np.argsort(hashes, kind="stable")
    sh = hashes[order]
    same = np.flatnonzero(sh[1:] == sh[:-1])
    pairs |= {
        (min(a, b), max(a, b))
        for a, b in zip(order[same].tolist(), order[same + 1].tolist(), strict=True)
    }
    if not pairs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    i, j = np.array(sorted(pairs), dtype=np.int64).T
    return i, j


def duplicate_groups(n: int, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group id of each image (-1: in no group) and the kept member each image points to (-1:
    itself kept or in no group)."""
    graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    _, comp = connected_components(graph, directed=False)
    sizes = np.bincount(comp, minlength=comp.max(initial=0) + 1)
    in_group = sizes[comp] > 1
    # renumber groups 0.. in order of their lowest member, which is the one kept
    keep_of = np.full(sizes.shape, n)
    np.minimum.at(keep_of, comp, np.arange(n))
    uniq, group = np.unique(keep_of[comp[in_group]], return_inverse=True)
    group_id = np.full(n, -1, np.int64)
    group_id[in_group] = group
    dup_of = np.full(n, -1, np.int64)
    members = np.flatnonzero(in_group)
    kept = keep_of[comp[members]]
    dup_of[members] = np.where(kept == members, -1, kept)
    return group_id, dup_of


def leak_matches(hashes: np.ndarray, other_hashes: np.ndarray, dist: np.ndarray,
                 idx: np.ndarray, threshold: float = NEAR_THRESHOLD,
                 ratio: float = NEAR_RATIO) -> np.ndarray:  # fmt: skip
    """For each image, the index of an ``other``-set image it duplicates (exactly, else the
    nearest, when under ``threshold`` or passing the ratio test among the ``other`` set's
    images), or -1."""
    first = {}
    for pos, h in enumerate(other_hashes.tolist()):
        first.setdefault(h, pos)
    exact = np.array([first.get(h, -1) for h in hashes.tolist()], dtype=np.int64)
    near = np.where((dist[:, 0] < threshold) | passes_ratio(dist, ratio), idx[:, 0], -1)
    return np.where(exact >= 0, exact, near)


@dataclass
class DuplicateThresholds(RuleThresholds):
    """The duplicate rule's thresholds."""

    near: float = threshold(NEAR_THRESHOLD, 0.0, 1.5, "a compression distance",
                            flag="--near-threshold")  # fmt: skip
    near_ratio: float = threshold(NEAR_RATIO, 0.0, 1.0,
                                  "the nearest distance over the second nearest")  # fmt: skip


def _near_stage(ctx, stage: str, other, k: int) -> dict:
    """The duplicate distance's ``k`` nearest (within the set, or in ``other``), cached."""
    spec = {"k": k, "codec": NEAR_CODEC, "serializer": NEAR_SERIALIZER,
            "first_stage": FIRST_STAGE, "min_side": MIN_SIDE, "shifts": SHIFTS,
            "normalizations": [f.__name__ for f in NORMALIZATIONS],
            "other": None if other is None else content_key(other)}  # fmt: skip

    def compute():
        dist, idx = near_neighbors(ctx.images, other, k=k, n_jobs=ctx.n_jobs,
                                   progress=ctx.progress)  # fmt: skip
        return {"dist": dist, "idx": idx}

    return ctx.stage(stage, spec, compute)


@register_rule
class DuplicateRule(Rule):
    """Exact and near duplicates within the set, and leaks into ``against``."""

    name = "duplicate"
    reasons = ("duplicate", "leak")
    thresholds = DuplicateThresholds
    needs = ("pairs",)
    ranking = {"duplicate": ("dup_distance", 1), "leak": ("leak_distance", 1)}
    scores = {"dup_distance": "duplicate NCD", "leak_distance": "leak NCD"}

    def find(self, ctx) -> dict[str, np.ndarray]:
        """Group duplicates (keeping the lowest index of each group) and match leaks.

        Parameters
        ----------
        ctx : Context
            The run's data, stages and thresholds.

        Returns
        -------
        dict
            ``duplicate`` flags, and ``leak`` flags when ``ctx.against`` is given.
        """
        th, t, n = ctx.thresholds, ctx.table, len(ctx.images)
        hashes = pixel_hashes(ctx.images)
        near = _near_stage(ctx, "near", None, NEAR_K)
        i, j = duplicate_pairs(near["dist"], near["idx"], hashes, th.near, th.near_ratio)
        t["dup_group"], t["duplicate_of"] = duplicate_groups(n, i, j)
        t["dup_distance"] = near["dist"][:, 0]
        flags = {"duplicate": t["duplicate_of"] >= 0}
        if ctx.against is not None:
            other = ctx.against.images  # two nearest: the ratio test compares them
            leak = _near_stage(ctx, "leak", other, 2)
            t["leak_of"] = leak_matches(hashes, pixel_hashes(other), leak["dist"],
                                        leak["idx"], th.near, th.near_ratio)  # fmt: skip
            t["leak_distance"] = leak["dist"][:, 0]
            flags["leak"] = t["leak_of"] >= 0
        return flags

    def caption(self, reason: str, table: dict, i: int, class_names) -> str:
        """``= #j`` (the kept copy) or ``= test #j`` (the matched image of ``against``).

        Parameters
        ----------
        reason : str
            ``"duplicate"`` or ``"leak"``.
        table : dict
            The report's columns.
        i : int
            The image.
        class_names : sequence of str
            The class names.

        Returns
        -------
        str
        """
        if reason == "leak":
            return f"= test #{table['leak_of'][i]}"
        return f"= #{table['duplicate_of'][i]}"
