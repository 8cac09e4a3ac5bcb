"""Seeded synthetic datasets with controllable structure.

- :func:`shapes`: the class is a shape drawn at a jittered position and size (aligned,
  object-like classes, as in digits).
- :func:`textures`: the class is a texture (stripes, checks, dots, ...) at random phase and
  scale; classes differ by image statistics, not by aligned strokes.
- :func:`noise`: uniform random pixels with random labels: the incompressible, unlearnable
  control.
"""

from __future__ import annotations

import numpy as np

from .core import Dataset

__all__ = ["SHAPE_CLASSES", "TEXTURE_CLASSES", "noise", "shapes", "textures"]

#: The classes of :func:`shapes`, in label order.
SHAPE_CLASSES = ("circle", "square", "triangle", "cross", "ring", "hbar", "vbar", "diamond")
#: The classes of :func:`textures`, in label order.
TEXTURE_CLASSES = ("hstripes", "vstripes", "dstripes", "checks", "dots", "blobs", "grain", "waves")


def _noisy(img: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    if noise > 0:
        img = img + rng.normal(0.0, noise * 255.0, img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def shapes(
    n_per_class: int = 100,
    size: int = 28,
    *,
    n_classes: int = len(SHAPE_CLASSES),
    jitter: float = 0.15,
    noise: float = 0.0,
    seed: int = 0,
) -> Dataset:
    """White shapes on black, one shape per class, at a jittered centre and scale.

    Parameters
    ----------
    n_per_class : int, default=100
        Images per class.
    size : int, default=28
        Side of the square images.
    n_classes : int, default=8
        The first ``n_classes`` of :data:`SHAPE_CLASSES`.
    jitter : float, default=0.15
        The fraction of ``size`` by which centre and scale vary.
    noise : float, default=0.0
        Standard deviation of added gaussian pixel noise, as a fraction of 255.
    seed : int, default=0
        Seed of everything drawn.

    Returns
    -------
    Dataset
        ``n_per_class * n_classes`` grayscale images.
    """
    if not 1 <= n_classes <= len(SHAPE_CLASSES):
        raise ValueError(f"n_classes must be in [1, {len(SHAPE_CLASSES)}]")
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) + 0.5
    images, labels = [], []
    for c in range(n_classes):
        for _ in range(n_per_class):
            cy, cx = size / 2 + rng.uniform(-jitter, jitter, 2) * size
            r = size * (0.3 + rng.uniform(-jitter, jitter) * 0.5)
            dy, dx = (yy - cy) / r, (xx - cx) / r
            name = SHAPE_CLASSES[c]
            if name == "circle":
                m = dy**2 + dx**2 <= 1
            elif name == "square":
                m = (np.abs(dy) <= 0.8) & (np.abs(dx) <= 0.8)
            elif name == "triangle":
                m = (dy <= 0.8) & (dy >= -0.9 + 1.8 * np.abs(dx))
            elif name == "cross":
                m = ((np.abs(dy) <= 0.25) | (np.abs(dx) <= 0.25)) & (
                    np.maximum(abs(dy), abs(dx)) <= 1
                )
            elif name == "ring":
                m = (dy**2 + dx**2 <= 1) & (dy**2 + dx**2 >= 0.45)
            elif name == "hbar":
                m = (np.abs(dy) <= 0.3) & (np.abs(dx) <= 1)
            elif name == "vbar":
                m = (np.abs(dx) <= 0.3) & (np.abs(dy) <= 1)
            else:  # diamond
                m = np.abs(dy) + np.abs(dx) <= 1
            images.append(_noisy(m * 255.0, noise, rng))
            labels.append(c)
    return Dataset(
        np.stack(images),
        np.asarray(labels),
        SHAPE_CLASSES[:n_classes],
        "shapes",
        {
            "source": f"ncdvision.datasets.synthetic.shapes(n_per_class={n_per_class}, size={size}, "
            f"jitter={jitter}, noise={noise}, seed={seed})",
            "licence": "generated",
        },
    )


def textures(
    n_per_class: int = 100,
    size: int = 28,
    *,
    n_classes: int = len(TEXTURE_CLASSES),
    noise: float = 0.0,
    seed: int = 0,
) -> Dataset:
    """Texture classes at a random phase and an integer period of 3..6 pixels, in two grey
    levels from a small palette. Nothing is aligned, so pixel-space neighbors are weak, while
    byte codecs find the exactly repeated runs of a same-class image in the concatenation.

    Parameters
    ----------
    n_per_class : int, default=100
        Images per class.
    size : int, default=28
        Side of the square images.
    n_classes : int, default=8
        The first ``n_classes`` of :data:`TEXTURE_CLASSES`.
    noise : float, default=0.0
        Standard deviation of added gaussian pixel noise, as a fraction of 255.
    seed : int, default=0
        Seed of everything drawn.

    Returns
    -------
    Dataset
        ``n_per_class * n_classes`` grayscale images.
    """
    if not 1 <= n_classes <= len(TEXTURE_CLASSES):
        raise ValueError(f"n_classes must be in [1, {len(TEXTURE_CLASSES)}]")
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    images, labels = [], []
    for c in range(n_classes):
        name = TEXTURE_CLASSES[c]
        for _ in range(n_per_class):
            period = int(rng.integers(3, 7))
            phase = 2 * np.pi * rng.integers(0, period) / period
            lo, hi = ((0, 255), (40, 200))[int(rng.integers(0, 2))]
            if name == "hstripes":
                v = np.sin(2 * np.pi * yy / period + phase) > 0
            elif name == "vstripes":
                v = np.sin(2 * np.pi * xx / period + phase) > 0
            elif name == "dstripes":
                v = np.sin(2 * np.pi * (xx + yy) / (period * 1.4) + phase) > 0
            elif name == "checks":
                v = (np.sin(2 * np.pi * xx / period + phase) > 0) ^ (
                    np.sin(2 * np.pi * yy / period) > 0
                )
            elif name == "dots":
                v = (
                    np.sin(2 * np.pi * xx / period + phase)
                    + np.sin(2 * np.pi * yy / period + phase)
                ) > 1.2
            elif name == "blobs":
                g = rng.normal(size=(size // 4 + 2, size // 4 + 2))
                up = np.kron(g, np.ones((4, 4)))[:size, :size]
                v = up > 0
            elif name == "grain":
                v = rng.random((size, size)) < 0.5
            else:  # waves
                v = (
                    np.sin(
                        2 * np.pi * xx / period
                        + 2.0 * np.sin(2 * np.pi * yy / (2 * period))
                        + phase
                    )
                    > 0
                )
            img = np.where(v, hi, lo).astype(np.float64)
            images.append(_noisy(img, noise, rng))
            labels.append(c)
    return Dataset(
        np.stack(images),
        np.asarray(labels),
        TEXTURE_CLASSES[:n_classes],
        "textures",
        {
            "source": f"ncdvision.datasets.synthetic.textures(n_per_class={n_per_class}, size={size}, "
            f"noise={noise}, seed={seed})",
            "licence": "generated",
        },
    )


def noise(n: int = 1000, size: int = 28, *, n_classes: int = 10, seed: int = 0) -> Dataset:
    """Uniform random uint8 pixels with uniformly random labels: nothing to compress or learn.

    Parameters
    ----------
    n : int, default=1000
        Number of images.
    size : int, default=28
        Side of the square images.
    n_classes : int, default=10
        Number of classes.
    seed : int, default=0
        Seed of pixels and labels.

    Returns
    -------
    Dataset
        The control set of the studies.
    """
    rng = np.random.default_rng(seed)
    return Dataset(
        rng.integers(0, 256, (n, size, size), dtype=np.uint8),
        rng.integers(0, n_classes, n),
        tuple(str(i) for i in range(n_classes)),
        "noise",
        {
            "source": f"ncdvision.datasets.synthetic.noise(n={n}, size={size}, n_classes={n_classes}, "
            f"seed={seed})",
            "licence": "generated",
        },
    )
