"""Bounds on what reading a file may allocate, checked before allocating.

A small file can claim or inflate to a huge array: a gzip stream of zeros, an ``.npz`` member
that inflates 1,000:1, a pickle of shared references, a PNG of 9000x9000 pixels. Every reader
computes the size it is about to allocate from the file's headers and refuses, naming the file,
anything above a limit the user can raise:

- ``NCDVISION_MAX_DATASET_BYTES`` (default 2 GiB): the decoded images (and labels) of one
  dataset; full Fashion-MNIST is 55 MB, CIFAR-100 184 MB.
- ``NCDVISION_MAX_IMAGE_PIXELS`` (default 2**26, an 8192x8192 image): one image file, decoded
  one at a time before it is resized.

Sizes accept a binary unit: ``512M``, ``4G``, ``4GiB`` (powers of 1024).
"""

from __future__ import annotations

import math
import os

from .core import DatasetError

MAX_DATASET_BYTES = 2 << 30
MAX_IMAGE_PIXELS = 1 << 26
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(name: str, default: int) -> int:
    """The environment variable ``name`` as a positive byte count (binary units allowed),
    else ``default``; a value that is not one is an error naming the variable."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    text = raw.strip().upper().removesuffix("B").removesuffix("I")
    number, unit = (text[:-1], text[-1]) if text[-1:] in _UNITS and text[-1:] else (text, "")
    try:
        value = float(number) * _UNITS[unit]
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 1 <= value < 2**63):
        raise ValueError(
            f"{name}={raw!r}: expected a positive size in bytes, optionally with a unit K, M, G "
            "or T (powers of 1024), e.g. 4G or 4294967296"
        )
    return int(value)


def format_size(n: float) -> str:
    """A byte count for people: ``512 B``, ``3.2 MiB``, ``6.00 GiB``."""
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.{2 if unit in ('GiB', 'TiB') else 1}f} {unit}"
    return f"{int(n)} B"


def check_dataset_bytes(nbytes: int, where: str, what: str = "images") -> None:
    """Refuse reading ``nbytes`` of decoded data from ``where`` above the dataset limit."""
    limit = parse_size("NCDVISION_MAX_DATASET_BYTES", MAX_DATASET_BYTES)
    if nbytes > limit:
        raise DatasetError(
            f"{where}: its {what} would take {format_size(nbytes)} in memory, above the "
            f"{format_size(limit)} limit; if the file is what you expect, raise "
            "NCDVISION_MAX_DATASET_BYTES (e.g. NCDVISION_MAX_DATASET_BYTES=16G)"
        )


def check_image_pixels(pixels: int, where: str) -> None:
    """Refuse decoding an image of ``pixels`` pixels above the per-image limit."""
    limit = parse_size("NCDVISION_MAX_IMAGE_PIXELS", MAX_IMAGE_PIXELS)
    if pixels > limit:
        raise DatasetError(
            f"{where}: {pixels:,} pixels, above the {limit:,}-pixel limit for one image; "
            "raise NCDVISION_MAX_IMAGE_PIXELS if the file is what you expect"
        )
