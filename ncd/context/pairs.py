"""Which training images a learned conditional prior codes given which.

``ctx-ref-learned`` learns how an image differs from a related one by coding training images
given reference images. The reference is either a random other image of the same class
(:func:`same_class_pairs`, which needs labels) or one of the image's nearest neighbors among
the training images (:func:`neighbor_pairs`, which needs none). Both give (reference, coded)
index pairs; the counts are learned the same way from either.
"""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import NearestNeighbors

#: At most this many images (a seeded random subset) take part in a label-free prior. The
#: neighbor search is all pairs of them in symbol space: 10,000 thermo:3 images cost about
#: 2.4e11 multiply-adds, seconds on two cores, and the prior's counts are capped at
#: ``strength`` per context anyway, so more images change little.
NEIGHBOR_PRIOR_IMAGES = 10_000


def same_class_pairs(labels: np.ndarray, per_image: int, seed: int) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(reference, coded) index pairs: each image with random other members of its class.

    Parameters
    ----------
    labels : ndarray of shape (n_images,)
        Class labels.
    per_image : int
        References per coded image.
    seed : int
        Seed of the draw.

    Returns
    -------
    refs, coded : ndarray of int64
        Index pairs; a class with a single member codes nothing.
    """
    rng = np.random.default_rng(seed)
    refs, cods = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        if len(members) < 2:
            continue
        cod = np.repeat(members, per_image)
        # a random *other* member: shift by 1..m-1 positions within the class
        pos = np.searchsorted(members, cod)
        off = rng.integers(1, len(members), len(cod))
        refs.append(members[(pos + off) % len(members)])
        cods.append(cod)
    return np.concatenate(refs), np.concatenate(cods)


def neighbor_pairs(symbols: np.ndarray, per_image: int, seed: int,
                   max_images: int = NEIGHBOR_PRIOR_IMAGES) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(reference, coded) index pairs without labels: each image with its nearest neighbors.

    Neighbors are by squared L2 distance between the flattened symbol planes (the Hamming
    distance for binary planes), excluding the image itself. In a classification the query is
    coded given its nearest training images, so these pairs are the kind the coder meets.

    Parameters
    ----------
    symbols : ndarray of uint8, shape (n_images, height, width[, planes])
        Training symbol images.
    per_image : int
        Neighbors (references) per coded image; at most ``n_images - 1`` are used.
    seed : int
        Seed of the subset when there are more than ``max_images`` images.
    max_images : int, default=NEIGHBOR_PRIOR_IMAGES
        Images that take part, at most.

    Returns
    -------
    refs, coded : ndarray of int64
        Index pairs into ``symbols``.
    """
    n = len(symbols)
    rows = np.arange(n)
    if n > max_images:
        rows = np.sort(np.random.default_rng(seed).choice(n, max_images, replace=False))
    k = min(per_image, len(rows) - 1)
    if k < 1:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    flat = symbols[rows].reshape(len(rows), -1).astype(np.float32)
    nn = NearestNeighbors(n_neighbors=k + 1, algorithm="brute").fit(flat)
    idx = nn.kneighbors(flat, return_distance=False)
    # drop each image itself (usually first; an exact duplicate may come before it)
    is_self = idx == np.arange(len(rows))[:, None]
    drop = np.where(is_self.any(1), is_self.argmax(1), k)
    keep = np.ones_like(idx, dtype=bool)
    keep[np.arange(len(rows)), drop] = False
    refs = idx[keep].reshape(len(rows), k)
    return rows[refs.ravel()].astype(np.int64), np.repeat(rows, k).astype(np.int64)
