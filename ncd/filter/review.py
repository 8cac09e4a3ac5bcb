"""``review.html``: a page to look at every flag beside its evidence and decide, offline.

The page is one HTML file and a ``thumbs/`` folder of PNGs (one per image it shows), written
into the filter's output folder. It loads nothing from the network, so it works from
``file://``. Per flagged image it shows the image (pixelated when small), its reasons and
scores, its given and suggested label, and why it was flagged:

- label flags: its nearest neighbors with their labels and compression distances;
- duplicates: the image it duplicates (the kept one of its group);
- leaks: the test image it duplicates;
- junk: the information score on its scale (0 = constant image, 1 = uniform noise).

Decisions (keep, remove, relabel) are made with the mouse or the keyboard, persist in the
browser's localStorage, and export as ``decisions.csv`` (``index,file,decision,label``), which
``ncdvision filter apply`` turns into the cleaned dataset. Thumbnails load lazily, so the page
stays usable with thousands of flags.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from ..output import atomic_write
from .find import IssueReport
from .review_page import PAGE
from .rules import RULES

#: Neighbors shown per label flag.
NEIGHBORS_SHOWN = 8
#: The longest side of a thumbnail; larger images are scaled down to it.
THUMB_SIDE = 96


def _thumb(image: np.ndarray, path: Path) -> None:
    im = Image.fromarray(image)
    if max(im.size) > THUMB_SIDE:
        im.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    im.save(path, optimize=True)


def _cards(report: IssueReport, files) -> tuple[list[dict], set[int], set[int]]:
    """One record per flagged image, and the image and ``against`` indices they show."""
    t = report.table
    scores = {col: name for _, rule in RULES.items() for col, name in rule.scores.items()}
    flagged = np.flatnonzero(report.flagged)
    reasons = report.reasons()
    shown, shown_other = set(map(int, flagged)), set()
    cards = []
    for i in flagged:
        i = int(i)
        card = {"i": i, "f": None if files is None else files[i], "y": int(t["label"][i]),
                "s": int(t["suggested"][i]) if "suggested" in t else -1,
                "r": reasons[i].split(";"),
                "sc": {name: round(float(t[col][i]), 4) for col, name in scores.items()
                       if col in t and np.isfinite(t[col][i])}}  # fmt: skip
        if report.neighbors is not None and "label" in card["r"]:
            dist, idx = report.neighbors
            card["nb"] = [[int(j), round(float(d), 4)]
                          for j, d in zip(idx[i, :NEIGHBORS_SHOWN], dist[i, :NEIGHBORS_SHOWN],
                                          strict=True)]  # fmt: skip
            shown.update(j for j, _ in card["nb"])
        if "duplicate_of" in t and t["duplicate_of"][i] >= 0:
            card["dup"] = int(t["duplicate_of"][i])
            shown.add(card["dup"])
        if "leak_of" in t and t["leak_of"][i] >= 0:
            card["leak"] = int(t["leak_of"][i])
            shown_other.add(card["leak"])
        cards.append(card)
    return cards, shown, shown_other


def write_review(out: Path, report: IssueReport, dataset, summary: dict, *, files=None,
                 against=None) -> Path:  # fmt: skip
    """Write ``review.html`` and ``thumbs/`` into ``out``; returns the page's path.

    Parameters
    ----------
    out : Path
        The output folder (the filter's staging folder).
    report : IssueReport
    dataset : Dataset
        The filtered dataset (its images are the thumbnails).
    summary : dict
        The run's summary (counts, class pairs, settings), shown in the header.
    files : list of str, optional
        Each image's file, relative to the input folder, for an ImageFolder input.
    against : ndarray, optional
        The images ``leak`` flags refer to.

    Returns
    -------
    Path
    """
    cards, shown, shown_other = _cards(report, files)
    thumbs = out / "thumbs"
    thumbs.mkdir(parents=True, exist_ok=True)
    for i in sorted(shown):
        _thumb(dataset.images[i], thumbs / f"{i}.png")
    for j in sorted(shown_other):
        _thumb(against[j], thumbs / f"test-{j}.png")
    data = {
        "title": f"ncdvision filter review: {dataset.name}",
        "key": f"ncdvision-review-{report.data_hash}",
        "classes": list(dataset.class_names),
        "n_images": int(len(dataset)),
        "by_reason": summary["by_reason"],
        "pairs": summary.get("label_pairs", []),
        "settings": {
            k: round(v, 4) if isinstance(v, float) else v
            for k, v in summary["settings"].items()
            if k != "thresholds"
        },
        "thresholds": summary["settings"].get("thresholds", {}),
        "cards": cards,
        "neighbor_labels": {str(j): int(dataset.labels[j]) for j in sorted(shown)},
    }
    # "</" cannot close the script element from inside the JSON: names come from user files
    blob = json.dumps(data, separators=(",", ":"), default=str).replace("</", "<\\/")
    page = PAGE.replace("__DATA__", blob).replace("__TITLE__", _escape(data["title"]))
    return atomic_write(out / "review.html", lambda fh: fh.write(page))


def _escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))  # fmt: skip
