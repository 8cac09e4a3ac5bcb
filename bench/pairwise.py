"""Pairs per second of every codec against the naive per-pair gzip loop, in one run.

    python bench/pairwise.py                 # mnist-5k and fashion-mnist, 40 x 4000 pairs
                                             # (context coders 400 x 4000)
    python bench/pairwise.py --full-knn      # + fashion-mnist 10,000 x 60,000 top-k (~15-30 min)

The reference is what published compression-kNN code does: a Python double loop that calls
gzip (level 9) on y and on x+y for every pair. Our gzip fast path must produce identical
distances (checked here). Writes bench/results/pairwise.json.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

import numpy as np
from _common import machine, table, write_json

from ncdvision.datasets import load
from ncdvision.ncd import Compressor, pairwise, pairwise_naive

CODECS = [  # (codec, serializer)
    ("gzip", "raw"),
    ("zlib", "raw"),
    ("bz2", "raw"),
    ("lzma", "raw"),
    ("zstd", "raw"),
    ("brotli", "raw"),
    ("png", "raw"),
    ("webp", "raw"),
    ("ctx", "binary"),
    ("ctx-ref-asym", "binary"),
    ("ctx-ref", "binary"),
    ("ctx-ref", "q2"),
    ("ctx-ref-learned", "binary"),
]


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def bench_dataset(name: str, n_test: int, n_train: int, n_naive: int) -> list[dict]:
    ds = load(name)
    train, test = ds.split(test_size=1000, seed=0) if ds.test_mask is None else ds.split()
    X, Y = test.images[:n_test], train.images[:n_train]
    naive, t_naive = timed(lambda: pairwise_naive(X[:n_naive], Y, codec="gzip"))
    naive_pps = naive.size / t_naive
    rows = [
        {
            "dataset": name,
            "method": "naive gzip loop (reference)",
            "serializer": "raw",
            "pairs_per_s": naive_pps,
            "speedup": 1.0,
            "threads": 1,
        }
    ]
    for codec, ser in CODECS:
        # fitted outside the timing (ctx-ref-learned learns its prior from training labels)
        comp = Compressor(codec, ser).fit(Y, train.labels[:n_train])
        pairwise(X[:2], Y[:8], compressor=comp)  # warm-up: numba compile, caches
        Xc = test.images[: n_test * 10] if codec.startswith("ctx") else X  # fast: more rows
        D, t = timed(lambda comp=comp, Xc=Xc: pairwise(Xc, Y, compressor=comp, progress=False))
        row = {
            "dataset": name,
            "method": codec,
            "serializer": ser,
            "pairs_per_s": D.size / t,
            "speedup": D.size / t / naive_pps,
            "threads": "all",
        }
        if codec in ("gzip", "zlib", "bz2", "lzma", "zstd", "brotli", "png", "webp"):
            n1 = max(4, n_test // 8)  # thread scaling: do the bindings release the GIL?
            _, t1 = timed(
                lambda c=codec, n1=n1: pairwise(X[:n1], Y, codec=c, n_jobs=1, progress=False)
            )
            _, t2 = timed(
                lambda c=codec, n1=n1: pairwise(X[:n1], Y, codec=c, n_jobs=-1, progress=False)
            )
            row["thread_scaling"] = t1 / t2
        if codec == "gzip":
            row["identical_to_naive"] = bool(np.array_equal(D[:n_naive], naive))
        rows.append(row)
        print(
            f"  {name:14s} {codec:13s} {ser:7s} {row['pairs_per_s']:>12,.0f} pairs/s  "
            f"x{row['speedup']:.1f}",
            flush=True,
        )
    return rows


def full_knn(codec: str, serializer: str, k: int) -> dict:
    """fashion-mnist 10,000 x 60,000 top-k in a child process, so its peak RSS is its own."""
    code = f"""
import resource, time, json, numpy as np
from ncdvision.datasets import load
from ncdvision.ncd import kneighbors
train, test = load("fashion-mnist").split()
t = time.perf_counter()
d, i = kneighbors(test.images, train.images, k={k}, codec={codec!r}, serializer={serializer!r}, progress=True)
wall = time.perf_counter() - t
acc = float((np.array([np.bincount(r, minlength=10).argmax() for r in train.labels[i[:, :1]]]) == test.labels).mean())
print(json.dumps({{"wall_s": wall, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "pairs_per_s": len(test) * len(train) / wall, "top1_nn_accuracy": acc}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    import json

    res = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        "codec": codec,
        "serializer": serializer,
        "k": k,
        "n_test": 10000,
        "n_train": 60000,
        **res,
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n-test", type=int, default=40)
    ap.add_argument("--n-train", type=int, default=4000)
    ap.add_argument("--n-naive", type=int, default=10, help="test rows for the slow naive loop")
    ap.add_argument("--datasets", nargs="+", default=["mnist-5k", "fashion-mnist"])
    ap.add_argument("--full-knn", action="store_true", help="fashion-mnist 10k x 60k top-k run")
    ap.add_argument("--only-full-knn", action="store_true",
                    help="just the full top-k run, to bench/results/pairwise-full-knn.json")  # fmt: skip
    ap.add_argument("--knn-codec", default="ctx-ref-asym")
    ap.add_argument("--knn-serializer", default="binary")
    args = ap.parse_args()
    if args.only_full_knn:
        res = full_knn(args.knn_codec, args.knn_serializer, k=10)
        print(res)
        print(f"wrote {write_json('pairwise-full-knn', {'machine': machine(), **res})}")
        return

    rows = []
    for name in args.datasets:
        rows += bench_dataset(name, args.n_test, args.n_train, args.n_naive)
    result = {"machine": machine(), "pairs": f"{args.n_test} x {args.n_train}", "rows": rows}
    if args.full_knn:
        result["full_knn"] = full_knn(args.knn_codec, args.knn_serializer, k=10)
        print(result["full_knn"])
    path = write_json("pairwise", result)
    print(
        table(rows, ["dataset", "method", "serializer", "pairs_per_s", "speedup", "thread_scaling"])
    )
    print(
        f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
