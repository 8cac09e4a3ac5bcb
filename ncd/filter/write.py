"""Writing a filter run: the per-image CSV, a JSON summary, PNG galleries of the top flagged
images per reason, and the filtered dataset in the input's form.

- ImageFolder in -> ImageFolder out (``dataset/<class>/<file>``), each kept file copied (never
  linked: editing the cleaned copy must not change the original);
- ``.npz`` or a built-in name in -> ``dataset.npz`` (``images``, ``labels``, ``class_names``
  and ``index``, the kept rows of the input).

With ``relabel=True`` images flagged only for their label are kept under the suggested label
(in an ImageFolder, as ``<suggested class>/<given class>__<file>``) instead of removed.

The input is never written to: :func:`~.run.filter_dataset` writes through an
:class:`~ncdvision.ncd.outdir.OutputFolder`, which refuses an output folder that is, holds or
lies inside an input, and swaps the run's files in as one set.
"""

from __future__ import annotations

import csv
import fcntl
import os
import shutil
from pathlib import Path

import numpy as np

from ..output import atomic_write, temp_beside
from ..writers import csv_safe, pyplot, save_png, write_json
from .find import IssueReport
from .review import write_review
from .rules import rule_of

#: Images per gallery.
GALLERY_SIZE = 32


def write_csv(path, report: IssueReport, class_names, files=None) -> Path:
    """One row per image: index (and file), label, every score, reasons, suggested label."""
    t = report.table
    cols = [c for c in t if c not in ("index", "label")]
    reasons = report.reasons()

    def write(fh):
        w = csv.writer(fh)
        w.writerow(["index", *(["file"] if files else []), "label", *cols, "reasons"])
        for i in range(len(t["index"])):
            row = [int(t["index"][i]), *([csv_safe(files[i])] if files else []),
                   csv_safe(class_names[t["label"][i]])]  # fmt: skip
            for c in cols:
                v = t[c][i]
                if c == "suggested":
                    row.append(csv_safe(class_names[v]))
                else:
                    row.append(f"{v:.6g}" if isinstance(v, (float, np.floating)) else int(v))
            w.writerow([*row, reasons[i]])

    return atomic_write(path, write)


def gallery_png(path, images, labels, class_names, report: IssueReport, reason: str) -> Path:
    """A grid of the top flagged images for ``reason`` with their labels (and suggestions)."""
    plt = pyplot()

    t = report.table
    rows = np.flatnonzero(report.flags[reason])
    rule = rule_of(reason)()
    col, sign = rule.ranking[reason]
    rows = rows[np.argsort(sign * t[col][rows], kind="stable")][:GALLERY_SIZE]
    n_col = 8
    n_row = max(1, -(-len(rows) // n_col))
    fig, axes = plt.subplots(n_row, n_col, figsize=(n_col * 1.3, n_row * 1.5 + 0.4),
                             squeeze=False)  # fmt: skip
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), rows, strict=False):
        im = images[i]
        ax.imshow(im, cmap="gray" if im.ndim == 2 else None, vmin=0, vmax=255)
        caption = rule.caption(reason, t, i, class_names)
        title = f"#{i} {class_names[labels[i]]}" + (f"\n{caption}" if caption else "")
        ax.set_title(title, fontsize=7)
    fig.suptitle(f"{reason}: {int(report.flags[reason].sum())} flagged (top {len(rows)})",
                 fontsize=9)  # fmt: skip
    return save_png(fig, path)


