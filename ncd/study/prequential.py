"""Label-aware predictors computed on a small pilot: the prequential code length of the
labels given the images, and the NCD kNN leave-one-out error.

The prequential (online) code length of the labels (Blier & Ollivier 2018; Voita & Titov 2020)
sends the labels in order, block by block; each block is coded with the predictions of a
model fitted on every label before it, so the total is the area under the learner's learning
curve measured in log-loss. The first block is sent with a uniform code. A model's
probabilities are mixed with the uniform ones, ``p = (t p_model + 1) / (t + K)`` after ``t``
labels of ``K`` classes (one pseudo-label per class), so a class the prefix has not shown yet
costs a finite length and the code is decodable.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.base import BaseEstimator

#: Labelled images the pilot predictors see (a stratified sample of the pool).
PILOT_SIZE = 160
#: Where the prequential code's blocks end (the first block is coded uniformly).
BLOCKS = (10, 20, 40, 80, 160)


def _model_proba(make_model: Callable[[], BaseEstimator], X, y_prefix, X_block,
                 n_classes: int) -> np.ndarray:  # fmt: skip
    """The model's class probabilities for ``X_block`` over all ``n_classes`` labels (a prefix
    of one class gives that class probability 1)."""
    seen = np.unique(y_prefix)
    out = np.zeros((len(X_block), n_classes))
    if len(seen) == 1:
        out[:, seen[0]] = 1.0
        return out
    model = make_model().fit(X, y_prefix)
    out[:, np.asarray(model.classes_, dtype=np.int64)] = model.predict_proba(X_block)
    return out


def prequential_code_length(X, y, make_model: Callable[[], BaseEstimator], blocks=BLOCKS,
                            n_classes: int | None = None) -> dict:  # fmt: skip
    """Bits to send ``y[:blocks[-1]]`` in order, each block coded by ``make_model()`` fitted on
    the labels before it.

    Parameters
    ----------
    X : array-like of shape (n, ...)
        The images (or any input ``make_model()`` takes), in sending order.
    y : array-like of shape (n,)
        Their labels.
    make_model : callable
        Returns a fresh classifier with ``fit`` and ``predict_proba``.
    blocks : sequence of int, default=BLOCKS
        Increasing ends of the blocks; ``y[:blocks[0]]`` is sent with a uniform code.
    n_classes : int, optional
        The number of classes K (default: those in ``y``).

    Returns
    -------
    dict
        ``bits`` (total), ``bits_per_label``, ``uniform_bits`` (``n log2 K``), ``share`` (bits
        over uniform bits: 1 for labels the images say nothing about, toward 0 for labels the
        images determine) and ``n``.
    """
    X = np.asarray(X)
    classes, y = np.unique(np.asarray(y), return_inverse=True)
    k = int(n_classes or len(classes))
    ends = [int(b) for b in blocks]
    if ends != sorted(set(ends)) or ends[0] < 1 or ends[-1] > len(y):
        raise ValueError(f"blocks must increase within [1, {len(y)}], got {list(blocks)}")
    if k < 2:
        raise ValueError(f"the prequential code needs at least 2 classes, got {k}")
    bits = ends[0] * np.log2(k)
    for start, end in zip(ends[:-1], ends[1:], strict=True):
        p_model = _model_proba(make_model, X[:start], y[:start], X[start:end], k)
        p = (start * p_model[np.arange(end - start), y[start:end]] + 1.0) / (start + k)
        bits += float(-np.log2(p).sum())
    n = ends[-1]
    return {"bits": float(bits), "bits_per_label": float(bits / n),
            "uniform_bits": float(n * np.log2(k)), "share": float(bits / (n * np.log2(k))),
            "n": n}  # fmt: skip


def pilot_sample(images, labels, size: int = PILOT_SIZE, seed: int = 0):
    """A stratified sample of ``size`` labelled images in a seeded random order (all of them
    when there are fewer)."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    if len(labels) > size:
        from ncdvision.datasets import Dataset

        ds = Dataset(
            np.asarray(images), labels, tuple(map(str, range(int(labels.max()) + 1))), "pilot"
        )
        sub = ds.subset(n=size, seed=seed)
        images, labels = sub.images, sub.labels
    order = rng.permutation(len(labels))
    return np.asarray(images)[order], labels[order]


def prequential_share(images, labels, reference=None) -> float:
    """The prequential code of a pilot's labels under pixel logistic regression, as a share
    of the uniform code (:func:`prequential_code_length`).

    Parameters
    ----------
    images : ndarray
        The training images.
    labels : ndarray
        Their labels.
    reference : Dataset, optional
        Unused (the registry's signature).

    Returns
    -------
    float
    """
    from .learners import make_learner

    x, y = pilot_sample(images, labels)
    k = len(np.unique(labels))
    return prequential_code_length(x, y, lambda: make_learner("logreg"),
                                   [b for b in BLOCKS if b <= len(y)], k)["share"]  # fmt: skip


def ncd_pilot_loo_error(images, labels, reference=None) -> float:
    """Leave-one-out error of NCD kNN (``ctx-ref-learned`` on ``thermo:3``, k chosen by the
    same leave-one-out) on the pilot.

    Parameters
    ----------
    images : ndarray
        The training images.
    labels : ndarray
        Their labels.
    reference : Dataset, optional
        Unused (the registry's signature).

    Returns
    -------
    float
    """
    from ..knn import NCDKNNClassifier

    x, y = pilot_sample(images, labels)
    clf = NCDKNNClassifier(codec="ctx-ref-learned", serializer="thermo:3", selection="full")
    return float(1.0 - clf.fit(x, y).loo_accuracy_)
