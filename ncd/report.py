"""Writing results: atomic files, predictions CSV, confusion-matrix PNG."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def atomic_write(path: str | os.PathLike, write) -> Path:
    """Call ``write(fh)`` on a temp file beside ``path``, then rename it into place, so that a
    crash never leaves a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json(path, payload: dict) -> Path:
    return atomic_write(path, lambda fh: json.dump(payload, fh, indent=2, default=_jsonable))


def _jsonable(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def write_predictions_csv(
    path,
    ids: Sequence,
    labels: Sequence,
    proba: np.ndarray | None = None,
    class_names: Sequence[str] | None = None,
    header=("id", "label"),
) -> Path:
    """``id,label`` rows (plus one probability column per class when ``proba`` is given)."""
    if len(ids) != len(labels):
        raise ValueError(f"{len(ids)} ids but {len(labels)} labels")
    if proba is not None and (class_names is None or proba.shape != (len(ids), len(class_names))):
        raise ValueError("proba needs class_names and shape (n_ids, n_classes)")

    def write(fh):
        w = csv.writer(fh)
        w.writerow(list(header) + ([str(c) for c in class_names] if proba is not None else []))
        for r, (i, lab) in enumerate(zip(ids, labels, strict=True)):
            w.writerow([i, lab] + ([f"{p:.6g}" for p in proba[r]] if proba is not None else []))

    return atomic_write(path, write)


def confusion_png(path, y_true, y_pred, class_names: Sequence[str], title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    cm = confusion_matrix(y_true, y_pred, labels=np.arange(len(class_names)))
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    im = ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(len(class_names)), class_names, rotation=45, ha="right")
    ax.set_yticks(range(len(class_names)), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    for (i, j), v in np.ndenumerate(cm):
        ax.text(
            j,
            i,
            str(v),
            ha="center",
            va="center",
            fontsize=7,
            color="white" if v > cm.max() / 2 else "black",
        )
    fig.colorbar(im, ax=ax)
    fig.tight_layout()
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    os.replace(tmp, path)
    return path
