"""Reading image files into one uint8 array, with one pixel rule for every file.

Pixel rule (the same for every image and colour mode):

- 8-bit images are used as they are; EXIF orientation is applied
  (``PIL.ImageOps.exif_transpose``), as image viewers show the image.
- 16-bit images (PIL modes ``I;16*``, and ``I`` with values in 0..65535) become 8-bit by
  ``v >> 8``, a fixed global rule, never a per-image rescale; a warning names 16-bit files
  whose values all fit in the low byte (they turn black). 16-bit colour PNGs are reduced the
  same way by Pillow.
- Floating-point images (mode ``F``, e.g. float TIFFs) and 32-bit integer images with values
  outside 0..65535 are refused: their scale cannot be told safely.

Files are read in two passes: headers first (sizes, modes, the output's size, checked against
:mod:`.limits`), then each image is decoded, converted and resized one at a time into one
preallocated array, so memory holds the output plus one image at full size. Only regular files
are read.

Colour follows ``color``: ``"auto"`` is grayscale (N,H,W) when every image is single-channel,
else RGB (N,H,W,3); ``"gray"`` converts everything to 8-bit luminance (PIL's ITU-R 601-2 rule);
``"rgb"`` converts everything to RGB. Alpha is dropped.
"""

from __future__ import annotations

import os
import stat
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .core import DatasetError
from .limits import check_dataset_bytes, check_image_pixels

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm")
_GRAY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}


def shown(path: Path) -> str:
    """A path as text that can always be printed.

    Parameters
    ----------
    path : path-like
        Any path.

    Returns
    -------
    str
        The path, with undecodable bytes as ``\\x..`` escapes.
    """
    return os.fsencode(path).decode("utf-8", "backslashreplace")


_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7F, 0xA0)] if c not in (0x09, 0x0A)}


def printable(text: str) -> str:
    """Text made safe for a terminal.

    Parameters
    ----------
    text : str
        A file or class name, say, which may carry escape sequences.

    Returns
    -------
    str
        Control characters as ``\\xNN``; line breaks and tabs kept.
    """
    return str(text).translate(_CONTROL)


def scan_folder(folder: str | os.PathLike) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Image files directly inside ``folder`` (sorted by name), and every other entry with the
    reason it is not read (hidden, not an image suffix, a folder).

    A file name that is not valid UTF-8 is an error naming the file: it could not be written
    to a CSV or a report faithfully.

    Parameters
    ----------
    folder : str or path-like
        The folder; nothing below it is looked at.

    Returns
    -------
    images : list of Path
        The image files, sorted by name.
    ignored : list of (Path, str)
        Every other entry with the reason.
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
    """Image files directly inside ``folder``, sorted by name (see :func:`scan_folder`).

    Parameters
    ----------
    folder : str or path-like
        The folder.

    Returns
    -------
    list of Path
        The image files.
    """
    return scan_folder(folder)[0]


