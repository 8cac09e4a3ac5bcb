"""``filter_dataset``: load, check the output, find issues, write the report and the
filtered copy (the ``ncdvision filter`` command)."""

from __future__ import annotations

import os
from pathlib import Path

from ..outdir import OutputFolder
from .find import ISSUE_KINDS, Thresholds, find_issues
from .write import write_report


def filter_dataset(
    source: str | os.PathLike,
    out: str | os.PathLike,
    *,
    issues=ISSUE_KINDS,
    against: str | os.PathLike | None = None,
    dry_run: bool = False,
    relabel: bool = False,
    codec="auto",
    method: str = "knn",
    thresholds: Thresholds | None = None,
    n_jobs: int | None = -1,
    progress: bool | None = None,
    max_removed: float = 0.5,
    link: bool = False,
    prior: str = "labels",
) -> dict:
    """Filter a dataset given by name or path into ``out``; returns the summary and paths.

    The output folder is checked (writable; not an input, inside one, or holding one; new,
    empty or an earlier run's) and locked, and the dataset is loaded, before any compression
    work. Stage results are cached in ``out/.cache`` so a rerun after an interruption resumes;
    the other outputs are swapped in as one set at the end
    (:class:`~ncdvision.ncd.outdir.OutputFolder`).

    A filtered dataset that would lose more than ``max_removed`` of the images (default half)
    is refused before anything is written: so many flags usually mean a rule does not fit the
    set. Look at the report of a ``dry_run``, or raise ``max_removed`` to 1 to accept it.
    Kept image files are copies (``link=True``: hard links, which share edits with the input).
    ``review.html`` in ``out`` shows every flag with its evidence; its exported decisions go to
    :func:`~.apply.apply_decisions` (``ncdvision filter apply``).

    Parameters
    ----------
    source : str or path-like
        A built-in dataset's name or a path (ImageFolder, .npz, IDX, CIFAR).
    out : str or path-like
        The report folder.
    issues : sequence of str, default=ISSUE_KINDS
        Registered filter rules to run.
    against : str or path-like, optional
        A second set (e.g. the test images) to flag leaks into.
    dry_run : bool, default=False
        Write the report only.
    relabel : bool, default=False
        Keep images flagged for their label alone, under the suggested label.
    codec : str, default="auto"
        The distance of the label neighbors.
    method : {"knn", "cleanlab"}, default="knn"
        How label issues are flagged.
    thresholds : Thresholds, optional
        Every rule's thresholds.
    n_jobs : int or None, default=-1
        Threads.
    progress : bool, optional
        Progress bars.
    max_removed : float, default=0.5
        The largest share of images the filtered dataset may lose.
    link : bool, default=False
        Hard-link kept files instead of copying them.
    prior : {"labels", "images"}, default="labels"
        What a learned coder's prior learns from (:func:`~.find.find_issues`).

    Returns
    -------
    dict
        ``summary`` (what ``summary.json`` holds), ``written`` (paths) and ``report``
        (the :class:`~.find.IssueReport`).
    """
    if isinstance(max_removed, bool) or not 0 <= max_removed <= 1:
        raise ValueError(f"max_removed must be a fraction in 0..1, got {max_removed!r}")
    if relabel and "label" not in issues:
        raise ValueError("relabel needs the label check (issues including 'label')")
    is_path = isinstance(source, Path) or (isinstance(source, str) and os.path.exists(source))
    with OutputFolder(out, inputs=[source if is_path else None, against],
                      keep=(".cache",)) as folder:  # fmt: skip
        res = _filter(folder, source, is_path, issues=issues, against=against,
                      dry_run=dry_run, relabel=relabel, codec=codec, method=method,
                      thresholds=thresholds, n_jobs=n_jobs, progress=progress,
                      max_removed=max_removed, link=link, prior=prior)  # fmt: skip
        final = folder.final
    w = res["written"]
    res["written"] = {k: [final(p) for p in v] if isinstance(v, list) else final(v)
                      for k, v in w.items()}  # fmt: skip
    return res


def _filter(folder: OutputFolder, source, is_path: bool, *, issues, against, dry_run, relabel,
            codec, method, thresholds, n_jobs, progress, max_removed, link, prior) -> dict:  # fmt: skip
    from ncdvision.datasets import detect_format, load
    from ncdvision.datasets.files import image_folder_files

    ds = load(source)
    other = None if against is None else load(against)
    files = root = None
    if is_path and detect_format(source)[0] == "imagefolder":
        root = Path(source)
        files = image_folder_files(root)[0]
    report = find_issues(ds, issues, codec=codec, method=method, against=other,
                         thresholds=thresholds, n_jobs=n_jobs, cache=folder.out / ".cache",
                         progress=progress, prior=prior)  # fmt: skip
    removed = 1 - (report.keep(relabel).sum() / max(len(ds), 1))
    if not dry_run and removed > max_removed:
        raise ValueError(
            f"the filtered dataset would lose {removed:.0%} of {len(ds)} images, more than "
            f"max_removed={max_removed:g} (--max-removed); run with --dry-run and look at "
            "issues.csv and the galleries, or pass --max-removed 1 to write it anyway"
        )
    res = write_report(folder.stage, report, ds, files=files, root=root, dry_run=dry_run,
                       relabel=relabel, against=None if other is None else other.images,
                       source=source, link=link)  # fmt: skip
    return {"summary": res["summary"], "written": res["paths"], "report": report}
