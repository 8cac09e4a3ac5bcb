"""Byte codecs (zlib, gzip, bz2, lzma, zstd, brotli); the image codecs built on them are in
:mod:`.image_codecs`.

Every length is in **bits** and header-corrected: the length of compressing empty input
(``codec.header_bits``) is subtracted, so that an empty string costs 0 and the fixed container
cost (zlib's 2-byte header and 4-byte checksum, gzip's 18 bytes, xz's 60 ...) does not dilute
NCD.

Joint compression is concatenation: ``x + y``.
"""

from __future__ import annotations

import bz2
import lzma
import threading
import zlib
from abc import abstractmethod
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from .coder import Codec, register_codec


@dataclass
class CodecData:
    """A prepared batch for a byte or image codec: what is compressed, and C(x) in bits."""

    items: list  # bytes (byte codecs) or symbol images (image codecs)
    lengths: np.ndarray

    def take(self, rows) -> CodecData:
        """The prepared batch of some rows.

        Parameters
        ----------
        rows : slice or array-like of int
            Rows to keep, in order.

        Returns
        -------
        CodecData
            Their items and lengths.
        """
        idx = range(len(self.items))[rows] if isinstance(rows, slice) else rows
        return CodecData([self.items[i] for i in idx], self.lengths[rows])


def _map(fn, items, n_jobs: int) -> list:
    """``fn`` over ``items`` on a thread pool (the codec bindings release the GIL)."""
    if n_jobs == 1 or len(items) < 2:
        return list(map(fn, items))
    with ThreadPoolExecutor(n_jobs) as pool:
        return list(pool.map(fn, items))


class ByteCodec(Codec):
    """A byte-stream compressor seen through its compressed length.

    Subclasses implement :meth:`compress` (and :meth:`decompress`); the rest follows. Joint
    compression is concatenation, ``x + y``. Rows of a block run on a thread pool.
    """

    kind = "bytes"

    @abstractmethod
    def compress(self, data) -> bytes:
        """Compress one item.

        Parameters
        ----------
        data : bytes or ndarray
            Bytes for byte codecs, a 2-D or 3-D uint8 image for image codecs.

        Returns
        -------
        bytes
            The compressed representation, container included.
        """

    def decompress(self, blob: bytes):  # pragma: no cover - codec specific
        """Invert :meth:`compress`.

        Parameters
        ----------
        blob : bytes
            What :meth:`compress` returned.

        Returns
        -------
        bytes or ndarray
            The original item.
        """
        raise NotImplementedError

    @property
    def header_bits(self) -> int:
        """The container's fixed cost in bits: the length of compressing empty input."""
        if not hasattr(self, "_header_bits"):
            self._header_bits = 8 * len(self.compress(self._empty()))
        return self._header_bits

    def _empty(self):
        return b""

    def length(self, data) -> float:
        """Header-corrected compressed length of one item.

        Parameters
        ----------
        data : bytes or ndarray
            One item, as :meth:`items` gives it.

        Returns
        -------
        float
            Bits of the compressed item less :attr:`header_bits`.
        """
        return 8 * len(self.compress(data)) - self.header_bits

    def concat(self, x, y):
        """Join two items for the joint length C(xy).

        Parameters
        ----------
        x, y : bytes or ndarray
            Two items, as :meth:`items` gives them.

        Returns
        -------
        bytes or ndarray
            ``x + y`` for byte codecs; the two images side by side for image codecs.
        """
        return x + y

    def joint_lengths(self, x, ys: Sequence) -> np.ndarray:
        """Joint lengths of one item with each of several.

        Parameters
        ----------
        x : bytes or ndarray
            One item.
        ys : sequence
            Items to join with ``x``.

        Returns
        -------
        ndarray of float64, shape (len(ys),)
            Header-corrected C(x y) in bits.
        """
        h = self.header_bits
        return np.array([8 * len(self.compress(self.concat(x, y))) - h for y in ys], np.float64)

    def items(self, symbols: np.ndarray) -> list:
        """What is compressed for each symbol image.

        Parameters
        ----------
        symbols : ndarray of uint8, shape (n_images, ...)
            Symbol images from a serializer.

        Returns
        -------
        list
            Each image's bytes, row-major (byte codecs), or each image as a 2-D or 3-D array
            (image codecs).
        """
        return [s.tobytes() for s in symbols]

    def prepare(
        self, symbols: np.ndarray, levels: int, n_jobs: int = 1
    ) -> CodecData:  # numpydoc ignore=GL08
        items = self.items(symbols)
        return CodecData(items, np.asarray(_map(self.length, items, n_jobs), np.float64))

    def joint_block(
        self, dx: CodecData, dy: CodecData, n_jobs: int = 1
    ) -> np.ndarray:  # numpydoc ignore=GL08
        rows = _map(lambda x: self.joint_lengths(x, dy.items), dx.items, n_jobs)
        return np.stack(rows) if rows else np.empty((0, len(dy.items)))

    def joint_pairs(
        self, dx: CodecData, dy: CodecData, cand, n_jobs: int = 1
    ) -> np.ndarray:  # numpydoc ignore=GL08
        def row(i):
            return self.joint_lengths(dx.items[i], [dy.items[j] for j in cand[i]])

        rows = _map(row, range(len(dx.items)), n_jobs)
        return np.stack(rows) if rows else np.empty(cand.shape)


@register_codec
class Zlib(ByteCodec):
    """DEFLATE in a zlib container. ``joint_lengths`` feeds x once and copies the compressor
    state for each y (``compressobj().copy()``), which gives byte-identical output to
    compressing ``x + y`` in one call."""

    codec_id = "zlib"
    suffix_param = "level"
    wbits = 15

    param_ranges = {"level": (-1, 9)}

    def __init__(self, level: int = 9):
        self.level = level
        self.check_params()

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


@register_codec
class Gzip(Zlib):
    """DEFLATE in a gzip container (same lengths as ``gzip.compress``)."""

    codec_id = "gzip"
    suffix_param = "level"
    wbits = 31


@register_codec
class Bz2(ByteCodec):
    codec_id = "bz2"
    suffix_param = "level"

    param_ranges = {"level": (1, 9)}

    def __init__(self, level: int = 9):
        self.level = level
        self.check_params()

    def compress(self, data: bytes) -> bytes:
        return bz2.compress(data, self.level)

    def decompress(self, blob: bytes) -> bytes:
        return bz2.decompress(blob)


@register_codec
class Lzma(ByteCodec):
    """LZMA2 in an xz container without an integrity check (the check would add bytes, not information)."""

    codec_id = "lzma"
    suffix_param = "preset"

    param_ranges = {"preset": (0, 9)}

    def __init__(self, preset: int = 6):
        self.preset = preset
        self.check_params()

    def compress(self, data: bytes) -> bytes:
        return lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_NONE, preset=self.preset)

    def decompress(self, blob: bytes) -> bytes:
        return lzma.decompress(blob)


@register_codec
class Zstd(ByteCodec):
    codec_id = "zstd"
    suffix_param = "level"

    param_ranges = {"level": (1, 22)}

    def __init__(self, level: int = 19):
        self.level = level
        self.check_params()
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


@register_codec
class Brotli(ByteCodec):
    codec_id = "brotli"
    suffix_param = "quality"

    param_ranges = {"quality": (0, 11)}

    def __init__(self, quality: int = 11):
        self.quality = quality
        self.check_params()

    def compress(self, data: bytes) -> bytes:
        import brotli

        return brotli.compress(data, quality=self.quality)

    def decompress(self, blob: bytes) -> bytes:
        import brotli

        return brotli.decompress(blob)
