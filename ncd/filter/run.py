"""``filter_dataset``: load, check the output, find issues, write the report and the
filtered copy (the ``ncdvision filter`` command)."""

from __future__ import annotations

import os
from pathlib import Path

from .find import ISSUE_KINDS, Thresholds, find_issues
from .write import check_filter_output, write_report


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
) -> dict:
    """Filter a dataset given by name or path into ``out``; returns the summary and paths.

    The output folder is checked (writable, not the input or inside it) and the dataset is
    loaded before any compression work; stage results are cached in ``out/.cache`` so a
    rerun after an interruption resumes.
    """
    from ncdvision.datasets import detect_format, load
    from ncdvision.datasets.files import image_folder_files

    if relabel and "label" not in issues:
        raise ValueError("relabel needs the label check (issues including 'label')")
    is_path = isinstance(source, Path) or (isinstance(source, str) and os.path.exists(source))
    out = check_filter_output(out, source if is_path else None)
    ds = load(source)
    other = None if against is None else load(against)
    files = root = None
    if is_path and detect_format(source)[0] == "imagefolder":
        root = Path(source)
        files = image_folder_files(root)[0]
    report = find_issues(ds, issues, codec=codec, method=method, against=other,
                         thresholds=thresholds, n_jobs=n_jobs, cache=Path(out) / ".cache",
                         progress=progress)  # fmt: skip
    res = write_report(out, report, ds, files=files, root=root, dry_run=dry_run,
                       relabel=relabel, against=None if other is None else other.images)  # fmt: skip
    return {"summary": res["summary"], "written": res["paths"], "report": report}
