"""``ctx``: C(x) by raster-order coding of each pixel with an adaptive model whose context is
a causal template of already-coded neighbors (JBIG-style). The joint C(xy) codes x, then y,
with the *same* adaptive statistics carried over: compression of the concatenation.
"""

from __future__ import annotations

import numpy as np

from ..coder import register_codec
from ..runtime import set_threads
from .base import ContextCodec, ContextData, count_symbols, scaled_counts
from .kernels import CAP, log2_table, sequential_joint, uncond_lengths
from .templates import plane_shape, unplane


@register_codec
class ContextCoder(ContextCodec):
    """``ctx``: adaptive causal-template context model; C(xy) codes x then y with shared counts.

    Parameters
    ----------
    uncond : sequence of (dy, dx), optional
        Causal template; default :data:`TEMPLATES` ``[family]["uncond"]``.
    cap : int
        Count total at which a context's counts are halved.
    family : str, optional
        Template family of :data:`TEMPLATES`; default ``binary`` for 2 levels, else ``multi``.
    """

    codec_id = "ctx"

    def __init__(self, uncond=None, cap: int = CAP, family: str | None = None):
        super().__init__(uncond, cap, family)
        self.check_params()

    def fit_counts(self, symbols: np.ndarray, levels: int) -> np.ndarray:
        """Symbol counts per context summed over a set of images.

        Used as class-level statistics by
        :class:`~ncdvision.ncd.classcond.ClassCompressionClassifier`.

        Parameters
        ----------
        symbols : ndarray of uint8, shape (n_images, height, width[, planes])
            Symbol images, each value below ``levels``.
        levels : int
            Number of symbol levels.

        Returns
        -------
        ndarray of int64, shape (n_contexts * levels,)
            How often each symbol followed each context.
        """
        planes, uncond = self._uncond_indices(symbols, levels)
        every = np.arange(len(planes))
        n_ctx = self._n_ctx(levels, self.templates(levels)["uncond"])
        return count_symbols(planes, uncond, 0, uncond, every, every, levels, n_ctx)

    def lengths_given_counts(
        self, data: ContextData, raw: np.ndarray, strength: int = 1 << 30, n_jobs: int = 1
    ) -> np.ndarray:
        """C(x) of each prepared image coded after a corpus: the model starts from its counts.

        The model keeps adapting from there, so this is the length of x appended to the
        corpus those counts summarise.

        Parameters
        ----------
        data : ContextData
            Prepared images from :meth:`prepare`.
        raw : ndarray of int64, shape (n_contexts * levels,)
            Counts from :meth:`fit_counts`.
        strength : int, default=2**30
            Counts are scaled so that no context's total exceeds it.
        n_jobs : int, default=1
            Threads to use.

        Returns
        -------
        ndarray of float64, shape (len(data),)
            Each image's length in bits.
        """
        set_threads(n_jobs)
        totals = raw.reshape(-1, data.levels).sum(axis=1)
        cap = max(self.cap, 2 * int(min(totals.max(initial=0), strength)) + 2)
        table = scaled_counts(raw, data.levels, strength, cap)
        out = np.empty(data.planes.shape[0], np.float64)
        if len(out):
            uncond_lengths(data.uncond, data.symbols, data.levels, table, cap,
                   log2_table(data.levels, cap), out)  # fmt: skip
        return out

    def joint_block(self, dx: ContextData, dy: ContextData, n_jobs: int = 1) -> np.ndarray:
        """Joint lengths C(x_i y_j): x_i coded, then y_j with the same adaptive counts.

        Parameters
        ----------
        dx, dy : ContextData
            Prepared batches from :meth:`prepare`.
        n_jobs : int, default=1
            Threads to use.

        Returns
        -------
        ndarray of float64, shape (len(dx), len(dy))
            C(x_i y_j) in bits.
        """
        set_threads(n_jobs)
        L = dx.levels
        t = self.templates(L)
        out = np.empty((dx.planes.shape[0], dy.planes.shape[0]), np.float64)
        sequential_joint(dx.uncond, dx.symbols, dy.uncond, dy.symbols, L,
               self._prior("uncond", L, t["uncond"]), self.cap, log2_table(L, self.cap),
               out)  # fmt: skip
        return out

    def encode(self, image: np.ndarray, levels: int) -> tuple[bytes, float]:
        """Arithmetic-code one symbol image.

        Parameters
        ----------
        image : ndarray of uint8, shape (height, width[, planes])
            Symbols below ``levels``.
        levels : int
            Number of symbol levels.

        Returns
        -------
        blob : bytes
            The arithmetic code.
        bits : float
            The model's length of the image, which ``8 * len(blob)`` exceeds by a few bits.
        """
        t = self.templates(levels)
        return self._code(image, None, levels, "uncond", t["uncond"], np.zeros((0, 2), np.int64))

    def decode(self, blob: bytes, shape: tuple[int, ...], levels: int) -> np.ndarray:
        """Invert :meth:`encode`.

        Parameters
        ----------
        blob : bytes
            What :meth:`encode` returned.
        shape : tuple of int
            The image's shape.
        levels : int
            Number of symbol levels.

        Returns
        -------
        ndarray of uint8
            The image.
        """
        t = self.templates(levels)
        ps = plane_shape(shape)
        out = self._decode(blob, ps, np.zeros(ps, np.uint8), levels, "uncond", t["uncond"],
                           np.zeros((0, 2), np.int64))  # fmt: skip
        return unplane(out, shape)
