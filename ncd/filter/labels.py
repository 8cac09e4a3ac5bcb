"""Label issues from leave-one-out neighbors under a compression distance.

Each image's k nearest *other* images vote on its class (:func:`vote_fractions`). The label
score is the **margin** of the given label: its vote fraction minus the largest fraction of any
other class, in [-1, 1]. An image is a likely label issue when the margin is below
``threshold`` (default -0.3: another class has at least 30 points more of the vote than the
given one). The suggested label is the leading other class (ties: the class of the nearest
such neighbor, as in :func:`~ncdvision.ncd.neighbors.vote`).

The alternative, ``method="cleanlab"``, hands the same out-of-sample vote fractions to
cleanlab's ``find_label_issues`` (confident learning); it needs the optional ``cleanlab``
package.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..neighbors import vote, vote_fractions
from .rules import Rule, RuleThresholds, register_rule, threshold

#: Neighbors that vote on each image's label.
LABEL_K = 15
#: Margin below which an image is flagged (chosen on mnist-5k, seed 1 of the planted noise).
LABEL_MARGIN = -0.3
#: Vote mass added to every class before cleanlab sees the fractions (no zero probabilities).
CLEANLAB_SMOOTHING = 0.01


def label_scores(neighbor_labels: np.ndarray, labels: np.ndarray, n_classes: int) -> dict:
    """Per image: ``p_given`` (vote fraction of the given label), ``margin``, ``suggested``
    (the leading other class; the given label when no neighbor disagrees) and ``consensus``
    (the largest vote fraction of any class)."""
    labels = np.asarray(labels)
    n = len(labels)
    frac = vote_fractions(neighbor_labels, n_classes)
    rows = np.arange(n)
    p_given = frac[rows, labels]
    other = frac.copy()
    other[rows, labels] = -1.0
    suggested = vote(neighbor_labels, n_classes, exclude=labels)  # the leading other class
    suggested = np.where(suggested >= 0, suggested, labels)
    return {
        "p_given": p_given,
        "margin": p_given - np.maximum(other.max(axis=1), 0.0),
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


@dataclass
class LabelThresholds(RuleThresholds):
    """The label rule's thresholds."""

    label_k: int = threshold(LABEL_K, 1, None, "neighbors read per image")
    label_margin: float = threshold(
        LABEL_MARGIN, -1.0, 1.0, "a vote margin, the given label's share minus the best "
        "other's (1 or more would flag every image)", below=True,
    )  # fmt: skip


@register_rule
class LabelRule(Rule):
    """Likely wrong labels: the leave-one-out neighbors vote for another class."""

    name = "label"
    reasons = ("label",)
    thresholds = LabelThresholds
    needs = ("neighbors",)
    judged = ("label",)
    ranking = {"label": ("label_margin", 1)}
    scores = {"label_margin": "margin", "p_given": "p(given)"}

    def find(self, ctx) -> dict[str, np.ndarray]:
        """Flag labels by the vote margin, or by cleanlab on the same vote fractions.

        Parameters
        ----------
        ctx : Context
            The run's data, stages and thresholds.

        Returns
        -------
        dict
            ``{"label": flags}``.
        """
        nb = ctx.neighbors()
        if ctx.method == "knn":
            flag = knn_label_issues(ctx.table["label_margin"], ctx.thresholds.label_margin)
        else:
            flag = cleanlab_label_issues(ctx.labels, ctx.labels[nb["idx"]], ctx.n_classes)
        return {"label": ctx.judged & flag}

    def caption(self, reason: str, table: dict, i: int, class_names) -> str:
        """``→ suggested class``; see :meth:`Rule.caption`.

        Parameters
        ----------
        reason : str
            ``"label"``.
        table : dict
            The report's columns.
        i : int
            The image.
        class_names : sequence of str
            The class names.

        Returns
        -------
        str
        """
        return f"→ {class_names[table['suggested'][i]]}"
