"""``ncdvision filter apply``: the cleaned dataset from a person's decisions on the review page.

``review.html`` exports ``decisions.csv`` with one row per decided image: ``index`` (its row in
the dataset), ``file`` (for an ImageFolder input), ``decision`` (``keep``, ``remove`` or
``relabel``) and ``label`` (the new class for ``relabel``). Images without a row are kept as
they are: only a decision changes the dataset.

The report's ``summary.json`` names the input and holds a content hash of its images and
labels; the input is read again and must still hash the same, so decisions are never applied
to a dataset that changed since it was reviewed. Every problem (an unknown index, a file name
that does not match, a decision or class that does not exist, two rows that disagree) is an
error naming the row, before anything is written. The input is never written to.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np

from ..cache import content_key
from ..outdir import OutputFolder
from .write import write_filtered

DECISIONS = ("keep", "remove", "relabel")


def read_decisions(path: str | os.PathLike, dataset, files=None) -> tuple[np.ndarray, np.ndarray]:
    """``(keep, labels)`` for ``dataset`` from a ``decisions.csv``.

    Parameters
    ----------
    path : str or path-like
        The ``decisions.csv`` exported from ``review.html`` (``index,file,decision,label``).
    dataset : Dataset
        The dataset the decisions were made on.
    files : list of str, optional
        Each image's file relative to the input folder (ImageFolder inputs); a row's ``file``
        must then match its ``index``.

    Returns
    -------
    keep : ndarray of bool, shape (N,)
    labels : ndarray of int64, shape (N,)

    Raises
    ------
    ValueError
        Naming the row, for anything that is not a valid decision on this dataset.
    """
    names = list(dataset.class_names)
    keep = np.ones(len(dataset), bool)
    labels = dataset.labels.copy()
    seen: dict[int, tuple[int, str, int]] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        rows = csv.DictReader(fh)
        missing = {"index", "decision"} - set(rows.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: expected columns index, file, decision, label; "
                             f"missing {sorted(missing)}")  # fmt: skip
        for n, row in enumerate(rows, start=2):  # line 1 is the header
            where = f"{path}, line {n}"
            try:
                i = int(row["index"])
            except (TypeError, ValueError):
                raise ValueError(f"{where}: index {row['index']!r} is not an integer") from None
            if not 0 <= i < len(dataset):
                raise ValueError(f"{where}: index {i} is not an image of {dataset.name} "
                                 f"(0..{len(dataset) - 1})")  # fmt: skip
            if files is not None and row.get("file") and row["file"] != files[i]:
                raise ValueError(f"{where}: index {i} is {files[i]!r} in the dataset, but the "
                                 f"row names {row['file']!r}")  # fmt: skip
            d = (row.get("decision") or "").strip()
            if d not in DECISIONS:
                raise ValueError(f"{where}: decision {d!r}; expected keep, remove or relabel")
            label = labels[i] if d != "relabel" else None
            if d == "relabel":
                if row.get("label") not in names:
                    raise ValueError(f"{where}: relabel to {row.get('label')!r}, which is not a "
                                     f"class of {dataset.name} ({', '.join(names)})")  # fmt: skip
                label = names.index(row["label"])
            if i in seen and seen[i][1:] != (d, label):
                raise ValueError(f"{where}: index {i} is decided otherwise on line {seen[i][0]}")
            seen[i] = (n, d, label)
            keep[i] = d != "remove"
            labels[i] = label if d == "relabel" else dataset.labels[i]
    return keep, labels


def apply_decisions(report_dir: str | os.PathLike, decisions: str | os.PathLike,
                    out: str | os.PathLike, *, link: bool = False) -> dict:  # fmt: skip
    """Write the dataset a filter report describes, with ``decisions`` applied, into ``out``.

    Parameters
    ----------
    report_dir : path
        The output folder of an ``ncdvision filter`` run (its ``summary.json``).
    decisions : path
        The ``decisions.csv`` exported from its ``review.html``.
    out : path
        A new, empty or earlier output folder; it may not hold or lie inside the input.
    link : bool
        Hard-link kept image files instead of copying them (ImageFolder inputs); an edit of
        the output then changes the input too.

    Returns
    -------
    dict
        ``n_images``, ``n_kept``, ``n_relabelled`` and ``dataset`` (the written path).
    """
    from ncdvision.datasets import DatasetError, detect_format, load
    from ncdvision.datasets.files import image_folder_files

    report_dir = Path(report_dir)
    try:
        summary = json.loads((report_dir / "summary.json").read_text())
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{report_dir}: not a filter report (summary.json: {exc})") from exc
    source = summary.get("input")
    if not source or "data_hash" not in summary:
        raise DatasetError(f"{report_dir}/summary.json: names no input dataset and hash; "
                           "rerun `ncdvision filter` to make the report")  # fmt: skip
    ds = load(source)
    if content_key(ds.images, np.asarray(ds.labels, np.int64)) != summary["data_hash"]:
        raise DatasetError(f"{source}: changed since the report in {report_dir} was made (its "
                           "content hash differs); rerun `ncdvision filter` and review again")  # fmt: skip
    files = root = None
    if os.path.isdir(source) and detect_format(source)[0] == "imagefolder":
        root = Path(source)
        files = [str(Path(f).relative_to(root)) for f in image_folder_files(root)[0]]
    keep, labels = read_decisions(decisions, ds, files)
    with OutputFolder(out, inputs=[source, report_dir, decisions]) as folder:
        written = write_filtered(folder.stage, ds, keep, labels,
                                 None if files is None else [root / f for f in files], root,
                                 link=link)  # fmt: skip
        final = folder.final(written)
    return {"n_images": len(ds), "n_kept": int(keep.sum()),
            "n_relabelled": int((labels != ds.labels)[keep].sum()), "dataset": final}  # fmt: skip
