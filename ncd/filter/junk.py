"""Junk: images that carry almost no information, incompressible noise, and images unlike the
rest of the set.

The information score places an image's lossless PNG code length between two references of
the same shape: a constant image at the image's most common value (0) and uniform noise (1),
``(C(x) - C(const)) / (C(noise) - C(const))``, so headers and the image size cancel.

- **blank**: information under :data:`BLANK_RATIO` (constant and nearly constant images: a
  constant image scores 0; the least informative real mnist-5k digit 0.042).
- **noise**: information at least :data:`NOISE_RATIO`: the image codes no shorter than noise
  does (uniform noise scores 1.0). Any value between mnist-5k's most informative digit
  (0.40) and 1 separates its planted noise; the conservative end was taken because textured
  sets come close (fashion-mnist's most textured image scores 0.95, 8x8 digits 0.94).
- **outlier**: an image in a neighbourhood without a class, or far from everything. The
  *consensus* of an image is the largest share of one class among its nearest neighbours'
  labels; its *neighbourhood consensus* is the mean consensus of those neighbours. A
  mislabelled image sits among images that agree with each other; images foreign to the set
  gather among themselves with labels that agree on nothing. Flagged: neighbourhood
  consensus no higher than chance (:func:`chance_consensus`: the consensus that k random
  labels over the set's classes reach in 99 of 100 draws, 0.4 for k = 15 and 10 classes), or
  a mean compression distance to the neighbours at least :data:`OUTLIER_Z` robust standard
  deviations (median / MAD) above the set's. These are the *seeds*; the group then grows
  (:func:`grow`): an image with more flagged outliers among its neighbours than flags
  scattered at random at the seeds' rate would give (:func:`join_level`, the same 99 in 100)
  is flagged too when at least half of the images that list it among their neighbours are
  flagged, until nothing changes. Foreign images at the edge of their group have
  neighbours of one real class as well, so their neighbourhood agrees above chance; a real
  image almost never has a foreign one among its neighbours (on mnist-5k with Fashion
  images planted, none of the real images has more than 1 of 15), and is listed by the
  real images around it.

Lengths are header-corrected (:func:`~ncdvision.ncd.compressed_lengths`). The information
thresholds and :data:`OUTLIER_Z` were chosen on mnist-5k with seed 1 of the planted junk
(``bench/filter.py --calibrate``) and are used unchanged on other sets. The chance level is
a null model and needs no dataset to choose it; a threshold relative to the set's median
neighbourhood consensus cannot be calibrated on mnist-5k (its real images' neighbourhoods
agree far above any level) and on fashion-mnist-10k, whose neighbourhoods agree less, lets
in the set's own images (precision 0.561 for planted MNIST digits). The growth step catches
planted foreign images whose neighbours are largely other foreign images; without its second
condition, growth by the first alone runs through all of fashion-mnist-10k with 20% label
noise (37 seeds, 10,000 flagged). Its form was suggested by evaluation sets; its levels are a
null model's and a majority, not fitted.
"""

from __future__ import annotations

import numpy as np

from ..compressor import compressed_lengths

BLANK_RATIO = 0.02
NOISE_RATIO = 0.99
#: Uniform-noise images whose mean code length is the information score's 1.
NOISE_REFERENCES = 8
#: Quantile of the consensus of random labels below which a neighbourhood agrees on nothing.
CHANCE_QUANTILE = 0.99
OUTLIER_Z = 3.0


def information_ratio(images: np.ndarray, n_jobs: int | None = -1) -> np.ndarray:
    """Each image's PNG code length on the scale constant image = 0, uniform noise = 1.

    The 0 is the code length of a constant image at the image's most common value, so a
    constant image scores exactly 0 whatever its value; the 1 is the mean of
    :data:`NOISE_REFERENCES` uniform-noise images of the same shape."""
    rng = np.random.default_rng(0)
    shape = images.shape[1:]
    flat = images.reshape(len(images), -1)
    modes = np.array([np.bincount(row, minlength=256).argmax() for row in flat], np.uint8)
    values = np.union1d(np.unique(modes), [0]).astype(np.uint8)
    refs = np.concatenate([
        np.broadcast_to(values.reshape(-1, *[1] * len(shape)), (len(values), *shape)),
        rng.integers(0, 256, (NOISE_REFERENCES, *shape), dtype=np.uint8),
    ])  # fmt: skip
    ref = compressed_lengths(np.ascontiguousarray(refs), codec="png", serializer="raw", n_jobs=1)
    const = ref[: len(values)][np.searchsorted(values, modes)]
    lengths = compressed_lengths(images, codec="png", serializer="raw", n_jobs=n_jobs)
    return (lengths - const) / np.maximum(ref[len(values) :].mean() - const, 1.0)


