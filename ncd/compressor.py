"""A codec and a serializer bound together: prepared batches, lengths and the distances
of :mod:`.formulas` between them."""

from __future__ import annotations

import copy

import numpy as np

from .coder import Codec, get_codec
from .formulas import get_distance
from .runtime import set_threads
from .serialize import Serializer, get_serializer
from .validation import check_images, n_jobs_count


def default_serializer(codec: Codec) -> str:
    """What ``serializer="auto"`` means: ``binary`` for context coders, else ``raw``."""
    return "binary" if codec.kind == "context" else "raw"


class Compressor:
    """A codec and a serializer bound together, fitted on reference images.

    This is what :func:`pairwise`, :func:`kneighbors` and the classifiers share: the serializer
    is fitted once (on the training/reference images), each image's C(x) is computed once and
    reused, and :meth:`distances` gives a block of the distance matrix. Codec and serializer
    objects passed in are copied, never fitted in place (as scikit-learn clones estimators).

    Parameters
    ----------
    codec : str, dict or Codec, default="ctx-ref"
        See :func:`~ncdvision.ncd.get_codec`.
    serializer : str or Serializer, default="auto"
        ``binary`` for context coders, ``raw`` for the others.
    distance : {"ncd", "cdm", "clm"}, default="ncd"
        The distance :meth:`distances` computes.
    n_jobs : int, default=-1
        Threads; -1 uses every core.
    """

    def __init__(self, codec="ctx-ref", serializer="auto", distance="ncd",
                 n_jobs: int | None = -1):  # fmt: skip
        self.codec: Codec = get_codec(get_codec(codec).get_config())
        if isinstance(serializer, str) and serializer == "auto":
            serializer = default_serializer(self.codec)
        self.serializer: Serializer = copy.deepcopy(get_serializer(serializer))
        self.distance = distance
        self._dist = get_distance(distance)
        self.n_jobs = n_jobs_count(n_jobs)

    def fit(self, images: np.ndarray, labels=None, unlabeled=None) -> Compressor:
        """Fit the serializer, and a learned coder's prior counts.

        Parameters
        ----------
        images : uint8 array (N, H, W[, C])
            The reference (training) images, or any unlabelled images of the same kind.
        labels : array of int, optional
            Their labels. A learned coder (``ctx-ref-learned``) learns its conditional prior
            from same-class pairs when given them, and from each image's nearest neighbors
            when not (:mod:`ncdvision.ncd.context.pairs`).
        unlabeled : uint8 array (M, H, W[, C]), optional
            More images of the same kind without labels (an unlabelled pool). Given, the
            learned prior comes from ``images`` and these together, one copy of each, and reads
            no label at all; the serializer is still fitted on ``images`` alone.

        Returns
        -------
        Compressor
            ``self``, fitted.
        """
        X = check_images(images, "reference images")
        self.serializer.fit(X)
        if self.codec.learned:
            if unlabeled is not None:
                pool = check_images(unlabeled, "unlabeled images")
                if pool.shape[1:] != X.shape[1:]:
                    raise ValueError(f"unlabeled images are {pool.shape[1:]}, but the images "
                                     f"are {X.shape[1:]}")  # fmt: skip
                # one copy of each image: a pool that holds the labelled images too (or
                # repeats) would otherwise pair images with their own copies
                X, labels = np.unique(np.concatenate([X, pool]), axis=0), None
            set_threads(self.n_jobs)
            self.codec.fit(self.serializer.transform(X), self.serializer.levels, labels)
        return self

    def prepare(self, images: np.ndarray, name: str = "X"):
        """Serialized images with their lengths C(x), for :meth:`distances`.

        Parameters
        ----------
        images : uint8 array (N, H, W[, C])
            Images to serialize and measure.
        name : str, default="X"
            How errors name ``images``.

        Returns
        -------
        object
            The codec's prepared batch: ``.lengths`` holds C(x) in bits, ``.take(rows)``
            selects rows.
        """
        X = check_images(images, name)
        symbols = self.serializer.transform(X)
        return self.codec.prepare(symbols, self.serializer.levels, self.n_jobs)

    def distances(self, dx, dy) -> np.ndarray:
        """The distance block between two prepared batches (:meth:`prepare`).

        Parameters
        ----------
        dx, dy : prepared batches
            From :meth:`prepare`.

        Returns
        -------
        ndarray of float32, shape (len(dx), len(dy))
            Clipped at 0.
        """
        joint = self.codec.joint_block(dx, dy, self.n_jobs)
        return self._dist(dx.lengths[:, None], dy.lengths[None, :], joint).astype(np.float32)

    def pair_distances(self, dx, dy, cand: np.ndarray) -> np.ndarray:
        """Distances of the listed pairs only.

        Parameters
        ----------
        dx, dy : prepared batches
            From :meth:`prepare`.
        cand : ndarray of int, shape (len(dx), m)
            For each row of ``dx``, the indices into ``dy`` to compare it with.

        Returns
        -------
        ndarray of float32, shape (len(dx), m)
            The distance of (i, cand[i, j]), clipped at 0.
        """
        joint = self.codec.joint_pairs(dx, dy, cand, self.n_jobs)
        return self._dist(dx.lengths[:, None], dy.lengths[cand], joint).astype(np.float32)

    def __repr__(self) -> str:
        return f"Compressor(codec={self.codec!r}, serializer={self.serializer.name!r}, distance={self.distance!r})"


def compressed_lengths(
    X, codec="ctx-ref", serializer="auto", n_jobs: int | None = -1, fit_on=None
) -> np.ndarray:
    """C(x) in bits, header-corrected, for each image.

    Parameters
    ----------
    X : uint8 array (N, H, W[, C])
        Images.
    codec : str or codec object, default="ctx-ref"
        See :func:`~ncdvision.ncd.get_codec`.
    serializer : str or Serializer, default="auto"
        See :func:`~ncdvision.ncd.get_serializer`.
    n_jobs : int, default=-1
        Threads; -1 uses every core.
    fit_on : uint8 array, optional
        The images the serializer is fitted on (default X), e.g. a training set.

    Returns
    -------
    ndarray of float64, shape (N,)
        The real code lengths the distances use, before any clipping.
    """
    comp = Compressor(codec, serializer, n_jobs=n_jobs).fit(X if fit_on is None else fit_on)
    return comp.prepare(X).lengths.copy()
