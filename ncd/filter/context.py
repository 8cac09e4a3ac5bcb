"""What the filter rules read during one ``find_issues`` run: the dataset, the thresholds,
and shared stages computed once, on first use, and cached (``cache=`` a folder) under a key of
the images, labels and settings, so that a killed run resumes from the last finished stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..cache import ResultCache
from ..cascade import RECALL_QUERIES
from ..knn import NCDKNNClassifier
from ..search import FIRST_STAGE
from .labels import label_scores
from .rules import Thresholds


@dataclass
class Context:
    """The inputs and shared stages of one filter run.

    Parameters
    ----------
    dataset : Dataset
        The images and labels.
    thresholds : Thresholds
        Every rule's thresholds.
    cache : ResultCache
        Where stage results are kept.
    judged : ndarray of bool, shape (n,)
        Images the neighbor rules may judge (in classes large enough).
    against : Dataset, optional
        A second set to check leaks against.
    codec, serializer : str or object
        The compression distance of the label neighbors (``"auto"``: chosen).
    method : {"knn", "cleanlab"}
        How the label rule flags.
    recall : float
        Target recall of the candidate cascade.
    n_jobs : int or None
        Threads.
    seed : int
        Seed of the neighbor search's random choices.
    progress : bool or None
        Progress bars.
    prior : {"labels", "images"}
        What a learned coder's prior learns from: same-class pairs of the given labels, or
        each image's nearest images, which no wrong label can corrupt.
    table : dict of str to ndarray, optional
        Score columns, one row per image; rules add theirs.
    settings : dict, optional
        Choices made (codec, candidates, computed thresholds); rules add theirs.
    """

    dataset: object
    thresholds: Thresholds
    cache: ResultCache
    judged: np.ndarray
    against: object = None
    codec: object = "auto"
    serializer: object = "auto"
    method: str = "knn"
    recall: float = 0.99
    n_jobs: int | None = -1
    seed: int = 0
    progress: bool | None = None
    prior: str = "labels"
    table: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    _neighbors: dict | None = field(default=None, init=False, repr=False)

    @property
    def images(self) -> np.ndarray:
        """The images, (n, H, W) or (n, H, W, C) uint8."""
        return self.dataset.images

    @property
    def labels(self) -> np.ndarray:
        """The given labels, (n,) int."""
        return self.dataset.labels

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return len(self.dataset.class_names)

    @property
    def neighbors_found(self) -> dict | None:
        """The neighbors when a rule asked for them (:meth:`neighbors`), else None."""
        return self._neighbors

    def neighbors(self) -> dict:
        """Each image's ``label_k`` leave-one-out neighbors under the chosen distance.

        The first call computes them (or reads the cache) and adds the neighbor scores to
        :attr:`table`: ``label_margin``, ``p_given``, ``suggested``, ``consensus`` (the
        largest class share among an image's neighbors), ``neighborhood`` (the mean
        consensus of its neighbors) and ``neighbor_distance`` (its mean distance to them).

        Returns
        -------
        dict
            ``dist`` and ``idx``, (n, label_k) each, nearest first.
        """
        if self._neighbors is None:
            y, k = self.labels, self.thresholds.label_k
            spec = {"codec": self.codec if isinstance(self.codec, str) else repr(self.codec),
                    "serializer": str(self.serializer), "k": k, "recall": self.recall,
                    "seed": self.seed, "recall_queries": RECALL_QUERIES,
                    "first_stage": FIRST_STAGE}  # fmt: skip
            if self.prior != "labels":  # caches of the default stay valid
                spec["prior"] = self.prior
            nb = self.cache.get(spec, self._search, "neighbors", arrays=True)
            self.settings.update(
                codec=str(nb["codec"]), serializer=str(nb["serializer"]),
                candidates=int(nb["candidates"]) if nb["candidates"] >= 0 else None,
                cascade_recall=float(nb["recall"]),
            )  # fmt: skip
            sc = label_scores(y[nb["idx"]], y, self.n_classes)
            self.table.update(label_margin=sc["margin"], p_given=sc["p_given"],
                              suggested=sc["suggested"], consensus=sc["consensus"],
                              neighborhood=sc["consensus"][nb["idx"]].mean(axis=1),
                              neighbor_distance=nb["dist"].mean(axis=1))  # fmt: skip
            self._neighbors = {"dist": nb["dist"], "idx": nb["idx"]}
        return self._neighbors

    def _search(self) -> dict:
        """Leave-one-out top-k under the setting ``auto`` picks on these (given) labels."""
        # exact_pairs=0: the cascade at ``recall`` whatever the set's size
        clf = NCDKNNClassifier(codec=self.codec, serializer=self.serializer, k="auto",
                               n_jobs=self.n_jobs, search="auto", recall=self.recall,
                               exact_pairs=0, random_state=self.seed)  # fmt: skip
        pool = {"X_unlabeled": self.images} if self.prior == "images" else {}
        clf.fit(self.images, self.labels, **pool)
        dist, idx = clf.kneighbors(None, self.thresholds.label_k, progress=self.progress)
        m, recalls = clf.cascade(self.thresholds.label_k)
        return {
            "dist": dist,
            "idx": idx,
            "codec": np.array(clf.settings()["codec"]),
            "serializer": np.array(clf.compressor_.serializer.name),
            "candidates": np.array(-1 if m is None else m),
            "recall": np.array(recalls.get(m, 1.0) if m is not None else 1.0),
        }

    def stage(self, name: str, settings: dict, compute) -> dict:
        """A cached stage of a rule's own: ``compute()`` (a dict of arrays) once per
        ``settings``.

        Parameters
        ----------
        name : str
            The stage's name.
        settings : dict
            What the result depends on besides the data (JSON-serialisable).
        compute : callable
            Returns a dict of arrays.

        Returns
        -------
        dict of str to ndarray
        """
        return self.cache.get(settings, compute, name, arrays=True)
