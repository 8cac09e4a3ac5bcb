"""Digits rendered in many typefaces on varied backgrounds: a set with large within-class
variety, generated without downloading anything.

Each image draws a typeface among the text faces that matplotlib ships (DejaVu Sans, Serif
and Mono, STIX and Computer Modern, in their weights and slants), a size, a rotation, an
offset and a stroke weight; the glyph is drawn at four times the resolution and reduced, so
its edges are anti-aliased as a real rendering is. The background is a light gray level with
a gradient in a random direction and smooth noise, and the ink is darker than it by at least
:data:`MIN_CONTRAST` (``inverted`` draws that share of the images light on dark instead).
Classes are told apart by shape alone, and two images of one class can differ in most
pixels: the within-class variety the filter's neighbor rules find hardest.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from .core import Dataset

__all__ = ["GLYPH_CLASSES", "glyph_fonts", "glyphs"]

#: The classes, in label order.
GLYPH_CLASSES = tuple("0123456789")
#: The least difference between the glyph's and the background's mean gray levels.
MIN_CONTRAST = 90
#: matplotlib's bundled faces that draw the ten digits as text (symbol faces are left out).
FACES = (
    "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf",
    "DejaVuSans-BoldOblique.ttf", "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf",
    "DejaVuSansMono-Oblique.ttf", "DejaVuSansMono-BoldOblique.ttf", "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSerif-BoldItalic.ttf",
    "STIXGeneral.ttf", "STIXGeneralBol.ttf", "STIXGeneralItalic.ttf", "STIXGeneralBolIta.ttf",
    "cmr10.ttf", "cmb10.ttf", "cmss10.ttf", "cmti10.ttf", "cmtt10.ttf",
)  # fmt: skip


@functools.cache
def glyph_fonts() -> tuple[Path, ...]:
    """The typeface files :func:`glyphs` draws from.

    Returns
    -------
    tuple of Path
        matplotlib's bundled TrueType files of :data:`FACES` that are present.
    """
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return tuple(folder / f for f in FACES if (folder / f).is_file())


def _background(size: int, rng: np.random.Generator) -> np.ndarray:
    """A gray level, a gradient in a random direction, and smooth noise."""
    from PIL import Image

    yy, xx = np.mgrid[0:size, 0:size] / max(size - 1, 1) - 0.5
    angle = rng.uniform(0, 2 * np.pi)
    ramp = rng.uniform(0, 60) * (np.cos(angle) * xx + np.sin(angle) * yy)
    coarse = rng.normal(0, rng.uniform(0, 18), (4, 4)).astype(np.float32)
    smooth = np.asarray(Image.fromarray(coarse, "F").resize((size, size), Image.BICUBIC))
    return rng.uniform(140, 235) + ramp + smooth


def _mask(char: str, font: Path, size: int, rng: np.random.Generator) -> np.ndarray:
    """The glyph's coverage in [0, 1]: drawn 4x larger, weighted, rotated, reduced."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    big = 4 * size
    face = ImageFont.truetype(str(font), int(big * rng.uniform(0.65, 0.8)))
    canvas = Image.new("L", (big, big), 0)
    draw = ImageDraw.Draw(canvas)
    left, top, right, bottom = draw.textbbox((0, 0), char, font=face)
    dx, dy = rng.normal(0, 0.03 * big, 2)
    draw.text(((big - (right - left)) / 2 - left + dx, (big - (bottom - top)) / 2 - top + dy),
              char, fill=255, font=face)  # fmt: skip
    weight = int(rng.integers(-1, 3))  # thinner, as drawn, or up to two steps bolder
    for _ in range(abs(weight)):
        canvas = canvas.filter(ImageFilter.MaxFilter(3) if weight > 0 else ImageFilter.MinFilter(3))
    canvas = canvas.rotate(rng.uniform(-8, 8), resample=Image.BILINEAR)
    return np.asarray(canvas.resize((size, size), Image.BOX), np.float64) / 255.0


def glyphs(
    n_per_class: int = 100,
    size: int = 28,
    *,
    n_classes: int = 10,
    inverted: float = 0.0,
    seed: int = 0,
) -> Dataset:
    """Digits in many typefaces, sizes, angles and weights, on varied backgrounds.

    Parameters
    ----------
    n_per_class : int, default=100
        Images per class.
    size : int, default=28
        Side of the square images.
    n_classes : int, default=10
        The first ``n_classes`` digits.
    inverted : float, default=0.0
        Share of the images drawn light on dark (their gray levels reversed).
    seed : int, default=0
        Seed of everything drawn.

    Returns
    -------
    Dataset
        ``n_per_class * n_classes`` grayscale images.

    Examples
    --------
    >>> ds = glyphs(n_per_class=3, seed=0)
    >>> ds.images.shape, ds.class_names[:3]
    ((30, 28, 28), ('0', '1', '2'))
    """
    if not 1 <= n_classes <= len(GLYPH_CLASSES):
        raise ValueError(f"n_classes must be in [1, {len(GLYPH_CLASSES)}], got {n_classes}")
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels, got {size}")
    fonts = glyph_fonts()
    if not fonts:
        raise RuntimeError("matplotlib's bundled fonts were not found; reinstall matplotlib")
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for c in range(n_classes):
        for _ in range(n_per_class):
            mask = _mask(GLYPH_CLASSES[c], fonts[rng.integers(len(fonts))], size, rng)
            back = _background(size, rng)
            ink = rng.uniform(0, back.mean() - MIN_CONTRAST)
            img = back * (1 - mask) + ink * mask
            if rng.random() < inverted:
                img = 255 - img
            images.append(np.clip(np.round(img), 0, 255).astype(np.uint8))
            labels.append(c)
    return Dataset(
        np.stack(images),
        np.asarray(labels, np.int64),
        GLYPH_CLASSES[:n_classes],
        "glyphs",
        {
            "source": f"ncdvision.datasets.glyphs.glyphs(n_per_class={n_per_class}, size={size}, "
            f"n_classes={n_classes}, inverted={inverted}, seed={seed}); typefaces: matplotlib's bundled DejaVu, "
            "STIX and Computer Modern",
            "licence": "generated; fonts: DejaVu (Bitstream Vera licence), STIX (SIL OFL), "
            "Computer Modern (Knuth's licence)",
        },
    )
