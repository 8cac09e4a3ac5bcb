"""The structured corruptions of MNIST-C (Mu & Gilmer 2019), at five severities each.

MNIST-C gives most of its corruptions one severity; here each has five, the fifth at or near
MNIST-C's setting, scaled to the image size (so 8x8 digits and 28x28 MNIST get the same
relative damage). Every function takes one uint8 image (H, W) or (H, W, C), its severity
parameter and a seeded generator, and returns a uint8 image of the same shape. Geometry is
bilinear with a black border, about the image centre, as MNIST-C's.

- ``rotate``: angle in radians, random sign; ``shear``: horizontal shear factor, random sign;
  ``scale``: zoom-out factor about the centre; ``translate``: shift in pixels (of a 28-pixel
  image) along each axis, random signs;
- ``motion_blur``: a one-sided line kernel of the given length (of a 28-pixel image) at a
  random angle in [-45, 45] degrees;
- ``stripe``: the outer bands of the given width fraction, on both sides, inverted;
- ``zigzag``: the given number of bright zigzag lines across the image;
- ``fog``: a plasma-like fractal of (strength, roughness decay) added and renormalised;
- ``brightness``: value (HSV V) raised by the given fraction of 255.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

#: kind -> parameter at severity 1..5.
MNISTC_SEVERITIES: dict[str, tuple] = {
    "rotate": (0.2, 0.4, 0.6, 0.8, 1.0),
    "shear": (0.2, 0.4, 0.6, 0.8, 1.0),
    "scale": (0.9, 0.8, 0.7, 0.6, 0.5),
    "translate": (1, 2, 3, 4, 5),
    "motion_blur": (3, 5, 7, 9, 11),
    "stripe": (0.04, 0.08, 0.14, 0.2, 0.25),
    "zigzag": (1, 2, 3, 4, 5),
    "fog": ((1.5, 2.0), (2.0, 2.0), (2.5, 1.7), (2.5, 1.5), (3.0, 1.4)),
    "brightness": (0.1, 0.2, 0.3, 0.4, 0.5),
}


def _channels(img: np.ndarray, fn) -> np.ndarray:
    """``fn`` on each channel (float), rounded back to uint8."""
    x = img.astype(np.float64)
    out = np.stack([fn(x[..., c]) for c in range(x.shape[2])], axis=2) if x.ndim == 3 else fn(x)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def _affine(img: np.ndarray, matrix: np.ndarray, shift=(0.0, 0.0)) -> np.ndarray:
    """Output pixel o samples the input at matrix @ (o - centre) + centre - shift."""
    centre = (np.array(img.shape[:2]) - 1) / 2.0
    offset = centre - matrix @ centre - np.asarray(shift, float)
    return _channels(img, lambda ch: ndimage.affine_transform(ch, matrix, offset, order=1,
                                                                cval=0.0))  # fmt: skip


def _sign(rng: np.random.Generator) -> int:
    return int(rng.choice((-1, 1)))


def rotate(img: np.ndarray, angle: float, rng: np.random.Generator) -> np.ndarray:
    a = angle * _sign(rng)
    return _affine(img, np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]))


def shear(img: np.ndarray, factor: float, rng: np.random.Generator) -> np.ndarray:
    return _affine(img, np.array([[1.0, 0.0], [factor * _sign(rng), 1.0]]))


def scale(img: np.ndarray, zoom: float, rng: np.random.Generator) -> np.ndarray:
    return _affine(img, np.eye(2) / zoom)


def translate(img: np.ndarray, pixels: float, rng: np.random.Generator) -> np.ndarray:
    step = pixels * img.shape[0] / 28.0
    return _affine(img, np.eye(2), (step * _sign(rng), step * _sign(rng)))


def motion_blur(img: np.ndarray, length: float, rng: np.random.Generator) -> np.ndarray:
    n = max(2, int(round(length * img.shape[0] / 28.0)))
    theta = np.deg2rad(rng.uniform(-45, 45))
    size = 2 * n + 1
    kernel = np.zeros((size, size))
    for t in np.linspace(0, n - 1, 4 * n):  # bilinear splat of a one-sided line
        r, c = n - t * np.sin(theta), n + t * np.cos(theta)
        r0, c0 = int(np.floor(r)), int(np.floor(c))
        fr, fc = r - r0, c - c0
        for dr, wr in ((0, 1 - fr), (1, fr)):
            for dc, wc in ((0, 1 - fc), (1, fc)):
                kernel[r0 + dr, c0 + dc] += wr * wc
    kernel /= kernel.sum()
    return _channels(img, lambda ch: ndimage.convolve(ch, kernel, mode="constant"))


def stripe(img: np.ndarray, width: float, rng: np.random.Generator) -> np.ndarray:
    w = max(1, int(round(width * img.shape[1])))
    out = img.copy()
    out[:, :w] = 255 - out[:, :w]
    out[:, -w:] = 255 - out[:, -w:]
    return out


def zigzag(img: np.ndarray, lines: int, rng: np.random.Generator) -> np.ndarray:
    from PIL import Image, ImageDraw

    h, w = img.shape[:2]
    u = w / 28.0  # MNIST-C's zigzag: 2-pixel teeth from column 2 to 25
    mask = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(mask)
    for _ in range(int(lines)):
        r0 = rng.uniform(0, h - 1)
        slope = rng.uniform(-5, 5) * u / (23 * u)
        cols = np.arange(2 * u, 25 * u + 1e-9, 2 * u)
        rows = r0 + slope * (cols - cols[0]) + 2 * u * (np.arange(len(cols)) % 2)
        draw.line(list(zip(cols.tolist(), rows.tolist(), strict=True)), fill=255,
                  width=max(1, int(round(u))))  # fmt: skip
    m = np.asarray(mask)
    return np.maximum(img, m[..., None] if img.ndim == 3 else m)


def _fractal(size: int, decay: float, rng: np.random.Generator) -> np.ndarray:
    """Plasma-like noise in [0, 1]: octaves of bilinearly upsampled random grids, octave o
    weighted decay^-o (a larger decay gives a smoother field)."""
    field = np.zeros((size, size))
    octaves = int(np.ceil(np.log2(size)))
    for o in range(octaves + 1):
        n = 2**o + 1
        grid = rng.uniform(-1, 1, (n, n))
        field += ndimage.zoom(grid, size / n, order=1)[:size, :size] * decay**-o
    return (field - field.min()) / max(np.ptp(field), 1e-12)


def fog(img: np.ndarray, params: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    strength, decay = params
    h, w = img.shape[:2]
    f = _fractal(max(h, w), decay, rng)[:h, :w]

    def one(ch):
        top = max(ch.max() / 255.0, 1e-3)
        x = ch / 255.0 + strength * f
        return np.clip(x * top / (top + strength), 0, 1) * 255.0

    return _channels(img, one)


def brightness(img: np.ndarray, amount: float, rng: np.random.Generator) -> np.ndarray:
    if img.ndim == 2 or img.shape[2] not in (3, 4):  # grey: V is the value itself
        return _channels(img, lambda ch: ch + amount * 255.0)
    from PIL import Image

    hsv = np.asarray(Image.fromarray(img[..., :3]).convert("HSV")).astype(np.float64)
    hsv[..., 2] = np.clip(hsv[..., 2] + amount * 255.0, 0, 255)
    rgb = np.asarray(Image.fromarray(np.round(hsv).astype(np.uint8), "HSV").convert("RGB"))
    return np.concatenate([rgb, img[..., 3:]], axis=2) if img.shape[2] > 3 else rgb


MNISTC = {
    "rotate": rotate,
    "shear": shear,
    "scale": scale,
    "translate": translate,
    "motion_blur": motion_blur,
    "stripe": stripe,
    "zigzag": zigzag,
    "fog": fog,
    "brightness": brightness,
}
