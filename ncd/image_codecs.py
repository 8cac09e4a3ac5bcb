"""Image codecs: PNG, lossless WebP, and through ``imagecodecs`` the strongest lossless ones,
JPEG XL and JPEG-LS.

Lengths are in bits and header-corrected as for the byte codecs (:mod:`.codecs`). Image codecs
cannot encode an empty image; for them the header is the size of a 1x1 black image of the same
mode, the closest thing to the container's fixed cost. The joint of two images is the two
placed side by side.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np

from .codecs import ByteCodec
from .coder import register_codec


class ImageCodec(ByteCodec):
    """A Pillow image format; the two images of a joint are placed side by side."""

    kind = "image"
    format = ""

    def items(self, symbols: np.ndarray) -> list:  # numpydoc ignore=GL08
        return list(symbols[..., 0] if symbols.ndim == 4 and symbols.shape[3] == 1 else symbols)

    def _save_kwargs(self) -> dict:
        return {}

    def compress(self, data: np.ndarray) -> bytes:  # numpydoc ignore=GL08
        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(data)).save(
            buf, format=self.format, **self._save_kwargs()
        )
        return buf.getvalue()

    def decompress(self, blob: bytes, gray: bool = False) -> np.ndarray:
        """Decode one compressed image.

        Parameters
        ----------
        blob : bytes
            What :meth:`compress` returned.
        gray : bool, default=False
            True for images that were 2-D: WebP stores them as RGB.

        Returns
        -------
        ndarray of uint8
            The image.
        """
        from PIL import Image

        with Image.open(io.BytesIO(blob)) as im:
            return np.asarray(im.convert("L") if gray else im)

    def length(self, data: np.ndarray) -> float:  # numpydoc ignore=GL08
        return 8 * len(self.compress(data)) - self._header_for(data)

    def _header_for(self, data: np.ndarray) -> int:
        key = f"_header_c{1 if data.ndim == 2 else data.shape[2]}"
        if not hasattr(self, key):
            setattr(self, key, 8 * len(self.compress(np.zeros((1, 1) + data.shape[2:], np.uint8))))
        return getattr(self, key)

    @property
    def header_bits(self) -> int:
        """The fixed cost in bits: the length of a 1x1 black grayscale image."""
        return self._header_for(np.zeros((1, 1), np.uint8))

    def concat(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:  # numpydoc ignore=GL08
        if x.shape[0] != y.shape[0]:
            raise ValueError(f"side-by-side join needs equal heights, got {x.shape} and {y.shape}")
        return np.concatenate([x, y], axis=1)

    def joint_lengths(
        self, x: np.ndarray, ys: Sequence[np.ndarray]
    ) -> np.ndarray:  # numpydoc ignore=GL08
        h = self._header_for(x)
        return np.array([8 * len(self.compress(self.concat(x, y))) - h for y in ys], np.float64)


@register_codec
class Png(ImageCodec):
    """PNG through Pillow (zlib level 9, adaptive filters)."""

    codec_id = "png"
    suffix_param = "compress_level"
    format = "PNG"

    param_ranges = {"compress_level": (0, 9)}

    def __init__(self, compress_level: int = 9):
        self.compress_level = compress_level
        self.check_params()

    def _save_kwargs(self) -> dict:
        return {"compress_level": self.compress_level, "optimize": False}


@register_codec
class WebP(ImageCodec):
    """Lossless WebP through Pillow (``quality`` is the lossless effort, ``method`` 0..6)."""

    codec_id = "webp"
    suffix_param = "method"
    format = "WEBP"

    param_ranges = {"method": (0, 6), "quality": (0, 100)}

    def __init__(self, method: int = 4, quality: int = 100):
        self.method, self.quality = method, quality
        self.check_params()

    def _save_kwargs(self) -> dict:
        return {"lossless": True, "method": self.method, "quality": self.quality, "exact": True}


class _ImagecodecsCodec(ImageCodec):
    """An image codec of the ``imagecodecs`` package (bindings of the reference libraries)."""

    def decompress(self, blob: bytes, gray: bool = False) -> np.ndarray:
        import imagecodecs

        return np.asarray(getattr(imagecodecs, f"{self.codec_id}_decode")(blob))


@register_codec
class JpegXL(_ImagecodecsCodec):
    """Lossless JPEG XL (libjxl's modular mode) through imagecodecs; ``effort`` 1..10, bare
    codestream (no container)."""

    codec_id = "jpegxl"
    suffix_param = "effort"

    param_ranges = {"effort": (1, 10)}

    def __init__(self, effort: int = 7):
        self.effort = effort
        self.check_params()

    def compress(self, data: np.ndarray) -> bytes:
        import imagecodecs

        return imagecodecs.jpegxl_encode(np.ascontiguousarray(data), lossless=True,
                                         effort=self.effort, usecontainer=False, numthreads=1)  # fmt: skip


@register_codec
class JpegLS(_ImagecodecsCodec):
    """Lossless JPEG-LS (CharLS, the LOCO-I predictor with context modelling) through
    imagecodecs."""

    codec_id = "jpegls"

    def compress(self, data: np.ndarray) -> bytes:
        import imagecodecs

        return imagecodecs.jpegls_encode(np.ascontiguousarray(data))
