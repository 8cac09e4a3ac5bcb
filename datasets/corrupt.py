"""Seeded corruptions that return the corrupted dataset and the indices that changed.

Pixel corruptions come at five severities (1 = mild .. 5 = severe), after the style of
ImageNet-C, with parameters scaled for small images; :data:`PIXEL_SEVERITIES` lists them:
the noise, blur and JPEG kinds below, and the structured corruptions of MNIST-C
(:mod:`.mnistc`: rotate, shear, scale, translate, motion blur, stripe, zigzag, fog,
brightness).
Label corruptions flip a given fraction of labels, symmetrically (to a uniformly random other
class) or pairwise (class c to class c+1 mod K, the usual asymmetric benchmark noise).
"""

from __future__ import annotations

import io

import numpy as np

from .core import Dataset
from .mnistc import MNISTC, MNISTC_SEVERITIES

#: kind -> parameter at severity 1..5 (gaussian: std as a fraction of 255; impulse: fraction of
#: pixels set to 0 or 255; uniform: fraction replaced by uniform random values; blur: gaussian
#: sigma in pixels; jpeg: JPEG quality).
PIXEL_SEVERITIES: dict[str, tuple] = {
    "gaussian": (0.08, 0.12, 0.18, 0.26, 0.38),
    "impulse": (0.03, 0.06, 0.09, 0.17, 0.27),
    "uniform": (0.05, 0.10, 0.20, 0.35, 0.50),
    "blur": (0.5, 0.75, 1.0, 1.5, 2.0),
    "jpeg": (75, 50, 30, 15, 7),
    **MNISTC_SEVERITIES,
}
LABEL_NOISE_KINDS = ("symmetric", "pairwise")


def _pick(n: int, fraction: float, rng: np.random.Generator) -> np.ndarray:
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be in [0, 1], got {fraction}")
    m = int(round(fraction * n))
    return np.sort(rng.choice(n, size=m, replace=False)) if m < n else np.arange(n)


def corrupt_pixels(
    ds: Dataset, kind: str, severity: int, *, fraction: float = 1.0, seed: int = 0
) -> tuple[Dataset, np.ndarray]:
    """Apply pixel corruption ``kind`` at ``severity`` to a random ``fraction`` of samples.

    Parameters
    ----------
    ds : Dataset
        The clean dataset, left unchanged.
    kind : str
        A key of :data:`PIXEL_SEVERITIES`: ``gaussian``, ``impulse``, ``uniform``, ``blur``,
        ``jpeg``, or one of MNIST-C's (``rotate``, ``fog``, ...).
    severity : {1, 2, 3, 4, 5}
    fraction : float, default=1.0
        The share of images corrupted.
    seed : int, default=0
        Seed of everything drawn.

    Returns
    -------
    Dataset
        A copy with the corrupted images; the input is unchanged.
    ndarray of int64
        The sorted indices whose pixels actually changed.

    Examples
    --------
    >>> from ncdvision.datasets import load
    >>> noisy, changed = corrupt_pixels(load("digits"), "gaussian", 3, fraction=0.1)
    >>> len(changed)
    180
    """
    if kind not in PIXEL_SEVERITIES:
        raise ValueError(f"unknown pixel corruption {kind!r}; known: {sorted(PIXEL_SEVERITIES)}")
    if severity not in (1, 2, 3, 4, 5):
        raise ValueError(f"severity must be an integer in 1..5, got {severity!r}")
    p = PIXEL_SEVERITIES[kind][severity - 1]
    rng = np.random.default_rng(seed)
    chosen = _pick(len(ds), fraction, rng)
    images = ds.images.copy()
    for i in chosen:
        images[i] = apply_corruption(ds.images[i], kind, p, rng)
    changed = chosen[np.any(images[chosen] != ds.images[chosen], axis=tuple(range(1, images.ndim)))]
    out = ds.with_(
        images=images,
        name=f"{ds.name}+{kind}{severity}",
        provenance={
            **ds.provenance,
            "corruption": f"{kind} severity {severity} ({p}) on fraction {fraction}, seed {seed}",
        },
    )
    return out, changed


def apply_corruption(img: np.ndarray, kind: str, p, rng: np.random.Generator) -> np.ndarray:
    from PIL import Image, ImageFilter

    if kind in MNISTC:
        return MNISTC[kind](img, p, rng)
    if kind == "gaussian":
        return np.clip(np.round(img + rng.normal(0, p * 255, img.shape)), 0, 255).astype(np.uint8)
    if kind == "impulse":
        out = img.copy()
        hit = rng.random(img.shape) < p
        out[hit] = np.where(rng.random(int(hit.sum())) < 0.5, 0, 255).astype(np.uint8)
        return out
    if kind == "uniform":
        out = img.copy()
        hit = rng.random(img.shape[:2]) < p
        out[hit] = rng.integers(0, 256, (int(hit.sum()),) + img.shape[2:], dtype=np.uint8)
        return out
    pil = Image.fromarray(img)
    if kind == "blur":
        return np.asarray(pil.filter(ImageFilter.GaussianBlur(radius=p)), dtype=np.uint8)
    buf = io.BytesIO()  # jpeg
    pil.save(buf, format="JPEG", quality=int(p))
    buf.seek(0)
    with Image.open(buf) as im:
        return np.asarray(im.convert(pil.mode), dtype=np.uint8)


def corrupt_labels(
    ds: Dataset, rate: float, *, kind: str = "symmetric", seed: int = 0
) -> tuple[Dataset, np.ndarray]:
    """Flip ``round(rate * N)`` labels, chosen at random.

    Parameters
    ----------
    ds : Dataset
        The clean dataset, left unchanged.
    rate : float
        The share of labels flipped.
    kind : {"symmetric", "pairwise"}, default="symmetric"
        ``symmetric``: to a uniformly random *other* class. ``pairwise``: c -> (c + 1) mod K.
    seed : int, default=0
        Seed of everything drawn.

    Returns
    -------
    Dataset
        A copy with the flipped labels; the input is unchanged.
    ndarray of int64
        The sorted indices whose label was flipped.

    Examples
    --------
    >>> from ncdvision.datasets import load
    >>> noisy, flipped = corrupt_labels(load("digits"), 0.2, seed=0)
    >>> len(flipped), bool((noisy.labels[flipped] != load("digits").labels[flipped]).all())
    (359, True)
    """
    if kind not in LABEL_NOISE_KINDS:
        raise ValueError(f"unknown label noise {kind!r}; known: {LABEL_NOISE_KINDS}")
    k = len(ds.class_names)
    if k < 2:
        raise ValueError("label noise needs at least 2 classes")
    rng = np.random.default_rng(seed)
    idx = _pick(len(ds), rate, rng)
    labels = ds.labels.copy()
    if kind == "symmetric":
        labels[idx] = (labels[idx] + rng.integers(1, k, idx.size)) % k
    else:
        labels[idx] = (labels[idx] + 1) % k
    out = ds.with_(
        labels=labels,
        name=f"{ds.name}+{kind}-labels{rate:g}",
        provenance={**ds.provenance, "corruption": f"{kind} label noise rate {rate}, seed {seed}"},
    )
    return out, idx
