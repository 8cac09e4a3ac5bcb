"""Label issues from leave-one-out neighbours under a compression distance.

Each image's k nearest *other* images vote on its class (:func:`vote_fractions`). The label
score is the **margin** of the given label: its vote fraction minus the largest fraction of any
other class, in [-1, 1]. An image is a likely label issue when the margin is below
``threshold`` (default -0.3: another class has at least 30 points more of the vote than the
given one). The suggested label is the leading other class (ties: the class of the nearest
such neighbour, as in :func:`~ncdvision.ncd.neighbors.vote`).

The alternative, ``method="cleanlab"``, hands the same out-of-sample vote fractions to
cleanlab's ``find_label_issues`` (confident learning); it needs the optional ``cleanlab``
package.
"""

from __future__ import annotations

import numpy as np

from ..neighbors import vote_fractions

#: Neighbours that vote on each image's label.
LABEL_K = 15
#: Margin below which an image is flagged (chosen on mnist-5k, seed 1 of the planted noise).
LABEL_MARGIN = -0.3
#: Vote mass added to every class before cleanlab sees the fractions (no zero probabilities).
CLEANLAB_SMOOTHING = 0.01


def label_scores(neighbor_labels: np.ndarray, labels: np.ndarray, n_classes: int) -> dict:
    """Per image: ``p_given`` (vote fraction of the given label), ``margin``, ``suggested``
    (the leading other class; the given label when no neighbour disagrees) and ``consensus``
    (the largest vote fraction of any class)."""
    labels = np.asarray(labels)
    n = len(labels)
    frac = vote_fractions(neighbor_labels, n_classes)
    rows = np.arange(n)
    p_given = frac[rows, labels]
    other = frac.copy()
    other[rows, labels] = -1.0
    top_other = other.max(axis=1)
    # the nearest neighbour whose class is a leading other class
    is_top = (np.take_along_axis(other, neighbor_labels, 1) == top_other[:, None]) & (
        neighbor_labels != labels[:, None]
    )
    first = np.argmax(is_top, axis=1)
    suggested = np.where(is_top.any(axis=1), neighbor_labels[rows, first], labels)
    return {
        "p_given": p_given,
        "margin": p_given - np.maximum(top_other, 0.0),
        "suggested": suggested.astype(np.int64),
        "consensus": frac.max(axis=1),
    }


def knn_label_issues(margin: np.ndarray, threshold: float = LABEL_MARGIN) -> np.ndarray:
    """Flag of each image whose label margin is below ``threshold``."""
    return np.asarray(margin) < threshold


def cleanlab_label_issues(labels: np.ndarray, neighbor_labels: np.ndarray,
                          n_classes: int) -> np.ndarray:  # fmt: skip
    """cleanlab's ``find_label_issues`` on the smoothed leave-one-out vote fractions."""
    try:
        from cleanlab.filter import find_label_issues
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "method='cleanlab' needs the cleanlab package: pip install 'ncdvision[filter]'"
        ) from exc
    p = vote_fractions(neighbor_labels, n_classes) + CLEANLAB_SMOOTHING
    return np.asarray(find_label_issues(np.asarray(labels), p / p.sum(axis=1, keepdims=True)))