def pairs_png(path, images, report: IssueReport, reason: str, other=None) -> Path:
    """The closest flagged pairs for ``duplicate`` or ``leak``, each image beside its match
    (``other``: the images ``leak`` refers to), with their compression distance."""
    plt = pyplot()

    t = report.table
    match, dist = (("duplicate_of", "dup_distance") if reason == "duplicate"
                   else ("leak_of", "leak_distance"))  # fmt: skip
    right = images if reason == "duplicate" else other
    rows = np.flatnonzero(report.flags[reason])
    rows = rows[np.argsort(t[dist][rows], kind="stable")][: GALLERY_SIZE // 2]
    n_col = 8  # four pairs per row
    n_row = max(1, -(-len(rows) // 4))
    fig, axes = plt.subplots(n_row, n_col, figsize=(n_col * 1.3, n_row * 1.5 + 0.4),
                             squeeze=False)  # fmt: skip
    for ax in axes.ravel():
        ax.axis("off")
    for p, i in enumerate(rows):
        j = t[match][i]
        for side, (img, title) in enumerate(((images[i], f"#{i}"),
                                             (right[j], f"{'test ' if reason == 'leak' else ''}#{j}"))):  # fmt: skip
            ax = axes[p // 4, 2 * (p % 4) + side]
            ax.imshow(img, cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=255)
            ax.set_title(title + (f"\nNCD {t[dist][i]:.2f}" if side == 0 else ""), fontsize=7)
    fig.suptitle(f"{reason}: the {len(rows)} closest of {int(report.flags[reason].sum())} "
                 "flagged pairs", fontsize=9)  # fmt: skip
    return save_png(fig, path)


def _copy(src: Path, dst: Path, link: bool) -> None:
    """A copy that shares no data with ``src`` once written: a copy-on-write clone where the
    file system has them (Btrfs, XFS; ``cp --reflink=auto``), else a plain copy. ``link``:
    a hard link (the same file under two names)."""
    if link:
        os.link(src, dst)
        return
    try:
        with open(src, "rb") as fs, open(dst, "wb") as fd:
            fcntl.ioctl(fd.fileno(), _FICLONE, fs.fileno())
    except OSError:
        shutil.copyfile(src, dst)


_FICLONE = 0x40049409  # linux/fs.h: clone a whole file, copy-on-write


def write_filtered(out: Path, dataset, keep: np.ndarray, labels: np.ndarray, files=None,
                   root=None, link: bool = False) -> Path:  # fmt: skip
    """The kept images with ``labels`` in the input's form: an ImageFolder when ``files``
    (paths under ``root``) are given, else ``dataset.npz``. Image files are copied (cloned
    copy-on-write where the file system can), or hard-linked with ``link=True``."""
    keep = np.flatnonzero(keep)
    names = dataset.class_names
    if files is not None:
        target = out / "dataset"
        target.mkdir(parents=True, exist_ok=True)
        for i in keep:
            src = Path(files[i])
            rel = src.relative_to(root)
            if labels[i] != dataset.labels[i]:
                rel = Path(names[labels[i]]) / f"{names[dataset.labels[i]]}__{src.name}"
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            _copy(src, target / rel, link)
        return target
    target = out / "dataset.npz"
    with temp_beside(target, suffix=".npz") as tmp:
        np.savez_compressed(tmp, images=dataset.images[keep], labels=labels[keep],
                            class_names=np.array(names), index=keep)  # fmt: skip
    return target


def write_report(out, report: IssueReport, dataset, *, files=None, root=None,
                 dry_run: bool = False, relabel: bool = False, against=None,
                 source=None, link: bool = False) -> dict:  # fmt: skip
    """Write ``issues.csv``, ``summary.json``, ``gallery-<reason>.png``, ``pairs-duplicate.png``
    and ``pairs-leak.png``, ``review.html`` with its ``thumbs/`` (:mod:`.review`) and (unless
    ``dry_run``) the filtered dataset into ``out``.

    Parameters
    ----------
    out : str or path-like
        The folder to write into.
    report : IssueReport
        What :func:`~.find.find_issues` found.
    dataset : Dataset
        The dataset it was found in.
    files : list of str, optional
        Each image's file (ImageFolder inputs), under ``root``.
    root : path-like, optional
        The input folder.
    dry_run : bool, default=False
        Write the report only.
    relabel : bool, default=False
        Keep images flagged for their label alone, under the suggested label.
    against : ndarray, optional
        The images leaks refer to.
    source : str or path-like, optional
        The input's name or path, written into ``summary.json`` with the data's content hash
        for ``ncdvision filter apply``.
    link : bool, default=False
        Hard-link kept files instead of copying them.

    Returns
    -------
    dict
        ``{"paths": ..., "summary": ...}``.
    """
    if relabel and "label" not in report.flags:
        raise ValueError("relabel needs the label check (issues including 'label')")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    names = dataset.class_names
    rel = None if files is None else [str(Path(f).relative_to(root)) for f in files]
    written = {"csv": write_csv(out / "issues.csv", report, names, rel)}
    written["galleries"] = [
        gallery_png(out / f"gallery-{r}.png", dataset.images, dataset.labels, names, report, r)
        for r, f in report.flags.items()
        if f.any()
    ]
    if "duplicate" in report.flags and report.flags["duplicate"].any():
        written["galleries"].append(pairs_png(out / "pairs-duplicate.png", dataset.images,
                                              report, "duplicate"))  # fmt: skip
    if against is not None and "leak" in report.flags and report.flags["leak"].any():
        written["galleries"].append(pairs_png(out / "pairs-leak.png", dataset.images, report,
                                              "leak", other=against))  # fmt: skip
    keep = report.keep(relabel)
    labels = dataset.labels
    if relabel:
        labels = np.where(report.flags["label"], report.table["suggested"], labels)
    provenance = {k: v for k, v in dataset.provenance.items() if k != "files"}
    summary = {"dataset": dataset.name, "input": None if source is None else str(source),
               "data_hash": report.data_hash, "provenance": provenance, **report.summary(),
               "n_kept": int(keep.sum()), "n_relabelled": int((labels != dataset.labels).sum()),
               "label_pairs": [{"given": g, "suggested": s, "n": n}
                               for g, s, n in report.label_pairs(names)],
               "dry_run": dry_run}  # fmt: skip
    if not dry_run:
        written["dataset"] = write_filtered(out, dataset, keep, labels, files, root, link)
        summary["filtered"] = written["dataset"].name
    written["summary"] = write_json(out / "summary.json", summary)
    written["review"] = write_review(out, report, dataset, summary, files=rel, against=against)
    return {"paths": written, "summary": summary}
