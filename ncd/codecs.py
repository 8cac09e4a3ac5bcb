"""Codec registry: name -> codec object with header-corrected compressed lengths.

Every length is in **bits** and header-corrected: the length of compressing empty input
(``codec.header_bits``) is subtracted, so that an empty string costs 0 and the fixed container
cost (zlib's 2-byte header and 4-byte checksum, gzip's 18 bytes, xz's 60 ...) does not dilute
NCD. Image codecs (PNG, WebP) cannot encode an empty image; for them the header is the size of
a 1x1 black image of the same mode, the closest thing to the container's fixed cost.

Joint compression is concatenation: ``x + y`` for byte codecs, the two images side by side for
image codecs.
"""

from __future__ import annotations

import bz2
import io
import lzma
import threading
import zlib
from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np


class Codec(ABC):
    """A lossless compressor seen through its compressed length.

    Subclasses implement :meth:`compress`; the rest follows. ``kind`` is ``"bytes"`` (input is
    a ``bytes`` object) or ``"image"`` (input is a uint8 array (H, W) or (H, W, C)).
    """

    name: str = ""
    kind: str = "bytes"

    @abstractmethod
    def compress(self, data) -> bytes:
        """The compressed representation of ``data``."""

    def decompress(self, blob: bytes):  # pragma: no cover - codec specific
        raise NotImplementedError

    @property
    def header_bits(self) -> int:
        if not hasattr(self, "_header_bits"):
            self._header_bits = 8 * len(self.compress(self._empty()))
        return self._header_bits

    def _empty(self):
        return b""

    def length(self, data) -> float:
        """Header-corrected compressed length of ``data`` in bits."""
        return 8 * len(self.compress(data)) - self.header_bits

    def concat(self, x, y):
        """How two inputs are joined for C(xy)."""
        return x + y

    def joint_lengths(self, x, ys: Sequence) -> np.ndarray:
        """C(x y) in bits for each ``y`` in ``ys``."""
        h = self.header_bits
        return np.array([8 * len(self.compress(self.concat(x, y))) - h for y in ys], np.float64)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({params})"

    def get_config(self) -> dict:
        return {"name": self.name}


class Zlib(Codec):
    """DEFLATE in a zlib container. ``joint_lengths`` feeds x once and copies the compressor
    state for each y (``compressobj().copy()``), which gives byte-identical output to
    compressing ``x + y`` in one call."""

    name = "zlib"
    wbits = 15

    def __init__(self, level: int = 9):
        if not -1 <= level <= 9:
            raise ValueError(f"{self.name} level must be in -1..9, got {level}")
        self.level = level

    def _obj(self):
        return zlib.compressobj(self.level, zlib.DEFLATED, self.wbits)

    def compress(self, data: bytes) -> bytes:
        c = self._obj()
        return c.compress(data) + c.flush()

    def decompress(self, blob: bytes) -> bytes:
        return zlib.decompress(blob, self.wbits)

    def joint_lengths(self, x: bytes, ys: Sequence[bytes]) -> np.ndarray:
        base = self._obj()
        head = len(base.compress(x))
        out = np.empty(len(ys), np.float64)
        for j, y in enumerate(ys):
            c = base.copy()
            out[j] = head + len(c.compress(y)) + len(c.flush())
        return 8 * out - self.header_bits

    def get_config(self) -> dict:
        return {"name": self.name, "level": self.level}


class Gzip(Zlib):
    """DEFLATE in a gzip container (same lengths as ``gzip.compress``)."""

    name = "gzip"
    wbits = 31


class Bz2(Codec):
    name = "bz2"

    def __init__(self, level: int = 9):
        if not 1 <= level <= 9:
            raise ValueError(f"bz2 level must be in 1..9, got {level}")
        self.level = level

    def compress(self, data: bytes) -> bytes:
        return bz2.compress(data, self.level)

    def decompress(self, blob: bytes) -> bytes:
        return bz2.decompress(blob)

    def get_config(self) -> dict:
        return {"name": self.name, "level": self.level}


class Lzma(Codec):
    """LZMA2 in an xz container without an integrity check (the check would add bytes, not information)."""

    name = "lzma"

    def __init__(self, preset: int = 6):
        if not 0 <= preset <= 9:
            raise ValueError(f"lzma preset must be in 0..9, got {preset}")
        self.preset = preset

    def compress(self, data: bytes) -> bytes:
        return lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_NONE, preset=self.preset)

    def decompress(self, blob: bytes) -> bytes:
        return lzma.decompress(blob)

    def get_config(self) -> dict:
        return {"name": self.name, "preset": self.preset}


class Zstd(Codec):
    name = "zstd"

    def __init__(self, level: int = 19):
        if not 1 <= level <= 22:
            raise ValueError(f"zstd level must be in 1..22, got {level}")
        self.level = level
        self._local = threading.local()  # a ZstdCompressor must not be shared between threads

    def compress(self, data: bytes) -> bytes:
        c = getattr(self._local, "c", None)
        if c is None:
            import zstandard

            # No frame checksum, no content size: only the payload and the frame header count.
            c = self._local.c = zstandard.ZstdCompressor(
                level=self.level, write_checksum=False, write_content_size=False
            )
        return c.compress(data)

    def decompress(self, blob: bytes) -> bytes:
        import zstandard

        return zstandard.ZstdDecompressor().decompress(blob, max_output_size=1 << 30)

    def get_config(self) -> dict:
        return {"name": self.name, "level": self.level}


