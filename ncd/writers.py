"""Writing results: JSON, predictions CSV, confusion-matrix PNG (all atomic, see :mod:`.output`)."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .output import atomic_write, temp_beside


def write_json(path, payload: dict) -> Path:
    return atomic_write(path, lambda fh: json.dump(payload, fh, indent=2, default=_jsonable))


def _jsonable(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value):
    """A CSV field that a spreadsheet shows as text, never runs as a formula (OWASP's CSV
    injection guidance): text from file or class names that starts with ``= + - @``, a tab
    or a carriage return gets a leading ``'``. Numbers, even negative ones, stay as they are."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    try:
        float(value)
        return value
    except ValueError:
        return "'" + value


def write_predictions_csv(
    path,
    ids: Sequence,
    labels: Sequence,
    proba: np.ndarray | None = None,
    class_names: Sequence[str] | None = None,
    header=("id", "label"),
) -> Path:
    """``id,label`` rows (plus one probability column per class when ``proba`` is given);
    text fields pass through :func:`csv_safe`."""
    if len(ids) != len(labels):
        raise ValueError(f"{len(ids)} ids but {len(labels)} labels")
    if proba is not None and (class_names is None or proba.shape != (len(ids), len(class_names))):
        raise ValueError("proba needs class_names and shape (n_ids, n_classes)")

    def write(fh):
        w = csv.writer(fh)
        names = [csv_safe(str(c)) for c in class_names] if proba is not None else []
        w.writerow(list(header) + names)
        for r, (i, lab) in enumerate(zip(ids, labels, strict=True)):
            probs = [f"{p:.6g}" for p in proba[r]] if proba is not None else []
            w.writerow([csv_safe(i), csv_safe(lab), *probs])

    return atomic_write(path, write)


def confusion_png(path, y_true, y_pred, class_names: Sequence[str], title: str) -> Path:
    plt = pyplot()
    from sklearn.metrics import ConfusionMatrixDisplay

    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, labels=np.arange(len(class_names)), display_labels=list(class_names),
        cmap="Blues", ax=ax, xticks_rotation=45, text_kw={"fontsize": 7},
    )  # fmt: skip
    ax.set_title(title)
    return save_png(fig, path, dpi=120)


def pyplot():
    """matplotlib's pyplot on the non-interactive Agg backend (files only, no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_png(fig, path, dpi: int = 110) -> Path:
    """Lay out, write a matplotlib figure to ``path`` atomically, and close it."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path = Path(path)
    with temp_beside(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png", dpi=dpi)
    plt.close(fig)
    return path
