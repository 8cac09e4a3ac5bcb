"""``find_issues``: label issues, junk and duplicates of one dataset, as one table.

Work is done in stages whose results are cached (``cache=`` a folder) under a key of the
images, labels and settings, each written atomically: a killed run resumes from the last
finished stage. Nothing about the dataset is changed; :func:`~.write.write_filtered` writes
the cleaner copy.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field

import numpy as np

from ..cache import ResultCache, content_key
from ..knn import NCDKNNClassifier
from ..search import FIRST_STAGE, RECALL_QUERIES
from . import duplicates as dup
from . import junk
from . import labels as lab

ISSUE_KINDS = ("label", "junk", "duplicate")
REASONS = ("label", "blank", "noise", "outlier", "duplicate", "leak")


@dataclass
class Thresholds:
    """Every rule's threshold; the defaults were chosen on mnist-5k (see each module)."""

    label_k: int = lab.LABEL_K
    label_margin: float = lab.LABEL_MARGIN
    blank: float = junk.BLANK_RATIO
    noise: float = junk.NOISE_RATIO
    #: None: the chance level for ``label_k`` neighbours and the set's classes
    outlier_neighbourhood: float | None = None
    outlier_z: float = junk.OUTLIER_Z
    #: None: the flagged neighbours that random flags at the seeds' rate reach by chance
    outlier_join: int | None = None
    near: float = dup.NEAR_THRESHOLD
    near_ratio: float = dup.NEAR_RATIO

    #: (lowest, highest, what the value means) of each threshold; None: no bound that side
    RANGES = {
        "label_k": (1, None, "neighbours read per image"),
        "label_margin": (-1.0, 1.0, "a vote margin, the given label's share minus the best "
                         "other's (1 or more would flag every image)"),
        "blank": (0.0, None, "an information ratio"),
        "noise": (0.0, None, "an information ratio"),
        "outlier_neighbourhood": (0.0, 1.0, "a neighbourhood consensus"),
        "outlier_z": (0.0, None, "robust standard deviations"),
        "outlier_join": (1, None, "flagged neighbours"),
        "near": (0.0, 1.5, "a compression distance"),
        "near_ratio": (0.0, 1.0, "the nearest distance over the second nearest"),
    }  # fmt: skip

    def __post_init__(self):
        for name, (lo, hi, what) in self.RANGES.items():
            v = getattr(self, name)
            if v is None and name in ("outlier_neighbourhood", "outlier_join"):
                continue
            integral = name in ("label_k", "outlier_join")
            ok = isinstance(v, (int, np.integer) if integral else (int, float, np.number))
            ok = ok and not isinstance(v, bool) and np.isfinite(v)
            if not ok or v < lo or (hi is not None and (v >= hi if name == "label_margin"
                                                        else v > hi)):  # fmt: skip
                top = "" if hi is None else (f" and below {hi}" if name == "label_margin"
                                             else f" and at most {hi}")  # fmt: skip
                raise ValueError(f"threshold {name} must be {'an integer' if integral else 'a number'} "
                                 f"of at least {lo}{top} ({what}); got {v!r}")  # fmt: skip


