"""Compressibility predictors of a dataset, computed on training images only, in bits per
pixel (per sample value for colour images), and two non-compression comparisons.

- :func:`codec_bpp`: mean header-corrected length of each image alone under a codec;
  :func:`stream_bpp`: the images concatenated into one stream (what the codec learns across
  images);
- :func:`context_bpp`: the ``ctx`` context model fresh on each image, or started from the
  counts of *other* training images (two folds: counts from one half score the other), or of
  a reference set (a clean training set scoring a corrupted test split);
- :func:`label_information`: bits per image that knowing the class saves: C(x | a random
  corpus) - C(x | the training images of x's class), both corpora of the same size and from
  the other fold, with the ``ctx`` model's counts (equal sizes, so the estimate is not biased
  by how much data a model saw); about zero when labels carry nothing about the pixels,
  positive when they do;
- the label-aware pilot measures of :mod:`.prequential`: the prequential code length of 160
  labels under logistic regression (as a share of the uniform code) and the NCD kNN
  leave-one-out error on the same 160 images;
- :func:`intrinsic_dimension` (Levina-Bickel MLE, averaged as MacKay and Ghahramani suggest)
  and :func:`pixel_variance`;

Every predictor is registered in :data:`PREDICTORS` (:func:`register_predictor`) under the
name of its column, with one signature, ``f(images, labels, reference) -> float``, where
``reference`` is a clean dataset to model the images with (a training pool scoring a corrupted
test split) or None. Other packages add predictors through the ``ncdvision.predictors``
entry-point group (``[neural]`` adds ``pixelcnn``, the PixelCNN's likelihood in bits per
value); the studies run those only when asked for by name.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.neighbors import NearestNeighbors

from ..compressor import compressed_lengths
from ..context import ContextCoder
from ..plugins import Registry
from ..serialize import get_serializer
from .prequential import ncd_pilot_loo_error, prequential_share


def _values(images: np.ndarray) -> int:
    return int(np.prod(images.shape[1:]))


def codec_bpp(images: np.ndarray, codec: str, serializer: str = "raw",
              n_jobs: int | None = -1) -> float:  # fmt: skip
    """Mean bits per value of each image compressed alone."""
    return float(compressed_lengths(images, codec, serializer, n_jobs).mean() / _values(images))


def stream_bpp(images: np.ndarray, codec: str, max_images: int = 2000, seed: int = 0) -> float:
    """Bits per value of (up to ``max_images`` random) images concatenated into one stream,
    under a byte codec, header-corrected."""
    from ..coder import get_codec

    c = get_codec(codec)
    if c.kind != "bytes":
        raise ValueError(f"stream_bpp needs a byte codec, got {codec!r}")
    rng = np.random.default_rng(seed)
    pick = np.sort(rng.choice(len(images), min(max_images, len(images)), replace=False))
    data = np.ascontiguousarray(images[pick]).tobytes()
    return float(c.length(data) / (len(pick) * _values(images)))


def _folds(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[: n // 2]), np.sort(perm[n // 2 :])


def context_bpp(images: np.ndarray, trained: bool = False, serializer: str = "q4",
                seed: int = 0, reference: np.ndarray | None = None) -> float:  # fmt: skip
    """Bits per value under the ``ctx`` model on ``serializer`` symbols: fresh per image, or
    started from the counts of the other half of the images (``trained``), or from the counts
    of ``reference`` images (e.g. a clean training set scoring a corrupted test split)."""
    ser = get_serializer(serializer).fit(images if reference is None else reference)
    sym = ser.transform(images)
    ctx = ContextCoder()
    data = ctx.prepare(sym, ser.levels)
    if reference is not None:
        counts = ctx.fit_counts(ser.transform(reference), ser.levels)
        return float(ctx.lengths_given_counts(data, counts).sum() / (len(images) * _values(images)))
    if not trained:
        return float(data.lengths.mean() / _values(images))
    total = 0.0
    for fit_rows, score_rows in (_folds(len(images), seed), _folds(len(images), seed)[::-1]):
        counts = ctx.fit_counts(sym[fit_rows], ser.levels)
        total += ctx.lengths_given_counts(data.take(score_rows), counts).sum()
    return float(total / (len(images) * _values(images)))


def _class_savings(ctx, levels, data, score_labels, fit_sym, fit_labels, rng) -> list:
    """Per scored image: length under as many random fit images' counts minus under its
    class's fit images' counts."""
    saved = []
    for c in np.unique(fit_labels):
        scored = np.flatnonzero(score_labels == c)
        if not len(scored):
            continue
        members = np.flatnonzero(fit_labels == c)
        control = rng.choice(len(fit_labels), len(members), replace=False)
        part = data.take(scored)
        class_len = ctx.lengths_given_counts(part, ctx.fit_counts(fit_sym[members], levels))
        ctrl_len = ctx.lengths_given_counts(part, ctx.fit_counts(fit_sym[control], levels))
        saved.append(ctrl_len - class_len)
    return saved


def label_information(images: np.ndarray, labels: np.ndarray, serializer: str = "q4",
                      seed: int = 0, reference: np.ndarray | None = None,
                      reference_labels: np.ndarray | None = None) -> float:  # fmt: skip
    """Mean bits per image saved by coding it with its class's counts instead of the counts of
    as many random images (both from the other fold, so no image informs its own model; or,
    given ``reference`` images and labels, both from the reference set)."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    ser = get_serializer(serializer).fit(images if reference is None else reference)
    sym = ser.transform(images)
    ctx = ContextCoder()
    data = ctx.prepare(sym, ser.levels)
    if reference is not None:
        saved = _class_savings(ctx, ser.levels, data, labels, ser.transform(reference),
                               np.asarray(reference_labels), rng)  # fmt: skip
        return float(np.concatenate(saved).mean())
    saved = []
    for fit_rows, score_rows in (_folds(len(images), seed), _folds(len(images), seed)[::-1]):
        saved += _class_savings(ctx, ser.levels, data.take(score_rows), labels[score_rows],
                                sym[fit_rows], labels[fit_rows], rng)  # fmt: skip
    return float(np.concatenate(saved).mean())


