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
  deviations (median / MAD) above the set's.

Lengths are header-corrected (:func:`~ncdvision.ncd.compressed_lengths`). The information
thresholds and :data:`OUTLIER_Z` were chosen on mnist-5k with seed 1 of the planted junk
(``bench/filter.py --calibrate``) and are used unchanged on other sets. The chance level
replaced (session 8) a threshold of 0.6 times the set's median neighbourhood consensus, which
mnist-5k could not calibrate: its real images' neighbourhoods agree far above any level
tried, while on fashion-mnist-10k, whose neighbourhoods agree less, that level let in the
set's own images (precision 0.561 for planted MNIST digits). A null model needs no dataset
to choose it.
"""

from __future__ import annotations

import numpy as np

from ..distance import compressed_lengths

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


def robust_z(x: np.ndarray) -> np.ndarray:
    """(x - median) / (1.4826 MAD): a z-score that a few extreme values cannot inflate."""
    x = np.asarray(x, dtype=np.float64)
    med = np.median(x)
    mad = 1.4826 * np.median(np.abs(x - med))
    return (x - med) / (mad if mad > 0 else np.finfo(float).eps)


def junk_flags(
    info_ratio: np.ndarray,
    neighbourhood: np.ndarray | None = None,
    neighbor_distance: np.ndarray | None = None,
    *,
    blank: float = BLANK_RATIO,
    noise: float = NOISE_RATIO,
    outlier_neighbourhood: float | None = None,
    outlier_z: float = OUTLIER_Z,
) -> dict[str, np.ndarray]:
    """Boolean flags per junk kind; ``outlier`` needs the neighbourhood consensus and the mean
    neighbour distance (from the label step's neighbours) and the chance level
    ``outlier_neighbourhood`` (:func:`chance_consensus`). An image flagged blank or noise is
    not also an outlier."""
    flags = {"blank": info_ratio < blank, "noise": info_ratio >= noise}
    if neighbourhood is not None and neighbor_distance is not None:
        if outlier_neighbourhood is None:
            raise ValueError("outlier_neighbourhood: give the chance level (chance_consensus)")
        flags["outlier"] = (
            ((neighbourhood <= outlier_neighbourhood)
             | (robust_z(neighbor_distance) >= outlier_z))
            & ~flags["blank"]
            & ~flags["noise"]
        )  # fmt: skip
    return flags