@dataclass
class IssueReport:
    """What :func:`find_issues` found.

    ``table`` has one entry per column, one row per image (``index``, ``label``, the scores,
    ``suggested``, ``dup_group``, ``duplicate_of``, ``leak_of``); ``flags`` one boolean array
    per reason in :data:`REASONS` that was checked; ``settings`` the choices made (codec,
    candidates, thresholds).
    """

    table: dict[str, np.ndarray]
    flags: dict[str, np.ndarray]
    settings: dict = field(default_factory=dict)
    #: (distances, indices) of each image's leave-one-out label neighbours, (n, label_k) each,
    #: when the label or junk check ran: why an image was flagged, for the review page
    neighbours: tuple[np.ndarray, np.ndarray] | None = None
    #: a content hash of the images and labels the report was made from
    data_hash: str = ""

    @property
    def flagged(self) -> np.ndarray:
        """Images flagged for any reason."""
        out = np.zeros(len(self.table["index"]), bool)
        for f in self.flags.values():
            out |= f
        return out

    def keep(self, relabel: bool = False) -> np.ndarray:
        """The images a filtered copy keeps: the unflagged ones, and with ``relabel`` also
        those flagged for their label alone (kept under the suggested label)."""
        if not relabel:
            return ~self.flagged
        others = [f for r, f in self.flags.items() if r != "label"]
        return ~np.logical_or.reduce(others) if others else np.ones(len(self.flagged), bool)

    def reasons(self) -> list[str]:
        """``;``-joined reasons per image (empty for a clean one)."""
        names = list(self.flags)
        return [";".join(r for r in names if self.flags[r][i]) for i in range(len(self.flagged))]

    def label_pairs(self, class_names=None, top: int = 10) -> list[tuple]:
        """The most common (given, suggested, count) among the label flags, most first.

        On real labels these are mostly the pairs of classes a set confuses (shirt and
        T-shirt in Fashion-MNIST): a reason to look before removing, not proof of errors.
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


def _label_neighbours(X, y, codec, serializer, k, recall, n_jobs, seed, progress) -> dict:
    """Leave-one-out top-k under the setting ``auto`` picks on these (given) labels."""
    # exact_pairs=0: the cascade at ``recall`` whatever the set's size
    clf = NCDKNNClassifier(codec=codec, serializer=serializer, k="auto", n_jobs=n_jobs,
                           search="auto", recall=recall, exact_pairs=0,
                           random_state=seed).fit(X, y)  # fmt: skip
    dist, idx = clf.kneighbors(None, k, progress=progress)
    m, recalls = clf.cascade(k)
    return {
        "dist": dist,
        "idx": idx,
        "codec": np.array(clf.settings()["codec"]),
        "serializer": np.array(clf.compressor_.serializer.name),
        "candidates": np.array(-1 if m is None else m),
        "recall": np.array(recalls.get(m, 1.0) if m is not None else 1.0),
    }


def _near_stage(cache: ResultCache, stage: str, X, other, k: int, n_jobs, progress) -> dict:
    """The duplicate distance's k nearest (within X, or in ``other``), cached."""
    spec = {"k": k, "codec": dup.NEAR_CODEC, "serializer": dup.NEAR_SERIALIZER,
            "first_stage": FIRST_STAGE, "min_side": dup.MIN_SIDE, "shifts": dup.SHIFTS,
            "normalizations": [f.__name__ for f in dup.NORMALIZATIONS],
            "other": None if other is None else content_key(other)}  # fmt: skip

    def compute():
        dist, idx = dup.near_neighbors(X, other, k=k, n_jobs=n_jobs, progress=progress)
        return {"dist": dist, "idx": idx}

    return cache.get(spec, compute, stage, arrays=True)


