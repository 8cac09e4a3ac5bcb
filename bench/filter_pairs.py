"""How much of the filter's leave-one-out search a symmetric pair cache could save.

    python bench/filter_pairs.py                        # fashion-mnist-10k, M = 2,000
    python bench/filter_pairs.py --dataset mnist-5k --m 500

The filter's label neighbors are each image's 15 nearest others among its M square-root-pixel
candidates (the cascade M it chose: 2,000 on fashion-mnist-10k). ctx-ref-learned codes a pair
both ways, so d(i, j) = d(j, i): a pair that is in both images' candidate lists could be coded
once. This bench counts such mutual pairs, and measures the share of pixels early abandoning
codes on the first ``--queries`` images (``kneighbors(..., stats=)``, the prior learned from
the images without labels). Today's work is about ``pairs x coded share`` full pair codings;
coding each distinct pair once, in full, would be ``distinct pairs``: the estimated saving is
``1 - distinct share / coded share``. Nothing is changed in the search. Writes
bench/results/filter-pairs-<dataset>.json.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import machine, write_json

from ncdvision.datasets import load
from ncdvision.ncd import Compressor
from ncdvision.ncd.search import FirstStage, kneighbors


def mutual_share(images: np.ndarray, m: int, block: int = 1000) -> tuple[int, int]:
    """(candidate pairs, distinct unordered pairs) of the leave-one-out candidate lists."""
    n = len(images)
    stage = FirstStage(images)
    keys = []
    for s in range(0, n, block):
        rows = np.arange(s, min(s + block, n))
        cand = stage.order(images[rows], m, rows)
        lo, hi = np.minimum(rows[:, None], cand), np.maximum(rows[:, None], cand)
        keys.append((lo * n + hi).ravel())
    keys = np.concatenate(keys)
    return len(keys), len(np.unique(keys))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", default="fashion-mnist-10k")
    ap.add_argument("--m", type=int, default=2000, help="candidates per image")
    ap.add_argument("--k", type=int, default=15, help="neighbors (the filter's label_k)")
    ap.add_argument("--queries", type=int, default=2000)
    args = ap.parse_args()
    X = load(args.dataset).images
    pairs, distinct = mutual_share(X, args.m)
    comp = Compressor("ctx-ref-learned", "thermo:3").fit(X)
    q = np.arange(min(args.queries, len(X)))
    stats = {}
    t = time.perf_counter()
    kneighbors(X[q], X, args.k, compressor=comp, exclude=q, candidates=args.m, progress=False,
               stats=stats)  # fmt: skip
    secs = time.perf_counter() - t
    row = {"dataset": args.dataset, "m": args.m, "k": args.k, "pairs": pairs,
           "distinct_pairs": distinct, "distinct_share": distinct / pairs,
           "mutual_share": 2 * (pairs - distinct) / pairs, "queries_timed": len(q),
           "seconds": secs, "coded_fraction": stats["coded_fraction"],
           "saving_estimate": 1.0 - (distinct / pairs) / stats["coded_fraction"]}  # fmt: skip
    print(row)
    print(
        f"wrote {write_json(f'filter-pairs-{args.dataset}', {'machine': machine(), 'rows': [row]})}"
    )


if __name__ == "__main__":
    main()
