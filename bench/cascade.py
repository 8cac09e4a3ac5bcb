"""One-level against two-level cascade: recall of the exact top k, accuracy and time, in one
run against the exact search.

    python bench/cascade.py                          # mnist-5k and fashion-mnist-10k
    python bench/cascade.py --datasets fashion-mnist --n-test 1000 --out cascade-fashion-full

The setting is ``ctx-ref-learned/thermo:3`` (what ``auto`` picks on mnist-5k and on full
Fashion-MNIST) at k = 5 and k = 15 (the filter's label neighbors). Every plan is chosen by
:func:`ncdvision.ncd.choose_cascade` for recall 0.99 on 500 leave-one-out *training* queries;
the recall and accuracy below are measured on the test images, which no choice has seen.
Rows: the exact search; one level (pixels only); the two-level plan with the fewest final
candidates (a second level taken as free, so the fusion's best case); and which plan
``choose_cascade`` picks from the two levels' timings on the training queries.
Writes bench/results/<out>.json and <out>.png (recall against the candidates the setting
ranks).
"""

from __future__ import annotations

import argparse
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from _common import RESULTS, machine, table, write_json  # noqa: E402

from ncdvision.datasets import BENCHMARK_TEST_SIZE, load  # noqa: E402
from ncdvision.ncd import Compressor, kneighbors  # noqa: E402
from ncdvision.ncd.cascade import SecondStage, choose_cascade  # noqa: E402
from ncdvision.ncd.neighbors import vote  # noqa: E402

CODEC, SERIALIZER = "ctx-ref-learned", "thermo:3"


def timed(fn, *a, **kw):
    t = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - t


def recall_of(got: np.ndarray, want: np.ndarray) -> float:
    k = want.shape[1]
    return float(np.mean([len(np.intersect1d(g, w)) / k for g, w in zip(got, want, strict=True)]))


def run(name: str, n_test: int | None, ks: tuple[int, ...]) -> tuple[list[dict], dict]:
    ds = load(name)
    train, test = ds.split(test_size=BENCHMARK_TEST_SIZE.get(name, 0.2), seed=0)
    if n_test and n_test < len(test):
        test = test.subset(n=n_test, seed=0)
    q, yq, ytr = test.images, test.labels, train.labels
    (comp, t_fit) = timed(lambda: Compressor(CODEC, SERIALIZER).fit(train.images, ytr))
    dy = comp.prepare(train.images)
    second, t_second = timed(SecondStage.fit, comp, train.images, ytr)
    kw = {"compressor": comp, "prepared_y": dy}
    kneighbors(q[:2], train.images[:50], 3, **kw | {"prepared_y": None})  # compile
    rows, curves = [], {}
    for k in ks:
        (_, exact), t_exact = timed(kneighbors, q, train.images, k, **kw)
        one, t_one_choose = timed(choose_cascade, comp, train.images, k, prepared=dy)
        # the fewest final candidates: a second level taken as free
        two, t_two_choose = timed(choose_cascade, comp, train.images, k, prepared=dy,
                                  second=second, pair_seconds={"final": 1.0, "second": 0.0})  # fmt: skip
        chosen = choose_cascade(comp, train.images, k, prepared=dy, second=second)
        curves[k] = {
            "one": one.recalls,
            "two": {f"{a}/{b}": r for (a, b), r in two.recalls2.items()},
        }
        (_, idx1), t1 = timed(kneighbors, q, train.images, k, candidates=one.m, **kw)
        (_, idx2), t2 = timed(kneighbors, q, train.images, k, candidates=two.m,
                              rerank=two.second, **kw)  # fmt: skip
        base = {"dataset": name, "n_train": len(train), "n_test": len(q), "k": k}
        acc = {n: float(np.mean(vote(ytr[i], len(ds.class_names)) == yq))
               for n, i in (("exact", exact), ("one", idx1), ("two", idx2))}  # fmt: skip
        rows += [
            {**base, "search": "exact (early abandoning)", "seconds": t_exact,
             "x_exact": 1.0, "test_recall": 1.0, "accuracy": acc["exact"]},
            {**base, "search": one.describe(), "seconds": t1, "x_exact": t_exact / t1,
             "test_recall": recall_of(idx1, exact), "train_recall": one.recall,
             "accuracy": acc["one"], "choose_s": t_one_choose},
            {**base, "search": two.describe(), "seconds": t2, "x_exact": t_exact / t2,
             "x_one_level": t1 / t2, "test_recall": recall_of(idx2, exact),
             "train_recall": two.recall, "accuracy": acc["two"], "choose_s": t_two_choose,
             "second_fit_s": t_second},
            {**base, "search": f"chosen from timings: {chosen.describe()}",
             "final_pairs_per_s": 1 / chosen.pair_seconds["final"],
             "second_pairs_per_s": 1 / chosen.pair_seconds["second"]},
        ]  # fmt: skip
        print(table(rows[-4:], ["search", "seconds", "x_exact", "test_recall", "accuracy"]))
    print(f"{name}: fit {t_fit:.1f} s, second level fit + prepare {t_second:.1f} s")
    return rows, curves


def figure(curves: dict, path) -> None:
    """Recall of the exact top k against the candidates the setting ranks."""
    panels = [(name, k, c) for name, by_k in curves.items() for k, c in by_k.items()]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.6), squeeze=False)
    for ax, (name, k, c) in zip(axes[0], panels, strict=True):
        m = sorted(c["one"])
        ax.plot(m, [c["one"][x] for x in m], "k-o", ms=3, label="one level: pixels")
        by_m1: dict[int, list] = {}
        for key, r in c["two"].items():
            a, b = map(int, key.split("/"))
            by_m1.setdefault(a, []).append((b, r))
        for a in sorted(by_m1)[-3:]:
            pts = sorted(by_m1[a])
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "-o", ms=3,
                    label=f"two levels, M1={a}")  # fmt: skip
        ax.axhline(0.99, color="grey", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_ylim(0.8, 1.001)
        ax.set_title(f"{name}, k = {k}")
        ax.set_xlabel("candidates ranked by the setting")
        ax.set_ylabel("recall of the exact top k (training queries)")
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    ap.add_argument("--datasets", nargs="+", default=["mnist-5k", "fashion-mnist-10k"])
    ap.add_argument("--n-test", type=int, default=None, help="test images (default: all)")
    ap.add_argument("--k", nargs="+", type=int, default=[5, 15])
    ap.add_argument("--out", default="cascade")
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows, curves = [], {}
    for name in args.datasets:
        r, curves[name] = run(name, args.n_test, tuple(args.k))
        rows += r
    figure(curves, RESULTS / f"{args.out}.png")
    payload = {"machine": machine(), "setting": f"{CODEC}/{SERIALIZER}", "target_recall": 0.99,
               "rows": rows, "train_recall_curves": curves, "wall_s": time.perf_counter() - t0}  # fmt: skip
    print(f"wrote {write_json(args.out, payload)}")


if __name__ == "__main__":
    main()