def judged_rows(y: np.ndarray, class_names, k: int) -> tuple[np.ndarray, list]:
    """Which images the neighbour rules (label, outlier) can judge, and the rules skipped.

    Both rules read an image's ``k`` leave-one-out neighbours. A class with ``k`` or fewer
    other images cannot fill a neighbourhood even when every label is right, so its images
    would look mislabelled and isolated by construction (with 6 images per class every image
    was flagged); with one class there is no other label and no chance level. Their images
    are left unjudged, and the skipped rules are returned as (rule, why) pairs.
    """
    counts = np.bincount(y, minlength=len(class_names))
    if np.count_nonzero(counts) < 2:
        why = "was skipped: it needs at least two classes"
        return np.zeros(len(y), bool), [("label", why), ("outlier", why)]
    small = np.flatnonzero((counts > 0) & (counts <= k))
    if not len(small):
        return np.ones(len(y), bool), []
    why = (f"was skipped for {len(small)} class(es) with at most {k} images (it reads {k} "
           f"neighbours of the same class): {', '.join(str(class_names[c]) for c in small[:10])}")  # fmt: skip
    return ~np.isin(y, small), [("label", why), ("outlier", why)]


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
) -> IssueReport:
    """Score every image of ``dataset`` for label issues, junk and duplicates.

    Parameters
    ----------
    dataset : :class:`~ncdvision.datasets.Dataset`
    issues : subset of :data:`ISSUE_KINDS`
    codec, serializer : the compression distance of the label neighbours (``"auto"``: chosen
        by leave-one-out accuracy on the given labels, as :class:`NCDKNNClassifier` does).
    method : {"knn", "cleanlab"}
        Label flags from the vote margin, or from cleanlab's ``find_label_issues`` fed with the
        same leave-one-out vote fractions.
    against : Dataset, optional
        A second set (e.g. the test split): images of ``dataset`` that duplicate one of its
        images are flagged ``leak``.
    thresholds : :class:`Thresholds`, optional
    recall : float
        Target recall of the candidate cascade for the label neighbours.
    cache : folder, optional
        Where stage results are kept so that a rerun resumes.
    """
    issues = tuple(issues)
    unknown = set(issues) - set(ISSUE_KINDS)
    if unknown or not issues:
        raise ValueError(f"issues must be a non-empty subset of {ISSUE_KINDS}, got {issues}")
    if method not in ("knn", "cleanlab"):
        raise ValueError(f"method must be 'knn' or 'cleanlab', got {method!r}")
    th = thresholds or Thresholds()
    X, y = dataset.images, dataset.labels
    n, n_classes = len(X), len(dataset.class_names)
    if n < th.label_k + 1 and ("label" in issues or "junk" in issues):
        raise ValueError(f"{dataset.name}: {n} images; label and junk checks need more than "
                         f"label_k={th.label_k}")  # fmt: skip
    if against is not None and against.image_shape != dataset.image_shape:
        raise ValueError(f"against: images of shape {against.image_shape}, expected "
                         f"{dataset.image_shape} like {dataset.name}")  # fmt: skip
    cache = ResultCache(cache, key=content_key(X, np.asarray(y, np.int64)))
    table: dict[str, np.ndarray] = {"index": np.arange(n), "label": y}
    flags: dict[str, np.ndarray] = {}
    settings: dict = {"issues": list(issues), "method": method, "thresholds": asdict(th)}
    judged, skipped = judged_rows(y, dataset.class_names, th.label_k)
    settings["skipped"] = [{"rule": r, "why": w} for r, w in skipped
                           if r in issues or (r == "outlier" and "junk" in issues)]  # fmt: skip
    for s in settings["skipped"]:
        warnings.warn(f"{dataset.name}: the {s['rule']} rule {s['why']}", stacklevel=2)

    if "label" in issues or "junk" in issues:
        spec = {"codec": codec if isinstance(codec, str) else repr(codec),
                "serializer": str(serializer), "k": th.label_k, "recall": recall, "seed": seed,
                "recall_queries": RECALL_QUERIES,
                "first_stage": FIRST_STAGE}  # fmt: skip
        nb = cache.get(spec, lambda: _label_neighbours(
            X, y, codec, serializer, th.label_k, recall, n_jobs, seed, progress),
            "neighbours", arrays=True)  # fmt: skip
        settings.update(codec=str(nb["codec"]), serializer=str(nb["serializer"]),
                        candidates=int(nb["candidates"]) if nb["candidates"] >= 0 else None,
                        cascade_recall=float(nb["recall"]))  # fmt: skip
        sc = lab.label_scores(y[nb["idx"]], y, n_classes)
        table.update(label_margin=sc["margin"], p_given=sc["p_given"],
                     suggested=sc["suggested"], consensus=sc["consensus"],
                     neighbourhood=sc["consensus"][nb["idx"]].mean(axis=1),
                     neighbor_distance=nb["dist"].mean(axis=1))  # fmt: skip
        if "label" in issues:
            flags["label"] = judged & (
                lab.knn_label_issues(sc["margin"], th.label_margin)
                if method == "knn"
                else lab.cleanlab_label_issues(y, y[nb["idx"]], n_classes)
            )
    if "junk" in issues:
        ratio = cache.get({"codec": "png", "scale": "mode-const-noise"},
                          lambda: {"ratio": junk.information_ratio(X, n_jobs)},
                          "information", arrays=True)["ratio"]  # fmt: skip
        table["info_ratio"] = ratio
        chance = th.outlier_neighbourhood
        if chance is None:
            chance = junk.chance_consensus(th.label_k, n_classes)
        settings["thresholds"]["outlier_neighbourhood"] = chance
        flags.update(junk.junk_flags(ratio, blank=th.blank, noise=th.noise))
        flags["outlier"], join = junk.outlier_flags(
            table["neighbourhood"], table["neighbor_distance"], nb["idx"],
            judged & ~flags["blank"] & ~flags["noise"], chance=chance, z=th.outlier_z,
            join=th.outlier_join)  # fmt: skip
        settings["thresholds"]["outlier_join"] = join
        table["outlier_neighbours"] = flags["outlier"][nb["idx"]].sum(axis=1)
    if "duplicate" in issues:
        hashes = dup.pixel_hashes(X)
        near = _near_stage(cache, "near", X, None, dup.NEAR_K, n_jobs, progress)
        i, j = dup.duplicate_pairs(near["dist"], near["idx"], hashes, th.near, th.near_ratio)
        table["dup_group"], table["duplicate_of"] = dup.duplicate_groups(n, i, j)
        table["dup_distance"] = near["dist"][:, 0]
        flags["duplicate"] = table["duplicate_of"] >= 0
        if against is not None:
            # two nearest: the ratio test compares them
            other = _near_stage(cache, "leak", X, against.images, 2, n_jobs, progress)
            table["leak_of"] = dup.leak_matches(hashes, dup.pixel_hashes(against.images),
                                                other["dist"], other["idx"], th.near,
                                                th.near_ratio)  # fmt: skip
            table["leak_distance"] = other["dist"][:, 0]
            flags["leak"] = table["leak_of"] >= 0
    order = [r for r in REASONS if r in flags]
    neighbours = (nb["dist"], nb["idx"]) if "label" in issues or "junk" in issues else None
    return IssueReport(table, {r: flags[r] for r in order}, settings, neighbours,
                       cache.key)  # fmt: skip
