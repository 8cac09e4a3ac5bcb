"""How the cascade's target recall trades the filter's time against its label flags.

    python bench/filter_recall.py                                  # fashion-mnist-10k
    python bench/filter_recall.py --dataset mnist-5k --recalls 0.99 0.97

``find_issues`` (all three issue kinds, default thresholds) on every image of the dataset, once
per target recall of the label neighbors' candidate cascade, each with a fresh stage cache so
nothing is served from another run. For each recall: the wall time, the candidates M the
cascade chose and its recall on training queries, the flags per reason, and the label flags
in common with the first recall's run (the reference, 0.99 by default: the filter's default).

The label rule flags images whose vote margin among 15 leave-one-out neighbors is below
-0.3; those images sit near the threshold by construction, so one neighbor more or less flips
some of them. This bench measures how many. Writes bench/results/filter-recall-<dataset>.json.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
from _common import machine, table, write_json

from ncdvision.datasets import load
from ncdvision.ncd.filter import find_issues


def run(name: str, recall: float) -> tuple[dict, dict[str, np.ndarray]]:
    """One ``find_issues`` run with a fresh cache: its row and its flags."""
    ds = load(name)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        rep = find_issues(ds, recall=recall, cache=tmp, progress=False)
        wall = time.perf_counter() - t
    flags = {k: np.asarray(v, bool) for k, v in rep.flags.items()}
    row = {"recall_target": recall, "wall_s": wall,
           **{k: rep.settings.get(k) for k in ("codec", "serializer", "candidates", "cascade_recall")},
           "flags": {k: int(v.sum()) for k, v in flags.items()}}  # fmt: skip
    return row, flags


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", default="fashion-mnist-10k")
    ap.add_argument("--recalls", nargs="+", type=float, default=[0.99, 0.97, 0.95])
    args = ap.parse_args()
    rows, ref = [], None
    for recall in args.recalls:
        row, flags = run(args.dataset, recall)
        ref = ref if ref is not None else flags["label"]
        common = int(np.sum(ref & flags["label"]))
        row.update(label_flags=int(flags["label"].sum()), label_common=common,
                   share_of_reference=common / max(int(ref.sum()), 1))  # fmt: skip
        rows.append(row)
        print(table(rows[-1:], ["recall_target", "candidates", "cascade_recall", "wall_s",
                                "label_flags", "label_common", "share_of_reference"]), flush=True)  # fmt: skip
    payload = {"machine": machine(), "dataset": args.dataset, "reference_recall": args.recalls[0],
               "rows": rows}  # fmt: skip
    print(f"wrote {write_json(f'filter-recall-{args.dataset}', payload)}")


if __name__ == "__main__":
    main()