class Brotli(Codec):
    name = "brotli"

    def __init__(self, quality: int = 11):
        if not 0 <= quality <= 11:
            raise ValueError(f"brotli quality must be in 0..11, got {quality}")
        self.quality = quality

    def compress(self, data: bytes) -> bytes:
        import brotli

        return brotli.compress(data, quality=self.quality)

    def decompress(self, blob: bytes) -> bytes:
        import brotli

        return brotli.decompress(blob)

    def get_config(self) -> dict:
        return {"name": self.name, "quality": self.quality}


class _ImageCodec(Codec):
    kind = "image"
    format = ""

    def _save_kwargs(self) -> dict:
        return {}

    def compress(self, data: np.ndarray) -> bytes:
        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(data)).save(
            buf, format=self.format, **self._save_kwargs()
        )
        return buf.getvalue()

    def decompress(self, blob: bytes, gray: bool = False) -> np.ndarray:
        """Decode; ``gray=True`` for images that were 2-D (WebP stores them as RGB)."""
        from PIL import Image

        with Image.open(io.BytesIO(blob)) as im:
            return np.asarray(im.convert("L") if gray else im)

    def length(self, data: np.ndarray) -> float:
        return 8 * len(self.compress(data)) - self._header_for(data)

    def _header_for(self, data: np.ndarray) -> int:
        key = f"_header_c{1 if data.ndim == 2 else data.shape[2]}"
        if not hasattr(self, key):
            setattr(self, key, 8 * len(self.compress(np.zeros((1, 1) + data.shape[2:], np.uint8))))
        return getattr(self, key)

    @property
    def header_bits(self) -> int:
        return self._header_for(np.zeros((1, 1), np.uint8))

    def concat(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        if x.shape[0] != y.shape[0]:
            raise ValueError(f"side-by-side join needs equal heights, got {x.shape} and {y.shape}")
        return np.concatenate([x, y], axis=1)

    def joint_lengths(self, x: np.ndarray, ys: Sequence[np.ndarray]) -> np.ndarray:
        h = self._header_for(x)
        return np.array([8 * len(self.compress(self.concat(x, y))) - h for y in ys], np.float64)


class Png(_ImageCodec):
    """PNG through Pillow (zlib level 9, adaptive filters)."""

    name = "png"
    format = "PNG"

    def __init__(self, compress_level: int = 9):
        if not 0 <= compress_level <= 9:
            raise ValueError(f"png compress_level must be in 0..9, got {compress_level}")
        self.compress_level = compress_level

    def _save_kwargs(self) -> dict:
        return {"compress_level": self.compress_level, "optimize": False}

    def get_config(self) -> dict:
        return {"name": self.name, "compress_level": self.compress_level}


class WebP(_ImageCodec):
    """Lossless WebP through Pillow (``quality`` is the lossless effort, ``method`` 0..6)."""

    name = "webp"
    format = "WEBP"

    def __init__(self, method: int = 4, quality: int = 100):
        if not 0 <= method <= 6:
            raise ValueError(f"webp method must be in 0..6, got {method}")
        if not 0 <= quality <= 100:
            raise ValueError(f"webp quality (lossless effort) must be in 0..100, got {quality}")
        self.method, self.quality = method, quality

    def _save_kwargs(self) -> dict:
        return {"lossless": True, "method": self.method, "quality": self.quality, "exact": True}

    def get_config(self) -> dict:
        return {"name": self.name, "method": self.method, "quality": self.quality}


_BYTE_AND_IMAGE_CODECS: dict[str, type[Codec]] = {
    c.name: c for c in (Zlib, Gzip, Bz2, Lzma, Zstd, Brotli, Png, WebP)
}


def available_codecs() -> list[str]:
    """Every codec name :func:`get_codec` accepts, context coders included."""
    from .context import CONTEXT_CODERS

    return list(_BYTE_AND_IMAGE_CODECS) + list(CONTEXT_CODERS)


def get_codec(spec, **params):
    """A codec by name (``"zstd"``), with parameters (``get_codec("zstd", level=3)``), or a
    ``"name:param"`` shorthand (``"zlib:6"``, ``"brotli:9"``). Codec objects pass through."""
    from .context import CONTEXT_CODERS

    if not isinstance(spec, str):
        if isinstance(spec, Codec) or hasattr(spec, "pair_block"):
            return spec
        raise TypeError(f"codec must be a name or a codec object, got {type(spec).__name__}")
    name, colon, arg = spec.partition(":")
    if name in CONTEXT_CODERS:
        if colon:
            raise ValueError(f"codec {spec!r}: context coders take no ':' parameter; use {name!r}")
        return CONTEXT_CODERS[name](**params)
    if name not in _BYTE_AND_IMAGE_CODECS:
        raise ValueError(f"unknown codec {spec!r}; known codecs: {', '.join(available_codecs())}")
    cls = _BYTE_AND_IMAGE_CODECS[name]
    if colon:
        if not arg.lstrip("-").isdigit():
            raise ValueError(
                f"codec {spec!r}: the part after ':' must be an integer level, e.g. '{name}:6'"
            )
        first = {
            Zlib: "level",
            Gzip: "level",
            Bz2: "level",
            Lzma: "preset",
            Zstd: "level",
            Brotli: "quality",
            Png: "compress_level",
            WebP: "method",
        }[cls]
        params = {first: int(arg), **params}
    return cls(**params)