def chance_consensus(k: int, n_classes: int, quantile: float = CHANCE_QUANTILE) -> float:
    """The consensus (largest class share) that ``k`` labels drawn uniformly from
    ``n_classes`` reach with probability ``1 - quantile``: the level of agreement a
    neighbourhood shows by chance (20,000 seeded draws)."""
    labels = np.random.default_rng(0).integers(0, max(n_classes, 1), (20_000, k))
    top = np.stack([(labels == c).sum(1) for c in range(max(n_classes, 1))]).max(0)
    return float(np.quantile(top / k, quantile))


def join_level(k: int, rate: float, quantile: float = CHANCE_QUANTILE) -> int:
    """The fewest flagged images among ``k`` neighbours that flags scattered at random at
    ``rate`` reach with probability at most ``1 - quantile`` (k + 1 when even all k do not
    meet that): an image with this many is more than chance near the flagged group."""
    from scipy.stats import binom

    for c in range(1, k + 1):
        if binom.sf(c - 1, k, rate) <= 1 - quantile:  # P(at least c of k flagged)
            return c
    return k + 1


def grow(seeds: np.ndarray, neighbours: np.ndarray, level: int, eligible: np.ndarray):
    """``seeds`` grown over the neighbour graph, until nothing changes: an ``eligible`` image
    joins when at least ``level`` of its ``neighbours`` (rows of indices) are flagged *and*
    at least half of the images that have it among their neighbours are. The second
    condition stops the growth from running through a region of real images whose labels
    are confused (each of them is the neighbour of many unflagged images of its region); a
    foreign image is the neighbour mostly of other foreign images."""
    n = len(seeds)
    listed_by = np.bincount(neighbours.ravel(), minlength=n)
    flag = seeds & eligible
    while True:
        by_flagged = np.bincount(neighbours[flag].ravel(), minlength=n)
        grown = flag | (
            eligible & (flag[neighbours].sum(axis=1) >= level) & (2 * by_flagged >= listed_by)
        )  # fmt: skip
        if np.array_equal(grown, flag):
            return flag
        flag = grown


def robust_z(x: np.ndarray) -> np.ndarray:
    """(x - median) / (1.4826 MAD): a z-score that a few extreme values cannot inflate."""
    x = np.asarray(x, dtype=np.float64)
    med = np.median(x)
    mad = 1.4826 * np.median(np.abs(x - med))
    return (x - med) / (mad if mad > 0 else np.finfo(float).eps)


def junk_flags(
    info_ratio: np.ndarray, *, blank: float = BLANK_RATIO, noise: float = NOISE_RATIO
) -> dict[str, np.ndarray]:
    """Boolean ``blank`` and ``noise`` flags from the information score."""
    return {"blank": info_ratio < blank, "noise": info_ratio >= noise}


def outlier_flags(
    neighbourhood: np.ndarray,
    neighbor_distance: np.ndarray,
    neighbours: np.ndarray,
    eligible: np.ndarray,
    *,
    chance: float,
    z: float = OUTLIER_Z,
    join: int | None = None,
) -> tuple[np.ndarray, int]:
    """Outliers among the ``eligible`` images (those not blank or noise), and the join level
    used. Seeds: neighbourhood consensus at most ``chance`` (:func:`chance_consensus`) or a
    mean neighbour distance ``z`` robust standard deviations above the set's; then
    :func:`grow` over ``neighbours`` ((n, k) indices) with ``join`` flagged neighbours
    (None: :func:`join_level` at the seeds' rate among the eligible images)."""
    seeds = ((neighbourhood <= chance) | (robust_z(neighbor_distance) >= z)) & eligible
    if join is None:
        join = join_level(neighbours.shape[1], seeds.sum() / max(int(eligible.sum()), 1))
    return grow(seeds, neighbours, join, eligible), join
