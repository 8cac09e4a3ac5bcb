"""What every context coder shares: prepared data, templates, prior counts, real coding."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..coder import Codec
from ..runtime import set_threads
from . import arith
from .kernels import (
    CAP,
    context_indices,
    log2_table,
    pair_counts,
    table_dtype,
    uncond_lengths,
)
from .templates import TEMPLATES, as_offsets, as_planes


@dataclass
class ContextData:
    """Symbol planes of a set of images with their precomputed context indices.

    Conditional coding of y given x uses context ``y.causal + mult * x.ref``; for binary
    symbols ``cs = 2 * causal + symbol`` packs the coded side in one array (mult = 2**shift).
    """

    planes: np.ndarray  # (N, H, W) uint8
    levels: int
    lengths: np.ndarray  # C(x) in bits, (N,)
    uncond: np.ndarray | None = None  # (N, P) unconditional context index
    causal: np.ndarray | None = None  # (N, P) causal part; (N, 0) where cs replaces it
    ref: np.ndarray | None = None  # (N, P) reference part (times mult in the context)
    cs: np.ndarray | None = None  # (N, P) 2 * causal + symbol, binary symbols only
    mult: int = 0
    active: np.ndarray | None = None  # (N, ceil(P / 64)) uint64 activity bitmaps, binary only

    @property
    def symbols(self) -> np.ndarray:
        """The planes flattened per image: (N, P)."""
        return self.planes.reshape(self.planes.shape[0], -1)

    def take(self, rows) -> ContextData:
        """The prepared data of some rows.

        Parameters
        ----------
        rows : slice or array-like of int
            Rows to keep, in order.

        Returns
        -------
        ContextData
            Those rows of every array.
        """

        def pick(a):
            return None if a is None else a[rows]

        return ContextData(self.planes[rows], self.levels, self.lengths[rows], pick(self.uncond),
                           pick(self.causal), pick(self.ref), pick(self.cs), self.mult,
                           pick(self.active))  # fmt: skip


def index_dtype(n: int):
    """The narrowest unsigned type for indices below ``n``."""
    for dtype in (np.uint8, np.uint16, np.uint32):
        if n <= np.iinfo(dtype).max + 1:
            return dtype
    raise ValueError(f"{n} contexts do not fit 32-bit indices")


def scaled_counts(raw: np.ndarray, levels: int, strength: int, cap: int) -> np.ndarray:
    """A count table (see :mod:`.kernels`) scaled so that no context's total exceeds
    ``strength``, in the type that holds counts up to ``cap``."""
    cnt = raw.reshape(-1, levels).astype(np.float64)
    tot = cnt.sum(axis=1, keepdims=True)
    scale = np.where(tot > strength, strength / np.maximum(tot, 1.0), 1.0)
    return np.floor(cnt * scale).astype(table_dtype(max(cap, strength))).ravel()


class ContextCodec(Codec):
    """Shared machinery of the context coders: templates, indices, prior counts, the coder.

    Parameters
    ----------
    uncond : sequence of (dy, dx), optional
        Causal template of the unconditional model; default from the template family.
    cap : int
        Count total at which a context's counts are halved.
    family : str, optional
        Template family of :data:`TEMPLATES`; default ``binary`` for 2 levels, else ``multi``.
    """

    kind = "context"
    #: the log table holds 2 cap + levels entries and counts widen to int64 above 65535, so
    #: the cap is bounded (cap=10**9 asked for 16 GB); 2**20 keeps the table at 16 MB
    param_ranges = {"cap": (2, 1 << 20)}

    def __init__(self, uncond=None, cap: int = CAP, family: str | None = None):
        self.uncond = uncond
        self.cap = cap
        if family is not None and family not in TEMPLATES:
            raise ValueError(f"unknown template family {family!r}; known: {', '.join(TEMPLATES)}")
        self.family = family
        self._priors: dict[str, np.ndarray] = {}
        self._prior_levels: int | None = None

    def _family(self, levels: int) -> str:
        if not 2 <= levels <= 16:
            raise ValueError(
                f"{self.name}: context coders model 2..16 symbol levels; use serializer 'binary' or "
                f"'q1'..'q4' (got {levels} levels)"
            )
        if self.family is not None:
            if self.family != "multi" and levels != 2:
                raise ValueError(
                    f"{self.name}: template family {self.family!r} is for binary images "
                    f"(serializer 'binary'), got {levels} levels"
                )
            return self.family
        return "binary" if levels == 2 else "multi"

    def templates(self, levels: int) -> dict[str, np.ndarray]:
        """The context templates used for a number of levels.

        Parameters
        ----------
        levels : int
            Number of symbol levels, 2..16.

        Returns
        -------
        dict of str to ndarray of int64, shape (n_offsets, 2)
            (dy, dx) offsets by model: ``uncond``, and ``causal`` and ``ref`` for ``ctx-ref``.
        """
        fam = TEMPLATES[self._family(levels)]
        return {"uncond": as_offsets(self.uncond or fam["uncond"], True, "uncond template")}

    @staticmethod
    def _n_ctx(levels: int, *offsets: np.ndarray) -> int:
        n = levels ** sum(o.shape[0] for o in offsets)
        if n * levels > (1 << 24):
            raise ValueError(f"template too large: {n} contexts x {levels} levels")
        return n

    @staticmethod
    def _indices(planes: np.ndarray, offsets: np.ndarray, levels: int) -> np.ndarray:
        """Mixed-radix context index of every pixel for one template, narrowest type."""
        dtype = index_dtype(levels ** offsets.shape[0])
        out = np.empty((planes.shape[0], planes.shape[1] * planes.shape[2]), dtype)
        if planes.shape[0]:
            context_indices(planes, offsets, levels, 1, out)
        return out

    def _prior(self, model: str, levels: int, *offsets: np.ndarray):
        """The initial count table of a model: learned after fit(), else zeros."""
        if self.learned and model not in self._priors:
            raise RuntimeError(
                f"{self.name} learns its prior counts from labelled training images: call "
                "fit(symbols, levels, labels) first (Compressor.fit(images, labels) does it)"
            )
        if model in self._priors:
            if levels != self._prior_levels:
                raise ValueError(
                    f"{self.name}: prior was fitted for {self._prior_levels} levels, got {levels}"
                )
            return self._priors[model]
        n_ctx = self._n_ctx(levels, *offsets)
        return np.zeros(n_ctx * levels, table_dtype(self.cap))

    def _set_prior(self, model: str, raw: np.ndarray, levels: int, strength: int) -> None:
        self._priors[model] = scaled_counts(raw, levels, strength, self.cap)
        self._prior_levels = levels

    def _uncond_indices(self, symbols: np.ndarray, levels: int) -> tuple[np.ndarray, np.ndarray]:
        """Planes and unconditional context indices, without coding anything."""
        planes = as_planes(np.asarray(symbols, np.uint8))
        if planes.size and int(planes.max()) >= levels:
            raise ValueError(f"{self.name}: symbols must be < {levels}, found {int(planes.max())}")
        t = self.templates(levels)
        self._n_ctx(levels, t["uncond"])
        return planes, self._indices(planes, t["uncond"], levels)

    def prepare(self, symbols: np.ndarray, levels: int, n_jobs: int = 1) -> ContextData:
        """Planes, context indices and unconditional lengths C(x) of a set of symbol images.

        Parameters
        ----------
        symbols : ndarray of uint8, shape (n_images, height, width[, planes])
            Symbol images, each value below ``levels``.
        levels : int
            Number of symbol levels, 2..16.
        n_jobs : int, default=1
            Threads to use.

        Returns
        -------
        ContextData
            What :meth:`joint_block` reads, with ``lengths`` = C(x) in bits.
        """
        set_threads(n_jobs)
        planes, uncond = self._uncond_indices(symbols, levels)
        t = self.templates(levels)
        lengths = np.empty(planes.shape[0], np.float64)
        if planes.shape[0]:
            uncond_lengths(
                uncond,
                planes.reshape(planes.shape[0], -1),
                levels,
                self._prior("uncond", levels, t["uncond"]),
                self.cap,
                log2_table(levels, self.cap),
                lengths,
            )
        return ContextData(planes, levels, lengths, uncond)

    # -- the coder: real bits for the same model --------------------------------------------

    def _code(self, image, reference, levels, model, offsets_c, offsets_r):
        img = as_planes(np.asarray(image, np.uint8)[None])[0]
        ref = (
            np.zeros_like(img)
            if reference is None
            else as_planes(np.asarray(reference, np.uint8)[None])[0]
        )
        if ref.shape != img.shape:
            raise ValueError(f"reference shape {ref.shape} != image shape {img.shape}")
        if img.size and int(img.max()) >= levels:
            raise ValueError(f"symbols must be < {levels}")
        buf = np.zeros(img.size * 3 + 16, np.uint8)  # <= 17 bits per symbol at cap 4096, L <= 16
        n, ideal = arith.encode(
            img,
            ref,
            offsets_c,
            offsets_r,
            levels,
            self._prior(model, levels, offsets_c, offsets_r),
            self.cap,
            log2_table(levels, self.cap),
            buf,
        )
        return bytes(buf[:n]), float(ideal)

    def _decode(self, blob, shape, ref, levels, model, offsets_c, offsets_r):
        out = np.zeros(shape, np.uint8)
        arith.decode(
            np.frombuffer(blob, np.uint8),
            ref,
            shape[0],
            shape[1],
            offsets_c,
            offsets_r,
            levels,
            self._prior(model, levels, offsets_c, offsets_r),
            self.cap,
            out,
        )
        return out


def count_symbols(planes, ref, mult, cod_ctx, pairs_ref, pairs_cod, levels, n_ctx) -> np.ndarray:
    """Symbol counts per context of coding images ``pairs_cod`` given ``pairs_ref``.

    Parameters
    ----------
    planes : ndarray of uint8, shape (n_images, height, width)
        Symbol images as planes (:func:`.templates.as_planes`).
    ref, mult, cod_ctx : ndarray
        The reference template's offsets, its context multiplier, and the causal template
        (as :meth:`.RefContextCoder.fit` builds them; ``ref`` unused when ``mult`` is 0).
    pairs_ref, pairs_cod : ndarray of int
        Index pairs: image ``pairs_cod[i]`` is counted given image ``pairs_ref[i]``.
    levels : int
        Number of symbol levels.
    n_ctx : int
        Number of contexts.

    Returns
    -------
    ndarray of int64, shape (n_ctx * levels,)
        The counts.
    """
    raw = np.zeros(n_ctx * levels, np.int64)
    pair_counts(ref, mult, cod_ctx, planes.reshape(len(planes), -1), pairs_ref, pairs_cod, levels,
                raw)  # fmt: skip
    return raw