def check_regular(path: Path) -> None:
    """Refuse anything but a regular file before opening it: a FIFO or device named
    ``x.png`` would block the reader forever or never end."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise DatasetError(f"{shown(path)}: cannot read ({exc.strerror or exc})") from exc
    if not stat.S_ISREG(mode):
        raise DatasetError(f"{shown(path)}: not a regular file (a pipe, device or socket); "
                           "expected an image file")  # fmt: skip


def _header(path: Path):
    """The lazily opened image (nothing decoded) and its (width, height) as shown, after EXIF
    orientation; its pixel count is checked against the per-image limit."""
    from PIL import Image

    check_regular(path)
    im = Image.open(path)
    w, h = im.size
    check_image_pixels(w * h, shown(path))
    if im.getexif().get(0x0112, 1) in (5, 6, 7, 8):  # a quarter turn swaps the sides
        w, h = h, w
    return im, (w, h)


def _decode(path: Path, low16: list):
    """The decoded image, EXIF-oriented, 16-bit reduced to 8-bit; DatasetError if unusable.
    A 16-bit image whose values all fit in the low byte is recorded in ``low16``."""
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
        if a.size and int(a.max()) <= 255:
            low16.append(path)
        im = Image.fromarray((a.astype(np.uint32) >> 8).astype(np.uint8), "L")
    return im


def _is_gray(im) -> bool:
    if im.mode in _GRAY_MODES:
        return True
    if im.mode == "P":
        pal = np.asarray(im.convert("RGB"))
        return bool(np.all(pal[..., 0] == pal[..., 1]) and np.all(pal[..., 1] == pal[..., 2]))
    return False


def _target_size(sizes: list, resize) -> tuple[int, int]:
    """(width, height) every image is brought to; refuses mixed sizes without ``resize``.
    ``sizes`` holds (path, (width, height)) pairs."""
    counts = Counter(wh for _, wh in sizes)
    common_wh = counts.most_common(1)[0][0]
    if resize is None and len(counts) > 1:
        odd = [f"{shown(p)} ({wh[1]}x{wh[0]})" for p, wh in sizes if wh != common_wh]
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
    paths : sequence of path-like
        Image files.
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
    if resize is not None and not isinstance(resize, str) and (
        len(resize) != 2 or any(isinstance(v, bool) or int(v) < 1 for v in resize)
    ):  # fmt: skip
        raise ValueError(f"resize must be (H, W) of positive integers, got {resize!r}")
    unreadable = (OSError, SyntaxError, ValueError, Image.DecompressionBombError)
    # pass 1, headers only: sizes, modes and the output's size, before any pixel is decoded
    sizes, gray, bad = [], True, []
    for p in map(Path, paths):
        try:
            im, wh = _header(p)
            with im:
                if color == "auto" and gray:
                    gray = _is_gray(im)  # decodes a palette image, one at a time
            sizes.append((p, wh))
        except DatasetError as exc:
            bad.append((p, str(exc).removeprefix(f"{shown(p)}: ")))
        except unreadable as exc:  # PIL's unreadable-file errors
            bad.append((p, _why(exc)))
    _check_bad(bad, skip_bad)
    if not sizes:
        raise DatasetError("no readable images")
    w, h = _target_size(sizes, resize)
    channels = 1 if (color == "gray" or (color == "auto" and gray)) else 3
    check_dataset_bytes(len(sizes) * w * h * channels, f"{len(sizes)} image files",
                        f"images at {h}x{w}x{channels}")  # fmt: skip
    # pass 2: decode, convert and resize one image at a time into the preallocated array
    mode = "L" if channels == 1 else "RGB"
    out = np.empty((len(sizes), h, w) + (() if channels == 1 else (3,)), np.uint8)
    kept, low16, n = [], [], 0
    for p, _ in sizes:
        try:
            im = _decode(p, low16).convert(mode)
        except DatasetError as exc:
            bad.append((p, str(exc).removeprefix(f"{shown(p)}: ")))
            continue
        except unreadable as exc:
            bad.append((p, _why(exc)))
            continue
        if im.size != (w, h):
            im = im.resize((w, h), Image.Resampling.BILINEAR)
        out[n] = np.asarray(im, dtype=np.uint8)
        kept.append(p)
        n += 1
    _check_bad(bad, skip_bad)
    if low16:
        warnings.warn(
            f"{len(low16)} 16-bit image(s) use only values 0..255 (e.g. {shown(low16[0])}); "
            "the rule v >> 8 makes them black. Save them as 8-bit if that is what they are",
            stacklevel=2,
        )
    return (out if n == len(out) else out[:n].copy()), kept, bad


def _why(exc: Exception) -> str:
    from PIL import Image

    if isinstance(exc, Image.DecompressionBombError):
        return f"refused as a decompression bomb ({exc})"
    return f"{type(exc).__name__}: {exc}"


def _check_bad(bad: list, skip_bad: bool) -> None:
    if bad and not skip_bad:
        listing = "\n  ".join(f"{shown(p)}: {why}" for p, why in bad)
        raise DatasetError(
            f"{len(bad)} unreadable image file(s) (expected 8- or 16-bit PNG/JPEG/...):\n  {listing}"
        )
