"""``ctx-ref``: C(y|x), with the reference's aligned pixels in the context, and its
``-asym`` and ``-learned`` variants.

The context also holds the aligned pixels of a reference image x, around and below the
current position (x is known to the decoder, so non-causal reference pixels are allowed):
the idea of JBIG2 generic-region refinement coding. C(x) comes from the ``ctx`` model
(:mod:`.plain`). ``ctx-ref`` uses the symmetrised joint C(xy) = (C(x) + C(y|x) + C(y) +
C(x|y)) / 2; ``ctx-ref-asym`` uses C(xy) = C(x) + C(y|x) at half the cost. On a validation
split of mnist-5k's training set the symmetrised form was 5 points more accurate (0.93 vs 0.88
at k=3): with fresh adaptive counts a one-way C(y|x) mostly measures how much ink y has.
"""

from __future__ import annotations

import numpy as np

from ..coder import register_codec
from ..formulas import DISTANCES
from ..runtime import set_threads
from .base import ContextCodec, ContextData, count_symbols, index_dtype
from .kernels import CAP, cond_rows, log2_table
from .pairs import neighbor_pairs, same_class_pairs
from .templates import TEMPLATES, as_offsets, as_planes, unplane
from .topk import ACTIVE_MAX, active_words, activity, ref_kneighbors, zero_tails


