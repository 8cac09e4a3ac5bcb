"""Reading image files into one uint8 array, with one pixel rule for every file.

Pixel rule (the same for every image and colour mode):

- 8-bit images are used as they are; EXIF orientation is applied
  (``PIL.ImageOps.exif_transpose``), as image viewers show the image.
- 16-bit images (PIL modes ``I;16*``, and ``I`` with values in 0..65535) become 8-bit by
  ``v >> 8``, a fixed global rule, never a per-image rescale. 16-bit colour PNGs are reduced
  the same way by Pillow.
- Floating-point images (mode ``F``, e.g. float TIFFs) and 32-bit integer images with values
  outside 0..65535 are refused: their scale cannot be told safely.

Colour follows ``color``: ``"auto"`` is grayscale (N,H,W) when every image is single-channel,
else RGB (N,H,W,3); ``"gray"`` converts everything to 8-bit luminance (PIL's ITU-R 601-2 rule);
``"rgb"`` converts everything to RGB. Alpha is dropped.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .core import DatasetError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm")
_GRAY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}


def shown(path: Path) -> str:
    """A path as text that can always be printed (undecodable bytes as ``\\x..`` escapes)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def scan_folder(folder: str | os.PathLike) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Image files directly inside ``folder`` (sorted by name), and every other entry with the
    reason it is not read (hidden, not an image suffix, a folder).

    A file name that is not valid UTF-8 is an error naming the file: it could not be written
    to a CSV or a report faithfully.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{shown(folder)}: not a directory")
    images, ignored = [], []
    for p in sorted(folder.iterdir()):
        try:
            p.name.encode("utf-8")
        except UnicodeEncodeError:
            raise DatasetError(f"{shown(p)}: the file name is not valid UTF-8; rename it") from None
        if p.name.startswith("."):
            ignored.append((p, "hidden"))
        elif p.is_dir():
            ignored.append((p, "a folder"))
        elif p.suffix.lower() not in IMAGE_SUFFIXES:
            ignored.append((p, f"not an image suffix ({', '.join(IMAGE_SUFFIXES)})"))
        else:
            images.append(p)
    return images, ignored


def list_images(folder: str | os.PathLike) -> list[Path]:
    """Image files directly inside ``folder``, sorted by name (see :func:`scan_folder`)."""
    return scan_folder(folder)[0]


def _open(path: Path):
    """The decoded image, EXIF-oriented, 16-bit reduced to 8-bit; DatasetError if unusable."""
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        im.load()
        im = ImageOps.exif_transpose(im)
    if im.mode == "F":
        raise DatasetError(
            f"{shown(path)}: floating-point pixels (mode F) are refused: their scale ([0, 1] or "
            "[0, 255]) cannot be told; save the image as 8- or 16-bit"
        )
    if im.mode.startswith("I"):
        a = np.asarray(im)
        if a.size and (int(a.min()) < 0 or int(a.max()) > 65535):
            raise DatasetError(
                f"{shown(path)}: {im.mode} pixels outside 0..65535 are refused (the rule is "
                "16-bit -> 8-bit by v >> 8)"
            )
        im = Image.fromarray((a.astype(np.uint32) >> 8).astype(np.uint8), "L")
    return im


def _is_gray(im) -> bool:
    if im.mode in _GRAY_MODES:
        return True
    if im.mode == "P":
        pal = np.asarray(im.convert("RGB"))
        return bool(np.all(pal[..., 0] == pal[..., 1]) and np.all(pal[..., 1] == pal[..., 2]))
    return False


def _target_size(pil, kept, resize) -> tuple[int, int]:
    """(width, height) every image is brought to; refuses mixed sizes without ``resize``."""
    sizes = Counter(im.size for im in pil)
    common_wh = sizes.most_common(1)[0][0]
    if resize is None and len(sizes) > 1:
        odd = [
            f"{shown(p)} ({im.size[1]}x{im.size[0]})"
            for p, im in zip(kept, pil, strict=True)
            if im.size != common_wh
        ]
        listing = "\n  ".join(odd[:20]) + (
            f"\n  ... and {len(odd) - 20} more" if len(odd) > 20 else ""
        )
        raise DatasetError(
            f"images differ in size; the most common is {common_wh[1]}x{common_wh[0]} (HxW). "
            f"Pass resize=(H, W) or resize='most-common'. Files of other sizes:\n  {listing}"
        )
    if isinstance(resize, str):
        if resize != "most-common":
            raise ValueError(f"resize must be (H, W), 'most-common' or None, got {resize!r}")
        return common_wh
    if resize is not None:
        return int(resize[1]), int(resize[0])
    return common_wh


def read_images(
    paths: Sequence[str | os.PathLike],
    *,
    color: str = "auto",
    resize: tuple[int, int] | str | None = None,
    skip_bad: bool = False,
) -> tuple[np.ndarray, list[Path], list[tuple[Path, str]]]:
    """Read image files into one uint8 array (pixel and colour rules: module docstring).

    Parameters
    ----------
    paths : image files.
    color : {"auto", "gray", "rgb"}
    resize : (height, width), ``"most-common"`` or None
        None refuses mixed sizes, listing the files that differ from the most common size.
    skip_bad : bool
        Leave unreadable or refused files out (they are returned) instead of raising.

    Returns
    -------
    images : ndarray (N,H,W) or (N,H,W,3)
    kept : the paths that were read, in order
    bad : (path, reason) of each file that was skipped
    """
    from PIL import Image

    if color not in ("auto", "gray", "rgb"):
        raise ValueError(f"color must be 'auto', 'gray' or 'rgb', got {color!r}")
    pil, kept, bad = [], [], []
    for p in map(Path, paths):
        try:
            pil.append(_open(p))
            kept.append(p)
        except DatasetError as exc:
            bad.append((p, str(exc).removeprefix(f"{shown(p)}: ")))
        except Image.DecompressionBombError as exc:
            bad.append((p, f"refused as a decompression bomb ({exc})"))
        except (OSError, SyntaxError, ValueError) as exc:  # PIL's unreadable-file errors
            bad.append((p, f"{type(exc).__name__}: {exc}"))
    if bad and not skip_bad:
        listing = "\n  ".join(f"{shown(p)}: {why}" for p, why in bad)
        raise DatasetError(
            f"{len(bad)} unreadable image file(s) (expected 8- or 16-bit PNG/JPEG/...):\n  {listing}"
        )
    if not pil:
        raise DatasetError("no readable images")
    target_wh = _target_size(pil, kept, resize)
    if color == "auto":
        color = "gray" if all(_is_gray(im) for im in pil) else "rgb"
    mode = "L" if color == "gray" else "RGB"
    out = []
    for p, im in zip(kept, pil, strict=True):
        try:
            im = im.convert(mode)
        except ValueError as exc:
            raise DatasetError(
                f"{shown(p)}: cannot convert mode {im.mode} to {mode} ({exc})"
            ) from exc
        if im.size != target_wh:
            im = im.resize(target_wh, Image.Resampling.BILINEAR)
        out.append(np.asarray(im, dtype=np.uint8))
    return np.stack(out), kept, bad
