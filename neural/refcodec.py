"""A neural conditional coder inside NCD: C(y | x) from a PixelCNN that sees the reference x.

NPC-LV (Jiang et al. 2022) puts a learned compressor inside NCD. This coder does it with the
conditional form that the context coder ``ctx-ref`` uses: the joint length of a pair is
``C(x) + C(y | x)``, where a gated PixelCNN codes ``y`` pixel by pixel while a small
non-causal network reads the whole reference ``x``
(:class:`~ncdvision.neural.pixelcnn.GatedPixelCNN` with ``reference=True``). The same model
with no reference gives ``C(x)``.

It is trained without labels by default, on pairs of each training image and its nearest
neighbors (:func:`~ncdvision.ncd.context.pairs.neighbor_pairs`), the kind of pair a kNN query
meets, plus every image with no reference. With labels, the references are random images
of the same class, as ``ctx-ref-learned`` learns its prior.

The distances use the model's ideal lengths, -log2 p, as the context coders do; the range
coder of :mod:`.coding` realises them (:meth:`PixelCNNRefCodec.encode`), within its header
and flush.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from ncdvision.ncd.coder import Codec
from ncdvision.ncd.context.pairs import neighbor_pairs, same_class_pairs

from . import coding
from .pixelcnn import GatedPixelCNN
from .train import cache_dir, fit, run_key

__all__ = ["NeuralData", "PixelCNNRefCodec"]

#: Pairs per forward pass when measuring lengths.
PAIR_BATCH = 64


@dataclass
class NeuralData:
    """A prepared batch: the symbol images and C(x) in bits of each.

    Parameters
    ----------
    images : ndarray of uint8, shape (N, H, W)
        Symbol images.
    lengths : ndarray of float64, shape (N,)
        C(x) of each, in bits, with no reference.
    """

    images: np.ndarray
    lengths: np.ndarray

    def take(self, rows) -> NeuralData:
        """The prepared batch of some rows.

        Parameters
        ----------
        rows : slice or array-like of int
            Rows to keep, in order.

        Returns
        -------
        NeuralData
            Their images and lengths.
        """
        return NeuralData(self.images[rows], self.lengths[rows])


class PixelCNNRefCodec(Codec):
    """Conditional PixelCNN coder: C(x y) = C(x) + C(y | x), learned from image pairs.

    Registered as ``pixelcnn-ref`` through the ``ncdvision.codecs`` entry-point group, so
    :func:`~ncdvision.ncd.pairwise`, :func:`~ncdvision.ncd.kneighbors` and the classifiers
    take it by name once ``[neural]`` is installed. It codes one plane per image, so it takes
    the ``binary`` (default) or ``q<bits>`` serializers, not ``thermo``.

    Parameters
    ----------
    channels : int, default=16
        Feature maps per stack of the PixelCNN and of the reference network.
    layers : int, default=4
        Gated layers.
    epochs : int, default=3
        Passes over the training pairs.
    per_image : int, default=2
        References per training image (nearest neighbors, or same-class images with labels).
    seed : int, default=0
        Seed of the weights, the batches and the pairs.

    Examples
    --------
    >>> from ncdvision.ncd import Compressor
    >>> comp = Compressor("pixelcnn-ref", serializer="binary")  # doctest: +SKIP
    >>> comp.fit(train_images)  # no labels: nearest-neighbor pairs  # doctest: +SKIP
    """

    codec_id = "pixelcnn-ref"
    # an autoregressive context model: binary symbols by default, as the numba context coders
    kind = "context"
    learned = True
    param_ranges: ClassVar[dict[str, tuple[int, int]]] = {
        "channels": (2, 256), "layers": (1, 16), "epochs": (1, 1000), "per_image": (1, 64),
        "seed": (0, 2**31 - 1)}  # fmt: skip

    def __init__(self, channels: int = 16, layers: int = 4, epochs: int = 3,
                 per_image: int = 2, seed: int = 0) -> None:  # fmt: skip
        self.channels, self.layers, self.epochs = channels, layers, epochs
        self.per_image, self.seed = per_image, seed
        self.check_params()
        self.model_: GatedPixelCNN | None = None

    # -- learning -----------------------------------------------------------------------------

    def _check(self, symbols: np.ndarray, levels: int) -> np.ndarray:
        symbols = np.asarray(symbols)
        if symbols.ndim != 3:
            raise ValueError(f"{self.codec_id} codes one plane per image, shape (N, H, W); got "
                             f"{symbols.shape}: use the 'binary' or 'q<bits>' serializer")  # fmt: skip
        return coding.check_symbols(symbols, levels)

    def fit(self, symbols: np.ndarray, levels: int, labels=None,
            progress: bool = True) -> PixelCNNRefCodec:  # fmt: skip
        """Train the model on (reference, image) pairs of training images, and on each image
        with no reference.

        Parameters
        ----------
        symbols : ndarray of uint8, shape (n_images, height, width)
            Training symbol images, each value below ``levels``.
        levels : int
            Number of symbol levels.
        labels : array-like of shape (n_images,), optional
            Class labels: references are then random same-class images. Without them, each
            image's nearest neighbors.
        progress : bool, default=True
            Show the training's progress bar.

        Returns
        -------
        PixelCNNRefCodec
            ``self``, trained. A checkpoint under
            :func:`~ncdvision.neural.train.cache_dir` makes a rerun resume.
        """
        symbols = self._check(symbols, levels)
        if labels is not None:
            refs, cods = same_class_pairs(np.asarray(labels), self.per_image, self.seed)
        else:
            refs, cods = neighbor_pairs(symbols, self.per_image, self.seed)
        n = len(symbols)
        every = np.arange(n)
        x = torch.from_numpy(symbols[np.concatenate([cods, every])])
        ref = torch.from_numpy(symbols[np.concatenate([refs, every])])
        present = torch.from_numpy(np.arange(len(x)) < len(cods))
        torch.manual_seed(self.seed)
        model = GatedPixelCNN(levels=levels, channels=self.channels, layers=self.layers,
                              first_kernel=5, reference=True)  # fmt: skip
        settings = {**model.config(), **self.get_config()}
        ckpt = cache_dir() / (run_key("pixelcnn-ref", settings, [x.numpy(), ref.numpy()]) + ".pt")

        def loss(m, batch):
            xb, rb, pb = batch
            return m.nll_bits(xb, rb, pb).mean() / xb[0].numel()  # bits per pixel

        fit(model, loss, (x, ref, present), epochs=self.epochs, batch_size=64, lr=3e-3,
            seed=self.seed, checkpoint=ckpt, progress=progress, desc=self.codec_id)  # fmt: skip
        self.model_ = model.eval()
        return self

    def _fitted(self, levels: int | None = None) -> GatedPixelCNN:
        """The trained model; ``levels``, when given, must be the ones it was fitted on."""
        if self.model_ is None:
            raise ValueError(f"{self.codec_id} is learned: call fit (or Compressor.fit) first")
        if levels is not None and levels != self.model_.levels:
            raise ValueError(f"{self.codec_id} was fitted on {self.model_.levels} levels, "
                             f"got {levels}")  # fmt: skip
        return self.model_

    # -- lengths ------------------------------------------------------------------------------

    def prepare(
        self, symbols: np.ndarray, levels: int, n_jobs: int = 1
    ) -> NeuralData:  # numpydoc ignore=GL08
        symbols = self._check(symbols, levels)
        model = self._fitted(levels)
        return NeuralData(symbols, coding.likelihood_bits(model, symbols, PAIR_BATCH))

    def _pair_lengths(self, dx: NeuralData, dy: NeuralData, rows: np.ndarray,
                      cols: np.ndarray) -> np.ndarray:  # fmt: skip
        """C(x_rows) + C(y_cols | x_rows), in chunks of :data:`PAIR_BATCH` pairs."""
        model = self._fitted()
        out = np.empty(len(rows), np.float64)
        for s in range(0, len(rows), PAIR_BATCH):
            r, c = rows[s : s + PAIR_BATCH], cols[s : s + PAIR_BATCH]
            out[s : s + len(r)] = coding.likelihood_bits(model, dy.images[c], PAIR_BATCH,
                                                         references=dx.images[r])  # fmt: skip
        return out + dx.lengths[rows]

    def joint_block(self, dx: NeuralData, dy: NeuralData, n_jobs: int = 1) -> np.ndarray:
        """Joint lengths C(x_i y_j) = C(x_i) + C(y_j | x_i) of every pair.

        Parameters
        ----------
        dx, dy : NeuralData
            Prepared batches from :meth:`prepare`.
        n_jobs : int, default=1
            Unused: torch's own threads run the model.

        Returns
        -------
        ndarray of float64, shape (len(dx), len(dy))
            C(x_i y_j) in bits.
        """
        nx, ny = len(dx.lengths), len(dy.lengths)
        rows, cols = np.divmod(np.arange(nx * ny), max(ny, 1))
        return self._pair_lengths(dx, dy, rows, cols).reshape(nx, ny)

    def joint_pairs(self, dx: NeuralData, dy: NeuralData, cand: np.ndarray,
                    n_jobs: int = 1) -> np.ndarray:  # fmt: skip
        """Joint lengths of listed pairs, batched across queries.

        Parameters
        ----------
        dx, dy : NeuralData
            Prepared batches from :meth:`prepare`.
        cand : ndarray of int, shape (len(dx), n_candidates)
            For each row of ``dx``, the rows of ``dy`` to pair it with.
        n_jobs : int, default=1
            Unused: torch's own threads run the model.

        Returns
        -------
        ndarray of float64, shape ``cand.shape``
            C(x_i y_cand[i, j]) in bits.
        """
        cand = np.asarray(cand, np.int64)
        rows = np.repeat(np.arange(len(cand)), cand.shape[1])
        return self._pair_lengths(dx, dy, rows, cand.ravel()).reshape(cand.shape)

    # -- real coding --------------------------------------------------------------------------

    def encode(self, image: np.ndarray, reference: np.ndarray | None, levels: int) -> tuple[np.ndarray, float]:  # fmt: skip
        """Range-code ``image`` given ``reference`` (or alone, with None).

        Parameters
        ----------
        image : ndarray of uint8, shape (H, W)
            Symbol image, values below ``levels``.
        reference : ndarray of uint8, shape (H, W), or None
            The image it is coded given.
        levels : int
            Number of symbol levels.

        Returns
        -------
        words : ndarray of uint32
            The code (a 4-word header, then the range coder's words).
        ideal : float
            The model's length, -log2 p, in bits.
        """
        model = self._fitted(levels)
        refs = None if reference is None else np.asarray(reference)[None]
        code = coding.encode(model, np.asarray(image)[None], 1, references=refs)
        return code.words, code.likelihood_bits

    def decode(self, words: np.ndarray, reference: np.ndarray | None, levels: int) -> np.ndarray:
        """Invert :meth:`encode` with the same reference.

        Parameters
        ----------
        words : ndarray of uint32
            What :meth:`encode` returned.
        reference : ndarray of uint8, shape (H, W), or None
            The reference it was coded with.
        levels : int
            Number of symbol levels.

        Returns
        -------
        ndarray of uint8, shape (H, W)
            The image, bit-exact.
        """
        model = self._fitted(levels)
        refs = None if reference is None else np.asarray(reference)[None]
        return coding.decode(model, words, references=refs)[0]
