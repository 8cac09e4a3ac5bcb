"""``find_issues``: label issues, junk and duplicates of one dataset, as one table.

Work is done in stages whose results are cached (``cache=`` a folder) under a key of the
images, labels and settings, each written atomically: a killed run resumes from the last
finished stage. Nothing about the dataset is changed; :func:`~.write.write_filtered` writes
the cleaner copy.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ..cache import ResultCache, content_key
from .context import Context
from .rules import RULES, Thresholds

#: The built-in rules, run by default (:data:`~.rules.RULES` lists every registered one).
ISSUE_KINDS = ("label", "junk", "duplicate")


@dataclass
class IssueReport:
    """What :func:`find_issues` found.

    Parameters
    ----------
    table : dict of str to ndarray
        One entry per column, one row per image (``index``, ``label``, the scores,
        ``suggested``, ``dup_group``, ``duplicate_of``, ``leak_of``).
    flags : dict of str to ndarray of bool
        One array per reason of the rules that ran, in the registry's order.
    settings : dict, optional
        The choices made (codec, candidates, thresholds).
    neighbors : tuple of ndarray, optional
        ``(distances, indices)`` of each image's leave-one-out label neighbors, (n, label_k)
        each, when a rule read them: why an image was flagged, for the review page.
    data_hash : str, default=""
        A content hash of the images and labels the report was made from.
    """

    table: dict[str, np.ndarray]
    flags: dict[str, np.ndarray]
    settings: dict = field(default_factory=dict)
    neighbors: tuple[np.ndarray, np.ndarray] | None = None
    data_hash: str = ""

    @property
    def flagged(self) -> np.ndarray:
        """Images flagged for any reason."""
        out = np.zeros(len(self.table["index"]), bool)
        for f in self.flags.values():
            out |= f
        return out

    def keep(self, relabel: bool = False) -> np.ndarray:
        """The images a filtered copy keeps.

        Parameters
        ----------
        relabel : bool, default=False
            Also keep the images flagged for their label alone (under the suggested label).

        Returns
        -------
        ndarray of bool, shape (n,)
        """
        if not relabel:
            return ~self.flagged
        others = [f for r, f in self.flags.items() if r != "label"]
        return ~np.logical_or.reduce(others) if others else np.ones(len(self.flagged), bool)

    def reasons(self) -> list[str]:
        """The reasons of each image.

        Returns
        -------
        list of str
            ``;``-joined reasons per image (empty for a clean one).
        """
        names = list(self.flags)
        return [";".join(r for r in names if self.flags[r][i]) for i in range(len(self.flagged))]

    def label_pairs(self, class_names=None, top: int = 10) -> list[tuple]:
        """The most common (given, suggested, count) among the label flags, most first.

        On real labels these are mostly the pairs of classes a set confuses (shirt and
        T-shirt in Fashion-MNIST): a reason to look before removing, not proof of errors.

        Parameters
        ----------
        class_names : sequence of str, optional
            Names for the classes (default: their indices).
        top : int, default=10
            Pairs returned.

        Returns
        -------
        list of tuple
            ``(given, suggested, count)``.
        """
        if "label" not in self.flags:
            return []
        rows = np.flatnonzero(self.flags["label"])
        pairs = np.stack([self.table["label"][rows], self.table["suggested"][rows]], axis=1)
        uniq, counts = np.unique(pairs, axis=0, return_counts=True)
        order = np.argsort(-counts, kind="stable")[:top]  # ties: by class index
        name = (lambda c: int(c)) if class_names is None else (lambda c: class_names[c])
        return [(name(uniq[i, 0]), name(uniq[i, 1]), int(counts[i])) for i in order]

    def summary(self) -> dict:
        return {
            "n_images": int(len(self.flagged)),
            "n_flagged": int(self.flagged.sum()),
            "by_reason": {r: int(f.sum()) for r, f in self.flags.items()},
            "n_duplicate_groups": int(self.table["dup_group"].max(initial=-1) + 1)
            if "dup_group" in self.table
            else None,
            "settings": self.settings,
        }


def judged_rows(y: np.ndarray, class_names, k: int) -> tuple[np.ndarray, str]:
    """Which images the neighbor rules (label, outlier) can judge, and why others are not.

    Both rules read an image's ``k`` leave-one-out neighbors. A class with ``k`` or fewer
    other images cannot fill a neighborhood even when every label is right, so its images
    would look mislabelled and isolated by construction (with 6 images per class every image
    was flagged); with one class there is no other label and no chance level. Their images
    are left unjudged.

    Parameters
    ----------
    y : ndarray of int, shape (n,)
        The labels.
    class_names : sequence of str
        The class names.
    k : int
        Neighbors read per image.

    Returns
    -------
    judged : ndarray of bool, shape (n,)
    why : str
        Why some images are not judged (empty when all are).
    """
    counts = np.bincount(y, minlength=len(class_names))
    if np.count_nonzero(counts) < 2:
        return np.zeros(len(y), bool), "was skipped: it needs at least two classes"
    small = np.flatnonzero((counts > 0) & (counts <= k))
    if not len(small):
        return np.ones(len(y), bool), ""
    why = (f"was skipped for {len(small)} class(es) with at most {k} images (it reads {k} "
           f"neighbors of the same class): {', '.join(str(class_names[c]) for c in small[:10])}")  # fmt: skip
    return ~np.isin(y, small), why


def find_issues(
    dataset,
    issues=ISSUE_KINDS,
    *,
    codec="auto",
    serializer="auto",
    method: str = "knn",
    against=None,
    thresholds: Thresholds | None = None,
    recall: float = 0.99,
    n_jobs: int | None = -1,
    seed: int = 0,
    cache=None,
    progress: bool | None = None,
    prior: str = "labels",
) -> IssueReport:
    """Score every image of ``dataset`` for label issues, junk and duplicates.

    Each name in ``issues`` is a registered filter rule (:data:`~.rules.RULES`); the rules run
    in the registry's order over one :class:`~.context.Context`, whose shared stages (the
    label neighbors, the information scores) are computed once.

    Parameters
    ----------
    dataset : :class:`~ncdvision.datasets.Dataset`
        The images and labels.
    issues : sequence of str, default=ISSUE_KINDS
        Names of registered rules.
    codec, serializer : str or object, default="auto"
        The compression distance of the label neighbors (``"auto"``: chosen by leave-one-out
        accuracy on the given labels, as :class:`NCDKNNClassifier` does).
    method : {"knn", "cleanlab"}, default="knn"
        Label flags from the vote margin, or from cleanlab's ``find_label_issues`` fed with the
        same leave-one-out vote fractions.
    against : Dataset, optional
        A second set (e.g. the test split): images of ``dataset`` that duplicate one of its
        images are flagged ``leak``.
    thresholds : :class:`~.rules.Thresholds`, optional
        Every rule's thresholds (defaults: each rule's).
    recall : float, default=0.99
        Target recall of the candidate cascade for the label neighbors.
    n_jobs : int or None, default=-1
        Threads.
    seed : int, default=0
        Seed of the neighbor search's random choices.
    cache : folder, optional
        Where stage results are kept so that a rerun resumes.
    progress : bool, optional
        Progress bars (None: on a terminal).
    prior : {"labels", "images"}, default="labels"
        What a learned coder's prior (``ctx-ref-learned``) learns from: same-class pairs of
        the given labels, or each image's nearest images without the labels
        (``fit(X, y, X_unlabeled=X)``), which the wrong labels the filter looks for cannot
        corrupt. The setting is chosen on the given labels either way.

    Returns
    -------
    IssueReport
    """
    issues = tuple(issues)
    if not issues:
        raise ValueError(f"issues must name at least one filter rule; known: {RULES.names()}")
    order = [*ISSUE_KINDS, *(n for n in RULES.names() if n not in ISSUE_KINDS)]
    rules = sorted({RULES.get(name) for name in issues}, key=lambda r: order.index(r.name))
    if method not in ("knn", "cleanlab"):
        raise ValueError(f"method must be 'knn' or 'cleanlab', got {method!r}")
    if prior not in ("labels", "images"):
        raise ValueError(f"prior must be 'labels' or 'images', got {prior!r}")
    th = thresholds or Thresholds()
    X, y = dataset.images, dataset.labels
    if len(X) < th.label_k + 1 and any("neighbors" in r.needs for r in rules):
        raise ValueError(f"{dataset.name}: {len(X)} images; the label and junk checks need "
                         f"more than label_k={th.label_k}")  # fmt: skip
    if against is not None and against.image_shape != dataset.image_shape:
        raise ValueError(f"against: images of shape {against.image_shape}, expected "
                         f"{dataset.image_shape} like {dataset.name}")  # fmt: skip
    judged, why = judged_rows(y, dataset.class_names, th.label_k)
    ctx = Context(dataset, th, ResultCache(cache, key=content_key(X, np.asarray(y, np.int64))),
                  judged, against, codec, serializer, method, recall, n_jobs, seed, progress,
                  prior=prior)  # fmt: skip
    ctx.table.update(index=np.arange(len(X)), label=y)
    skipped = [{"rule": reason, "why": why} for r in rules for reason in r.judged if why]
    ctx.settings.update(issues=[r.name for r in rules], method=method, prior=prior,
                        thresholds=th.asdict(), skipped=skipped)  # fmt: skip
    for s in skipped:
        warnings.warn(f"{dataset.name}: the {s['rule']} rule {s['why']}", stacklevel=2)
    flags: dict[str, np.ndarray] = {}
    for rule in rules:
        flags.update(rule().find(ctx))
    nb = ctx.neighbors_found
    return IssueReport(ctx.table, flags, ctx.settings,
                       None if nb is None else (nb["dist"], nb["idx"]), ctx.cache.key)  # fmt: skip
