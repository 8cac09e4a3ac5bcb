"""Junk: images that carry almost no information, incompressible noise, and images unlike the
rest of the set.

The information score places an image's lossless PNG code length between two references of
the same shape: a constant image (0) and uniform noise (1), ``(C(x) - C(const)) / (C(noise) -
C(const))``, so headers and the image size cancel.

- **blank**: information under :data:`BLANK_RATIO` (constant and nearly constant images; on
  mnist-5k the least informative real digit scores 0.035, planted constant images under 0.01).
- **noise**: information at least :data:`NOISE_RATIO`: nothing in the image is predictable
  from its neighbourhood. The most textured real images score 0.90 (fashion-mnist) and 0.94
  (8x8 digits, which PNG can hardly compress); raise the threshold for such sets.
- **outlier**: no class holds more than :data:`OUTLIER_CONSENSUS` of its nearest neighbours'
  votes *and* its mean compression distance to them is at least :data:`OUTLIER_Z` robust
  standard deviations (median / MAD) above the set's: an image far from everything and of no
  recognisable class.

Ratios use header-corrected lengths (:func:`~ncdvision.ncd.compressed_lengths`); every
threshold was chosen on mnist-5k and is used unchanged on other sets.
"""

from __future__ import annotations

import numpy as np

from ..distance import compressed_lengths

BLANK_RATIO = 0.02
NOISE_RATIO = 0.95
#: Uniform-noise images whose mean code length is the information score's 1.
NOISE_REFERENCES = 8
OUTLIER_CONSENSUS = 0.4
OUTLIER_Z = 2.0


def information_ratio(images: np.ndarray, n_jobs: int | None = -1) -> np.ndarray:
    """Each image's PNG code length on the scale constant image = 0, uniform noise = 1."""
    rng = np.random.default_rng(0)
    shape = images.shape[1:]
    refs = np.concatenate([np.zeros((1, *shape), np.uint8),
                           rng.integers(0, 256, (NOISE_REFERENCES, *shape), dtype=np.uint8)])  # fmt: skip
    ref = compressed_lengths(refs, codec="png", serializer="raw", n_jobs=1)
    lengths = compressed_lengths(images, codec="png", serializer="raw", n_jobs=n_jobs)
    return (lengths - ref[0]) / max(ref[1:].mean() - ref[0], 1.0)


def robust_z(x: np.ndarray) -> np.ndarray:
    """(x - median) / (1.4826 MAD): a z-score that a few extreme values cannot inflate."""
    x = np.asarray(x, dtype=np.float64)
    med = np.median(x)
    mad = 1.4826 * np.median(np.abs(x - med))
    return (x - med) / (mad if mad > 0 else np.finfo(float).eps)


def junk_flags(
    info_ratio: np.ndarray,
    consensus: np.ndarray | None = None,
    neighbor_distance: np.ndarray | None = None,
    *,
    blank: float = BLANK_RATIO,
    noise: float = NOISE_RATIO,
    outlier_consensus: float = OUTLIER_CONSENSUS,
    outlier_z: float = OUTLIER_Z,
) -> dict[str, np.ndarray]:
    """Boolean flags per junk kind; ``outlier`` needs the neighbour consensus and mean distance
    (from the label step's neighbours). An image flagged blank or noise is not also an outlier."""
    flags = {"blank": info_ratio < blank, "noise": info_ratio >= noise}
    if consensus is not None and neighbor_distance is not None:
        flags["outlier"] = (
            (consensus <= outlier_consensus)
            & (robust_z(neighbor_distance) >= outlier_z)
            & ~flags["blank"]
            & ~flags["noise"]
        )
    return flags
