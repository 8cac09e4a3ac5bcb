"""The cascade's recall measurement with the walk cut at the largest M tried, against walking
every candidate.

    python bench/recall_tail.py                          # full Fashion-MNIST, k = 5
    python bench/recall_tail.py --dataset fashion-mnist --k 5 15

:func:`ncdvision.ncd.choose_cascade` finds the exact top k of 500 leave-one-out training
queries to measure the recall of every candidate count M. On a set much larger than the
largest M tried, each query walks only that many candidates and a random 100 of them walk
every one (:mod:`ncdvision.ncd.recall`). Both measurements run here on the same queries of
``ctx-ref-learned/thermo:3``: their time, the M each chooses for recall 0.99 and the recall
at every M (the exhaustive one's at the largest M is the share of exact neighbors within
it). Writes
bench/results/recall-tail-<dataset>.json.
"""

from __future__ import annotations

import argparse
import time

from _common import machine, table, write_json

from ncdvision.datasets import BENCHMARK_TEST_SIZE, load
from ncdvision.ncd import Compressor, kneighbors
from ncdvision.ncd.cascade import choose_cascade

CODEC, SERIALIZER = "ctx-ref-learned", "thermo:3"


def run(name: str, ks: tuple[int, ...]) -> list[dict]:
    train, _ = load(name).split(test_size=BENCHMARK_TEST_SIZE.get(name, 0.2), seed=0)
    comp = Compressor(CODEC, SERIALIZER).fit(train.images, train.labels)
    dy = comp.prepare(train.images)
    kneighbors(train.images[:2], train.images[:50], 3, compressor=comp)  # compile
    rows = []
    for k in ks:
        plans = {}
        for label, tail in (("every query walks every candidate", None),
                            ("walk cut at the largest M, 100 walk everything", 100)):  # fmt: skip
            t = time.perf_counter()
            plans[label] = plan = choose_cascade(comp, train.images, k, 0.99, prepared=dy,
                                                 tail_queries=tail, progress=False)  # fmt: skip
            secs = time.perf_counter() - t
            rows.append({"dataset": name, "k": k, "measurement": label, "seconds": round(secs, 1),
                         "M chosen": plan.m, "recall at M": plan.recall,
                         **{f"M={m}": round(r, 4) for m, r in plan.recalls.items() if m >= 1000}})  # fmt: skip
            print(rows[-1], flush=True)
        a, b = plans.values()
        rows[-1]["x every"] = round(rows[-1]["seconds"] / rows[-2]["seconds"], 2)
        rows[-1]["largest |recall difference|"] = round(
            max(abs(a.recalls[m] - b.recalls[m]) for m in a.recalls), 4
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", default="fashion-mnist")
    ap.add_argument("--k", nargs="+", type=int, default=[5])
    args = ap.parse_args()
    rows = run(args.dataset, tuple(args.k))
    cols = ["dataset", "k", "measurement", "seconds", "x every", "M chosen", "recall at M",
            "M=2000", "M=5000", "M=7500", "M=10000", "M=20000", "largest |recall difference|"]  # fmt: skip
    print(table(rows, cols))
    write_json(f"recall-tail-{args.dataset}", {"machine": machine(),
                                               "setting": f"{CODEC}/{SERIALIZER}", "rows": rows})  # fmt: skip


if __name__ == "__main__":
    main()