@register_codec
class RefContextCoder(ContextCodec):
    """``ctx-ref``: C(y|x) with the reference's aligned pixels in the context.

    Parameters
    ----------
    causal, ref : sequences of (dy, dx), optional
        Causal template in the coded image and template in the reference image (any offsets).
    uncond : sequence of (dy, dx), optional
        Template of the unconditional C(x) (the ``ctx`` model).
    symmetric : bool
        True (``ctx-ref``): C(xy) = (C(x) + C(y|x) + C(y) + C(x|y)) / 2. False
        (``ctx-ref-asym``): C(xy) = C(x) + C(y|x), half the work.
    cap : int
        Count total at which a context's counts are halved.
    family : str, optional
        Template family; ``ctx-ref-learned`` uses ``wide``.
    learned : bool
        True (``ctx-ref-learned``): the counts of both models start from statistics of
        training images instead of zero, so :meth:`fit` is required. The unconditional model
        starts from the counts of all training images, the conditional one from those of
        coding training images given related training images as references: random other
        images of the same class when labels are given, else each image's nearest neighbors
        (a model of how an image differs from a related one, not of any class). Counts are
        scaled so no context's total exceeds ``strength``; coding then adapts as usual, and
        the arithmetic coder uses the same prior, so lengths stay real.
    strength, pairs_per_image, seed : int
        Prior cap per context, references per training image, and the seed of their draw.
    active_first : bool, default=True
        Whether the exact top-k search (:meth:`kneighbors_block`) codes the pixels where a
        query and a candidate differ first, with a bound that abandons the candidate early,
        where no context's counts can be halved within a pair. False: raster-order partial
        sums alone. The neighbors are the same either way; False is for measuring the bound.
    """

    codec_id = "ctx-ref"
    early_abandoning = True
    param_ranges = {**ContextCodec.param_ranges, "strength": (1, 30000),
                    "pairs_per_image": (1, 100_000), "seed": (0, 2**32 - 1)}  # fmt: skip

    def __init__(
        self,
        causal=None,
        ref=None,
        uncond=None,
        symmetric: bool = True,
        cap: int = CAP,
        family: str | None = None,
        learned: bool = False,
        strength: int = 256,
        pairs_per_image: int = 20,
        seed: int = 0,
        active_first: bool = True,
    ):
        super().__init__(uncond, cap, family)
        self.causal, self.ref = causal, ref
        for name, flag in (("symmetric", symmetric), ("learned", learned),
                           ("active_first", active_first)):  # fmt: skip
            if not isinstance(flag, (bool, np.bool_)):
                raise ValueError(f"{self.codec_id}: {name} must be True or False, got {flag!r}")
        self.symmetric = bool(symmetric)
        self.learned = bool(learned)
        self.active_first = bool(active_first)
        self.strength = strength
        self.pairs_per_image = pairs_per_image
        self.seed = seed
        self.check_params()

    @property
    def name(self) -> str:
        """``ctx-ref``, ``ctx-ref-asym`` or ``ctx-ref-learned``, from the parameters."""
        return (
            "ctx-ref-learned" if self.learned else ("ctx-ref" if self.symmetric else "ctx-ref-asym")
        )

    def templates(self, levels: int) -> dict[str, np.ndarray]:  # numpydoc ignore=GL08
        fam = TEMPLATES[self._family(levels)]
        t = super().templates(levels)
        t["causal"] = as_offsets(self.causal or fam["causal"], True, "causal template")
        t["ref"] = as_offsets(self.ref or fam["ref"], False, "ref template")
        return t

    def fit(self, symbols: np.ndarray, levels: int, labels=None) -> RefContextCoder:
        """Learn the prior counts from training symbol images, with or without labels.

        A no-op unless ``learned``. The unconditional prior counts every image. For the
        conditional one each image is coded given ``pairs_per_image`` references: random other
        images of its class when ``labels`` are given, else its nearest neighbors among the
        training images (:mod:`.pairs`; no label is read, so an unlabelled pool can teach it).

        Parameters
        ----------
        symbols : ndarray of uint8, shape (n_images, height, width[, planes])
            Training symbol images, each value below ``levels``.
        levels : int
            Number of symbol levels.
        labels : array-like of shape (n_images,), optional
            Class labels; None learns the label-free prior.

        Returns
        -------
        RefContextCoder
            ``self``.
        """
        if not self.learned:
            return self
        if labels is not None:
            labels = np.asarray(labels)
            if len(labels) != len(symbols):
                raise ValueError(f"{len(symbols)} images but {len(labels)} labels")
        self._priors = {}
        planes, uncond = self._uncond_indices(symbols, levels)
        causal, ref, mult = self._ref_indices(planes, levels)
        t = self.templates(levels)
        every = np.arange(len(planes))
        raw_u = count_symbols(planes, uncond, 0, uncond, every, every, levels,
                       self._n_ctx(levels, t["uncond"]))  # fmt: skip
        if labels is None:
            refs, cods = neighbor_pairs(planes, self.pairs_per_image, self.seed)
        else:
            refs, cods = same_class_pairs(labels, self.pairs_per_image, self.seed)
        raw_c = count_symbols(planes, ref, mult, causal, refs, cods, levels,
                       self._n_ctx(levels, t["causal"], t["ref"]))  # fmt: skip
        self._set_prior("uncond", raw_u, levels, self.strength)
        self._set_prior("cond", raw_c, levels, self.strength)
        return self

    def _ref_indices(self, planes: np.ndarray, levels: int):
        """Causal and reference context indices of symbol planes, and the reference's
        multiplier (contexts are causal + mult * ref)."""
        t = self.templates(levels)
        self._n_ctx(levels, t["causal"], t["ref"])
        causal = self._indices(planes, t["causal"], levels)
        ref = self._indices(planes, t["ref"], levels)
        return causal, ref, levels ** t["causal"].shape[0]

    def prepare(
        self, symbols: np.ndarray, levels: int, n_jobs: int = 1
    ) -> ContextData:  # numpydoc ignore=GL08
        data = super().prepare(symbols, levels, n_jobs)
        data.uncond = None  # only C(x) was needed from it; it is as large as the planes
        data.causal, data.ref, data.mult = self._ref_indices(data.planes, levels)
        if levels == 2:
            # the binary kernels read causal index and symbol from one array and never the
            # causal one, which is dropped; built in place in the narrow type, not through
            # int32 temporaries four times its size (a 60,000-image thermo:3 set: 141 MB)
            cs = data.causal.astype(index_dtype(2 * int(data.mult)))
            np.left_shift(cs, 1, out=cs)
            cs += data.symbols
            data.cs = cs
            data.causal = np.empty((len(cs), 0), data.causal.dtype)
            data.active = active_words(cs, data.ref)
        return data

    def _kernel_args(self, dx: ContextData) -> tuple:
        """(mult, shift, prior, cap, log2 table) of the conditional model."""
        L = dx.levels
        t = self.templates(L)
        shift = int(dx.mult).bit_length() if L == 2 else 0  # 2 * mult = 2**shift
        return (dx.mult, shift, self._prior("cond", L, t["causal"], t["ref"]), self.cap,
                log2_table(L, self.cap))  # fmt: skip

    @staticmethod
    def _cs(d: ContextData) -> np.ndarray:
        return d.cs if d.cs is not None else np.zeros((len(d.lengths), 0), np.uint8)

    def conditional_block(self, dx: ContextData, dy: ContextData, n_jobs: int = 1) -> np.ndarray:
        """Conditional lengths C(y_j | x_i) for every pair.

        Parameters
        ----------
        dx, dy : ContextData
            Prepared batches from :meth:`prepare`.
        n_jobs : int, default=1
            Threads to use.

        Returns
        -------
        ndarray of float64, shape (len(dx), len(dy))
            C(y_j | x_i) in bits.
        """
        set_threads(n_jobs)
        mult, shift, prior, cap, log2tab = self._kernel_args(dx)
        out = np.empty((len(dx.lengths), len(dy.lengths)), np.float64)
        cond_rows(dx.ref, dy.causal, dy.symbols, self._cs(dy), mult, shift, True,
               dx.levels, prior, cap, log2tab, out)  # fmt: skip
        return out

    def joint_block(self, dx: ContextData, dy: ContextData, n_jobs: int = 1) -> np.ndarray:
        """Joint lengths C(x_i y_j) = C(x_i) + C(y_j | x_i), or their symmetrised form.

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
        out = self.conditional_block(dx, dy, n_jobs) + dx.lengths[:, None]
        if self.symmetric:  # rev[i, j] = C(x_i | y_j), parallel over the coded x_i
            mult, shift, prior, cap, log2tab = self._kernel_args(dx)
            rev = np.empty_like(out)
            cond_rows(dy.ref, dx.causal, dx.symbols, self._cs(dx), mult, shift, False,
                   dx.levels, prior, cap, log2tab, rev)  # fmt: skip
            out = 0.5 * (out + rev + dy.lengths[None, :])
        return out

    def kneighbors_block(self, dx: ContextData, dy: ContextData, cand: np.ndarray, k: int,
                         distance: str, n_jobs: int = 1, stop: tuple[int, float] | None = None,
                         trace: int = 0):  # fmt: skip
        """Exact top-k of each ``dx`` row among its candidates, with early abandoning.

        The same neighbors and distances as the exhaustive block, for less work
        (:func:`.topk.ref_kneighbors`). With ``stop``, each row's top k is exact among the
        candidates it walked.

        Parameters
        ----------
        dx, dy : ContextData
            Prepared queries and candidates from :meth:`prepare`.
        cand : ndarray of int, shape (len(dx), n_candidates)
            For each query, indices into ``dy``, most promising first.
        k : int
            Number of neighbors.
        distance : {"ncd", "cdm", "clm"}
            The distance to rank by.
        n_jobs : int, default=1
            Threads to use.
        stop : (int, float), optional
            ``(m0, g)``: a row stops walking its candidates before position p once p >= m0
            and p >= g times one more than the position of the last candidate that entered
            its top k (:func:`.topk.ref_kneighbors`). None walks them all.
        trace : int, default=0
            Width of the record of the positions, from ``stop[0]`` on, at which candidates
            entered each row's top k (0: none).

        Returns
        -------
        distances : ndarray of float32, shape (len(dx), k)
            Ascending.
        indices : ndarray of int64, shape (len(dx), k)
            Indices into ``dy``.
        coded : ndarray of int64, shape (len(dx),)
            Pixels coded per query, the work early abandoning left.
        ranked : ndarray of int64, shape (len(dx),)
            Candidates walked per query.
        entered : ndarray of int64, shape (len(dx), trace)
            The positions of the trace, then -1s; -2 in the last slot where they overflowed.
        """
        set_threads(n_jobs)
        mult, shift, prior, cap, log2tab = self._kernel_args(dx)
        n = len(cand)
        out_d, out_i = np.empty((n, k), np.float32), np.empty((n, k), np.int64)
        coded, ranked = np.empty(n, np.int64), np.empty(n, np.int64)
        entered = np.empty((n, trace), np.int64)
        rule = np.array(stop if stop is not None else (0, 0.0), np.float64)
        act_x, act_y = dx.active, dy.active
        active_first = (
            self.symmetric
            and self.active_first
            and act_x is not None
            and act_y is not None
            and self._no_halving(dx)
            and activity(act_y, dy.symbols.shape[1]) <= ACTIVE_MAX
        )
        if not active_first:  # zero-width bitmaps: the raster-order search alone
            act_x = act_y = np.zeros((0, 2, 0), np.uint64)
        tail_t, tail_c = zero_tails(log2tab, cap)
        ref_kneighbors(dx.causal, dx.symbols, self._cs(dx), dx.ref, dx.lengths, act_x,
               dy.causal, dy.symbols, self._cs(dy), dy.ref, dy.lengths, act_y,
               np.ascontiguousarray(cand, np.int64), mult, shift, self.symmetric,
               list(DISTANCES).index(distance), dx.levels, prior, cap, log2tab, tail_t, tail_c, rule,
               out_d, out_i, coded, ranked, entered)  # fmt: skip
        return out_d, out_i, coded, ranked, entered

    def _no_halving(self, d: ContextData) -> bool:
        """Whether no context's total can reach the cap while one pair is coded: its prior
        total (at most ``strength``, see :func:`.base.scaled_counts`) plus every pixel of the
        image stays below it: the active-first bound's condition (:mod:`.topk`)."""
        prior_total = self.strength if self.learned else 0
        return prior_total + d.symbols.shape[1] < self.cap

    def encode(self, image: np.ndarray, reference: np.ndarray, levels: int) -> tuple[bytes, float]:
        """Arithmetic-code ``image`` given ``reference``.

        Parameters
        ----------
        image, reference : ndarray of uint8, shape (height, width[, planes])
            Symbols below ``levels``; the decoder needs ``reference`` too.
        levels : int
            Number of symbol levels.

        Returns
        -------
        blob : bytes
            The arithmetic code.
        bits : float
            The model's length C(image | reference), which ``8 * len(blob)`` exceeds by a
            few bits.
        """
        t = self.templates(levels)
        return self._code(image, reference, levels, "cond", t["causal"], t["ref"])

    def decode(self, blob: bytes, reference: np.ndarray, levels: int) -> np.ndarray:
        """Invert :meth:`encode`.

        Parameters
        ----------
        blob : bytes
            What :meth:`encode` returned.
        reference : ndarray of uint8
            The reference it was coded with; the image has its shape.
        levels : int
            Number of symbol levels.

        Returns
        -------
        ndarray of uint8
            The image.
        """
        t = self.templates(levels)
        ref = as_planes(np.asarray(reference, np.uint8)[None])[0]
        return unplane(
            self._decode(blob, ref.shape, ref, levels, "cond", t["causal"], t["ref"]),
            np.asarray(reference).shape,
        )


@register_codec
class AsymRefContextCoder(RefContextCoder):
    """``ctx-ref-asym``: :class:`RefContextCoder` with ``symmetric=False`` by default."""

    codec_id = "ctx-ref-asym"

    def __init__(self, **params):
        super().__init__(**{"symmetric": False, **params})


@register_codec
class LearnedRefContextCoder(RefContextCoder):
    """``ctx-ref-learned``: :class:`RefContextCoder` with ``learned=True`` and the ``wide``
    template family by default."""

    codec_id = "ctx-ref-learned"

    def __init__(self, **params):
        super().__init__(**{"learned": True, "family": "wide", **params})
