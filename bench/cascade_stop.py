"""The cascade's per-query stopping rule against its fixed M: recall, accuracy and time.

    python bench/cascade_stop.py                         # mnist-5k and fashion-mnist-10k
    python bench/cascade_stop.py --datasets fashion-mnist --n-test 300

With a fixed M every query ranks its M nearest training images in pixel space, so M must be
large enough for the few hard queries whose exact neighbors sit far down the pixel order.
The stopping rule lets each query walk its candidates, nearest in pixel space first, only
until it has walked g times as far as the last candidate that entered its top k (and at
least m0): easy queries stop early, hard ones go on (:func:`ncdvision.ncd.choose_cascade`).

For ``ctx-ref-learned/thermo:3`` at k = 5 and k = 15 (the filter's label neighbors), both
plans are chosen by :func:`~ncdvision.ncd.choose_cascade` for recall 0.99 on the same 500
leave-one-out *training* queries (one exact search; the rule's recall and walk are read from
its record). Then, on the test images, which no choice has seen, in one run: the exact search,
the fixed M and the stopping rule, with their time, their recall of the exact top k and the
k-NN accuracy. Writes bench/results/<out>.json.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import machine, table, write_json

from ncdvision.datasets import BENCHMARK_TEST_SIZE, load
from ncdvision.ncd import Compressor, kneighbors
from ncdvision.ncd.cascade import choose_cascade
from ncdvision.ncd.neighbors import vote

CODEC, SERIALIZER = "ctx-ref-learned", "thermo:3"


def recall_of(got: np.ndarray, want: np.ndarray) -> float:
    k = want.shape[1]
    return float(np.mean([len(np.intersect1d(g, w)) / k for g, w in zip(got, want, strict=True)]))


def run(name: str, n_test: int | None, ks: tuple[int, ...]) -> list[dict]:
    train, test = load(name).split(test_size=BENCHMARK_TEST_SIZE.get(name, 0.2), seed=0)
    if n_test and n_test < len(test):
        test = test.subset(n=n_test, seed=0)
    comp = Compressor(CODEC, SERIALIZER).fit(train.images, train.labels)
    dy = comp.prepare(train.images)
    kw = {"compressor": comp, "prepared_y": dy, "progress": False}
    kneighbors(test.images[:2], train.images[:50], 3, compressor=comp)  # compile
    rows = []
    for k in ks:
        t = time.perf_counter()
        plan = choose_cascade(comp, train.images, k, 0.99, prepared=dy, stopping=True)
        t_plan = time.perf_counter() - t
        fixed_m = next(m for m, r in plan.recalls.items() if r >= 0.99)
        runs = {"exact": (None, None), f"fixed M={fixed_m}": (fixed_m, None)}
        if plan.stop is not None:
            runs[plan.describe()] = (plan.m, plan.stop)
        exact = base = None
        for label, (m, stop) in runs.items():
            stats: dict = {}
            t = time.perf_counter()
            _, idx = kneighbors(test.images, train.images, k, candidates=m, stop=stop,
                                stats=stats, **kw)  # fmt: skip
            secs = time.perf_counter() - t
            exact = idx if m is None else exact
            base = secs if m == fixed_m and stop is None else base
            acc = float(np.mean(vote(train.labels[idx], 10) == test.labels))
            rows.append({"dataset": name, "k": k, "search": label, "_s": secs,
                         "candidates walked (test mean)": round(float(stats["walked"].mean())),
                         "seconds": round(secs, 1), "recall (test)": recall_of(idx, exact),
                         "accuracy": acc, "n_test": len(test)})  # fmt: skip
            print(rows[-1], flush=True)
        for r in rows:
            if r["dataset"] == name and r["k"] == k:
                r["x fixed M"] = round(r.pop("_s") / base, 2)
        rows.append({"dataset": name, "k": k, "search": f"chosen on training queries in {t_plan:.0f} s",
                     "training recall": plan.recall, "training walk": round(plan.walked)})  # fmt: skip
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", nargs="+", default=["mnist-5k", "fashion-mnist-10k"])
    ap.add_argument("--n-test", type=int, default=None)
    ap.add_argument("--k", nargs="+", type=int, default=[5, 15])
    ap.add_argument("--out", default="cascade-stop")
    args = ap.parse_args()
    rows = [r for name in args.datasets for r in run(name, args.n_test, tuple(args.k))]
    cols = ["dataset", "k", "search", "candidates walked (test mean)", "seconds", "x fixed M",
            "recall (test)", "accuracy", "training recall", "training walk"]  # fmt: skip
    print(table(rows, cols))
    write_json(args.out, {"machine": machine(), "setting": f"{CODEC}/{SERIALIZER}", "rows": rows})


if __name__ == "__main__":
    main()
