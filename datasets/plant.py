"""Planted issues with known truth, for measuring data filters: near-duplicate copies and
junk images appended to a dataset (label noise is :func:`~.corrupt.corrupt_labels`).

Each function returns the new dataset (the originals first, in order, then the planted
images) and the truth.
"""

from __future__ import annotations

import numpy as np

from .core import Dataset
from .corrupt import apply_corruption

#: How a near-duplicate copy differs from its original.
COPY_KINDS = ("shift", "noise", "jpeg", "brightness")
#: Junk kinds of :func:`plant_junk`.
JUNK_KINDS = ("noise", "blank", "foreign")


def _shift(im: np.ndarray, rng) -> np.ndarray:
    """Move by one pixel in a random direction, filling with zeros."""
    dy, dx = ((0, 1), (0, -1), (1, 0), (-1, 0))[rng.integers(4)]
    out = np.zeros_like(im)
    h, w = im.shape[:2]
    out[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = im[
        max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out


def _copy(im: np.ndarray, kind: str, rng) -> np.ndarray:
    if kind == "shift":
        return _shift(im, rng)
    if kind == "noise":  # mild gaussian noise, sigma 8 of 255
        return np.clip(im + rng.normal(0, 8, im.shape), 0, 255).astype(np.uint8)
    if kind == "jpeg":
        return apply_corruption(im, "jpeg", 90, rng)
    # brightness: +30 of 255
    return np.clip(im.astype(np.int16) + 30, 0, 255).astype(np.uint8)


def plant_duplicates(ds: Dataset, fraction: float = 0.05, seed: int = 0):
    """Append near-duplicate copies of random images, cycling through :data:`COPY_KINDS`.

    Parameters
    ----------
    ds : Dataset
        The clean dataset.
    fraction : float, default=0.05
        ``round(fraction * len(ds))`` images are copied.
    seed : int, default=0
        Seed of the choice and of the copies' changes.

    Returns
    -------
    dataset : Dataset
        ``ds`` with the copies appended, without a test mask.
    sources : ndarray of int
        The index of each copy's original.
    kinds : ndarray of str
        Each copy's kind.
    """
    rng = np.random.default_rng(seed)
    n = len(ds)
    src = np.sort(rng.choice(n, int(round(fraction * n)), replace=False))
    kinds = np.array([COPY_KINDS[i % len(COPY_KINDS)] for i in range(len(src))])
    copies = np.stack([_copy(ds.images[s], k, rng) for s, k in zip(src, kinds, strict=True)])
    out = ds.with_(
        images=np.concatenate([ds.images, copies]),
        labels=np.concatenate([ds.labels, ds.labels[src]]),
        name=f"{ds.name}+copies{fraction:g}",
        test_mask=None,
    )
    return out, src, kinds


def plant_junk(ds: Dataset, fraction: float = 0.02, foreign: np.ndarray | None = None,
               seed: int = 0):  # fmt: skip
    """Append junk images with random labels, ``round(fraction * len(ds))`` of each kind.

    The kinds are uniform noise, blank or constant images (half all-zero, half one random gray
    level), and images drawn from ``foreign``.

    Parameters
    ----------
    ds : Dataset
        The clean dataset.
    fraction : float, default=0.02
        Share of each kind.
    foreign : ndarray of uint8, optional
        Another dataset's images of the same shape; that kind is skipped when None.
    seed : int, default=0
        Seed of the images and labels.

    Returns
    -------
    dataset : Dataset
        ``ds`` with the junk appended.
    kinds : ndarray of str
        The kind of each image, ``""`` for the originals.
    """
    rng = np.random.default_rng(seed)
    n, m, shape = len(ds), int(round(fraction * len(ds))), ds.image_shape
    parts = {
        "noise": rng.integers(0, 256, (m, *shape), dtype=np.uint8),
        "blank": np.zeros((m, *shape), np.uint8),
    }
    parts["blank"][m // 2 :] = rng.integers(1, 256, m - m // 2, dtype=np.uint8).reshape(
        -1, *([1] * len(shape))
    )
    if foreign is not None:
        if foreign.shape[1:] != shape:
            raise ValueError(f"foreign images of shape {foreign.shape[1:]}, expected {shape}")
        parts["foreign"] = foreign[rng.choice(len(foreign), m, replace=False)]
    junk = np.concatenate(list(parts.values()))
    kind = np.concatenate([np.full(n, ""), np.repeat(list(parts), m)])
    out = ds.with_(
        images=np.concatenate([ds.images, junk]),
        labels=np.concatenate([ds.labels, rng.integers(0, len(ds.class_names), len(junk))]),
        name=f"{ds.name}+junk{fraction:g}",
        test_mask=None,
    )
    return out, kind
