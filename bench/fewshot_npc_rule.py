"""Few labels scored two ways: each method's own single-label prediction, and NPC-LV's rule.

    python bench/fewshot_npc_rule.py                         # mnist-5k and Fashion-MNIST
    python bench/fewshot_npc_rule.py --datasets fashion-mnist --draws 5 --shots 5 10

NPC-LV's released code (github.com/bazingagin/NPC_LV) scores its few-shot runs with
``KnnExpImg.calc_acc`` in ``experiments.py``, and ``main.py`` sets ``k = 2`` for MNIST and
Fashion-MNIST. ``calc_acc`` counts the votes of the k nearest training images and marks a
test image correct when its label is *among* the labels with the most votes. With k = 2 and
two different labels among the two nearest, both are tied, so the image counts as correct
when either is right: the score is the share of test images whose label is one of their two
nearest neighbors' labels. No classifier that outputs one label can score that, and the
project's tie rule (``docs/methods/tie-rule.md``) never counts a tie as a hit.

This bench puts the two scorings side by side on the draws of ``bench/fewshot.py`` (the same
shots, pool and 1,000 test images per draw), from one neighbor search per method and draw:

- ``own``: the method's prediction, its k and the single-label tie rule (the number
  ``bench/fewshot.py`` reports);
- ``NPC-LV rule``: ``calc_acc`` with k = 2 over the same neighbor ranking, reproduced by
  :func:`npc_lv_correct`.

Methods: L2 pixel kNN, ``NCDKNNClassifier`` on the shots alone, ``NCDKNNClassifier`` with the
prior learned from the pool without labels, and ``NCDLabelSpreading`` over shots and pool (its
neighbors are graph images, carrying their given or spread labels). NPC-LV's published
numbers are the row they are compared with. Writes bench/results/fewshot-npc-rule.json
(resumable: finished cells are kept).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import machine, table, write_json
from fewshot import NPC_LV, PRIMARY_POOL, pending, read_cells

from ncdvision.ncd import NCDKNNClassifier, NCDLabelSpreading, PixelKNNClassifier
from ncdvision.ncd.neighbors import vote

#: NPC-LV's k for MNIST and Fashion-MNIST (``main.py``).
NPC_K = 2

METHODS = {
    "L2 pixel kNN": (PixelKNNClassifier, False),
    "ncdvision auto, shots only": (NCDKNNClassifier, False),
    "ncdvision auto + pool prior": (NCDKNNClassifier, True),
    PRIMARY_POOL: (NCDLabelSpreading, True),
}


def npc_lv_correct(neighbor_labels: np.ndarray, y: np.ndarray, k: int = NPC_K) -> np.ndarray:
    """NPC-LV's ``calc_acc``: a row is correct when ``y`` has the most votes among its first
    ``k`` neighbors, alone or tied with other labels.

    Parameters
    ----------
    neighbor_labels : ndarray of int, shape (n, >= k)
        Labels of each query's neighbors, nearest first.
    y : ndarray of int, shape (n,)
        The queries' true labels.
    k : int
        Neighbors that vote.

    Returns
    -------
    ndarray of bool, shape (n,)
    """
    votes = neighbor_labels[:, :k]
    own = (votes == y[:, None]).sum(axis=1)
    most = np.array([np.bincount(row).max() for row in votes])
    return own == most


def neighbor_labels(model, X: np.ndarray, y_train: np.ndarray) -> tuple[np.ndarray, int]:
    """Encoded labels of each image's nearest ``max(k, NPC_K)`` neighbors under a fitted model,
    and the model's own k."""
    if isinstance(model, NCDLabelSpreading):  # graph images, with given or spread labels
        return model.labels_[model.kneighbors(X, n_neighbors=max(model.k, NPC_K))], model.k
    idx = model.kneighbors(X, n_neighbors=max(model.k_, NPC_K), return_distance=False)
    return np.searchsorted(model.classes_, y_train)[idx], model.k_


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", nargs="+", default=["mnist-5k", "fashion-mnist"])
    ap.add_argument("--shots", nargs="+", type=int, default=[5, 10, 50, 100])
    ap.add_argument("--draws", type=int, default=5)
    args = ap.parse_args()
    cells = read_cells("fewshot-npc-rule")
    for key, model, fit in pending(cells, args, METHODS):
        labels, k = neighbor_labels(model, fit.test.images, fit.shots.labels)
        y = np.searchsorted(model.classes_, fit.test.labels)
        cells[key] = {
            "own": float(np.mean(vote(labels[:, :k], len(model.classes_)) == y)),
            "npc_lv_rule": float(np.mean(npc_lv_correct(labels, y))),
            "k": int(k), "seconds": time.perf_counter() - fit.started,
        }  # fmt: skip
        print(f"{key}: {cells[key]}", flush=True)
        write_json("fewshot-npc-rule", {"machine": machine(), "cells": cells}, partial=True)
    rows = summarize(cells, args.datasets, args.shots)
    print(table(rows, list(rows[0])))
    write_json("fewshot-npc-rule", {"machine": machine(), "cells": cells, "rows": rows,
                                    "npc_lv_k": NPC_K})  # fmt: skip


def summarize(cells: dict, datasets, shots) -> list[dict]:
    """One row per dataset, method and scoring: mean ± sd over draws at each shot count."""
    rows = []
    for name in datasets:
        for method in METHODS:
            for rule, label in (("own", "own prediction"), ("npc_lv_rule", "NPC-LV's rule")):
                row = {"dataset": name, "method": method, "scoring": label}
                for n in shots:
                    v = [c[rule] for k, c in cells.items() if k.startswith(f"{name}|{n}|")
                         and k.endswith(f"|{method}")]  # fmt: skip
                    sd = np.std(v, ddof=1) if len(v) > 1 else 0.0
                    row[f"{n} shots"] = f"{np.mean(v):.3f} ± {sd:.3f}" if v else ""
                rows.append(row)
        row = {"dataset": name, "method": "NPC-LV (published)", "scoring": "NPC-LV's rule"}
        row |= {f"{n} shots": f"{NPC_LV[name][n] / 100:.3f}" for n in shots if n in NPC_LV[name]}
        rows.append(row)
    return rows


if __name__ == "__main__":
    main()