def intrinsic_dimension(images: np.ndarray, k: int = 20, max_images: int = 2000,
                        seed: int = 0) -> float:  # fmt: skip
    """Levina-Bickel maximum-likelihood intrinsic dimension from the ``k`` nearest neighbors
    (L2 on pixels) of up to ``max_images`` images, averaged as the inverse of the mean inverse."""
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(images), min(max_images, len(images)), replace=False)
    x = images[pick].reshape(len(pick), -1).astype(np.float64)
    dist, _ = NearestNeighbors(n_neighbors=k + 1).fit(x).kneighbors(x)
    dist = np.maximum(dist[:, 1:], 1e-12)  # drop the point itself
    inv = np.log(dist[:, -1:] / dist[:, :-1]).sum(axis=1) / (k - 1)
    return float(1.0 / np.mean(inv[inv > 0]))


def pixel_variance(images: np.ndarray) -> float:
    """Mean over pixels of the variance across images (values 0..255)."""
    return float(images.reshape(len(images), -1).astype(np.float64).var(axis=0).mean())


#: Predictors by column name: ``f(images, labels, reference) -> float``.
PREDICTORS: Registry[Callable[..., float]] = Registry("predictor", "ncdvision.predictors")
#: Register a predictor: ``register_predictor("name", f)``.
register_predictor = PREDICTORS.register
#: The predictor the studies' first claims are judged on, fixed before any result was seen:
#: the strongest lossless model of the panel that needs no labels.
PRIMARY = "ctx trained bpp"
#: The label-aware predictor the learnability study's second claim is judged on, fixed before
#: the panel was run: the prequential code length of the pilot's labels (:mod:`.prequential`).
PRIMARY_LABEL = "prequential share (logreg pilot)"

_BUILTIN: dict[str, Callable[..., float]] = {
    **{f"{c} bpp": (lambda x, y, ref, c=c: codec_bpp(x, c))
       for c in ("zlib", "bz2", "lzma", "zstd", "brotli", "png", "webp", "jpegxl", "jpegls")},
    **{f"{c} stream bpp": (lambda x, y, ref, c=c: stream_bpp(x, c)) for c in ("zstd", "lzma")},
    "ctx bpp": lambda x, y, ref: context_bpp(x),
    "ctx trained bpp": lambda x, y, ref: context_bpp(
        x, trained=True, reference=None if ref is None else ref.images),
    "label information (bits/image)": lambda x, y, ref: label_information(
        x, y, reference=None if ref is None else ref.images,
        reference_labels=None if ref is None else ref.labels),
    "prequential share (logreg pilot)": lambda x, y, ref: prequential_share(x, y),
    "ncd pilot loo error": lambda x, y, ref: ncd_pilot_loo_error(x, y),
    "intrinsic dimension": lambda x, y, ref: intrinsic_dimension(x),
    "pixel variance": lambda x, y, ref: pixel_variance(x),
}  # fmt: skip
for _name, _f in _BUILTIN.items():
    register_predictor(_name, _f)
#: The built-in predictors' columns.
BUILTIN_PREDICTORS = tuple(_BUILTIN)


def predictors(names=(), builtin=None) -> dict[str, Callable[..., float]]:
    """The predictors a study runs, by column: ``builtin`` (default: every built-in one),
    then each of ``names``, registered or of an installed package (unknown names fail here,
    before any work); a package's predictor's column is its name and `` bpp``.

    Parameters
    ----------
    names : sequence of str, default=()
        Extra predictors asked for by name.
    builtin : sequence of str, optional
        Built-in columns to run (default: all of them).

    Returns
    -------
    dict of str to callable
    """
    out = {n: PREDICTORS.get(n) for n in (BUILTIN_PREDICTORS if builtin is None else builtin)}
    for n in names:
        out[n if n in BUILTIN_PREDICTORS else f"{n} bpp"] = PREDICTORS.get(n)
    return out
