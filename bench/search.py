"""Exact and cascade neighbor search for the context coders, against this project's own
earlier kernel, and the Dask backend against the local one; one run.

    python bench/search.py                        # mnist-5k, 200 test x 4000 train
    python bench/search.py --n-test 1000 --dask   # + Dask LocalCluster vs local, 1000 x 4000
    python bench/search.py --reference a9ea673    # the earlier kernel, from git, same run

Rows: the reference (the commit's own ``pairwise`` + top k, run from a git worktree of it in
a child process), today's full matrix + top k, exact ``kneighbors`` (early abandoning; its
neighbors must equal the full matrix's, checked) with the active-first bound and with the
raster-order partial sums alone (the search before that bound), and the cascade at the M
chosen on training queries (recall >= 0.99) with its measured recall of the exact top k and
the accuracy of both. k = 3, the main job's choice. Writes bench/results/search.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import machine, table, write_json

from ncdvision.datasets import load
from ncdvision.ncd import (
    Compressor,
    choose_candidates,
    kneighbors,
    pairwise,
    top_k,
)
from ncdvision.ncd.neighbors import vote

ROOT = Path(__file__).resolve().parents[1]
K = 3
REFERENCE_CODE = """
import json, sys, time
sys.meta_path = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
sys.path.insert(0, {pkg!r})
from ncdvision.datasets import load
from ncdvision.ncd import Compressor, pairwise, top_k
train, test = load("mnist-5k").split(test_size=1000, seed=0)
comp = Compressor({codec!r}, {ser!r}).fit(train.images, train.labels)
q = test.images[:{n}]
pairwise(q[:2], train.images[:20], compressor=comp)  # compile
t = time.perf_counter()
idx = top_k(pairwise(q, train.images, compressor=comp), {k})[1]
print(json.dumps({{"seconds": time.perf_counter() - t, "idx": idx.tolist()}}))
"""


def reference(commit: str, codec: str, ser: str, n: int) -> dict:
    """The commit's own full matrix + top k, from a git worktree, in a child process."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(tree),
                        commit], check=True)  # fmt: skip
        try:
            pkg = Path(tmp) / "pkg" / "ncdvision"
            pkg.mkdir(parents=True)
            for name in ("ncd", "datasets"):
                os.symlink(tree / name, pkg / name)
            code = REFERENCE_CODE.format(pkg=str(pkg.parent), codec=codec, ser=ser, n=n, k=K)
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True, cwd=tmp)  # fmt: skip
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                           check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def raster_only(*args, compressor, **kw):
    """Exact kneighbors without the active-first bound: the raster-order partial sums alone."""
    raster = copy.copy(compressor)
    raster.codec = copy.copy(compressor.codec)
    raster.codec.active_first = False
    return kneighbors(*args, compressor=raster, **kw)


def timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t


def dask_comparison(comp, q, Y, base: dict) -> list[dict]:
    """Exact kneighbors locally and on a 2-worker LocalCluster: started inside the timed call
    (what a one-off call costs) and already running (a long-lived cluster)."""
    from distributed import Client, LocalCluster

    (_, local), t_local = timed(kneighbors, q, Y, K, compressor=comp)
    (_, cold), t_cold = timed(kneighbors, q, Y, K, compressor=comp, backend="dask")
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as client:  # fmt: skip
        kneighbors(q[:2], Y, K, compressor=comp, backend="dask", scheduler=client)  # warm up
        (_, warm), t_warm = timed(kneighbors, q, Y, K, compressor=comp, backend="dask",
                                  scheduler=client)  # fmt: skip
    return [
        {**base, "method": f"exact kneighbors, Dask LocalCluster (2 workers), {what}",
         "seconds": t, "local_seconds": t_local, "x_local": t_local / t,
         "same_neighbours": bool(np.array_equal(local, res))}
        for what, t, res in (("started in the call", t_cold, cold), ("running", t_warm, warm))
    ]  # fmt: skip


def dask_rows(n_test: int) -> None:
    train, test = load("mnist-5k").split(test_size=1000, seed=0)
    comp = Compressor("ctx-ref-learned", "thermo:3").fit(train.images, train.labels)
    kneighbors(test.images[:2], train.images[:20], K, compressor=comp)  # compile
    base = {"setting": "ctx-ref-learned/thermo:3", "n_test": n_test, "n_train": len(train)}
    rows = dask_comparison(comp, test.images[:n_test], train.images, base)
    print(table(rows, ["method", "seconds", "local_seconds", "x_local", "same_neighbours"]))
    print(f"wrote {write_json('search-dask', {'machine': machine(), 'k': K, 'rows': rows})}")


def setting_rows(ser: str, train, q, yq, reference_commit: str | None) -> tuple:
    """One serializer's rows: the full matrix, exact search with and without its early
    abandoning order, and the cascade, each checked against the full matrix's neighbors."""
    pairs = len(q) * len(train)
    rows = []
    codec = "ctx-ref-learned"
    comp = Compressor(codec, ser).fit(train.images, train.labels)
    dy = comp.prepare(train.images)
    kneighbors(q[:2], train.images[:20], K, compressor=comp)  # compile
    ref = reference(reference_commit, codec, ser, len(q)) if reference_commit else None
    t = time.perf_counter()
    full_idx = top_k(pairwise(q, train.images, compressor=comp), K)[1]
    t_full = time.perf_counter() - t
    stats = {}
    kw = {"compressor": comp, "prepared_y": dy}
    (_, exact), t_exact = timed(kneighbors, q, train.images, K, stats=stats, **kw)
    assert np.array_equal(exact, full_idx), "early abandoning changed the neighbors"
    raster_stats = {}
    (_, raster), t_raster = timed(raster_only, q, train.images, K, stats=raster_stats, **kw)
    assert np.array_equal(raster, full_idx), "early abandoning changed the neighbors"
    (m, recalls), t_choose = timed(choose_candidates, comp, train.images, K, prepared=dy)
    (_, casc), t_casc = timed(kneighbors, q, train.images, K, candidates=m, **kw)
    recall = float(
        np.mean([len(np.intersect1d(a, b)) / K for a, b in zip(exact, casc, strict=True)])
    )
    acc = {name: float(np.mean(vote(train.labels[i], 10) == yq))
           for name, i in (("exact", exact), ("cascade", casc))}  # fmt: skip
    base = {"setting": f"{codec}/{ser}", "n_test": len(q), "n_train": len(train)}
    if ref is not None:
        rows.append({**base, "method": f"full matrix + top k ({reference_commit})",
                     "seconds": ref["seconds"], "pairs_per_s": pairs / ref["seconds"],
                     "same_neighbours": ref["idx"] == full_idx.tolist()})  # fmt: skip
    t_ref = ref["seconds"] if ref is not None else t_full
    rows += [
        {**base, "method": "full matrix + top k (today)", "seconds": t_full,
         "pairs_per_s": pairs / t_full, "x_reference": t_ref / t_full},
        {**base, "method": "exact kneighbors (early abandoning)", "seconds": t_exact,
         "pairs_per_s": pairs / t_exact, "x_reference": t_ref / t_exact,
         "coded_fraction": stats["coded_fraction"], "accuracy": acc["exact"],
         "same_neighbours": True},
        {**base, "method": "exact kneighbors, raster order only", "seconds": t_raster,
         "pairs_per_s": pairs / t_raster, "x_reference": t_ref / t_raster,
         "coded_fraction": raster_stats["coded_fraction"], "same_neighbours": True},
        {**base, "method": f"cascade M={m} (chosen in {t_choose:.0f} s)", "seconds": t_casc,
         "pairs_per_s": pairs / t_casc, "x_reference": t_ref / t_casc,
         "recall_at_k": recall, "train_recall": recalls.get(m), "accuracy": acc["cascade"]},
    ]  # fmt: skip
    return comp, rows


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n-test", type=int, default=200)
    ap.add_argument("--reference", default="a9ea673", help="git commit of the earlier kernel")
    ap.add_argument("--settings", nargs="+", default=["thermo:3", "binary"])
    ap.add_argument("--dask", action="store_true", help="add Dask LocalCluster vs local")
    ap.add_argument("--only-dask", action="store_true", help="just the Dask rows")
    args = ap.parse_args()
    if args.only_dask:
        return dask_rows(args.n_test)
    train, test = load("mnist-5k").split(test_size=1000, seed=0)
    q, yq = test.images[: args.n_test], test.labels[: args.n_test]
    rows = []
    for ser in args.settings:
        comp, got = setting_rows(ser, train, q, yq, args.reference)
        rows += got
        print(table(got, ["setting", "method", "seconds", "pairs_per_s", "x_reference",
                          "recall_at_k", "accuracy"]), flush=True)  # fmt: skip
        if args.dask and ser == args.settings[0]:
            base = {k: got[0][k] for k in ("setting", "n_test", "n_train")}
            rows += dask_comparison(comp, q, train.images, base)
    cols = ["setting", "method", "n_test", "seconds", "pairs_per_s", "x_reference",
            "coded_fraction", "recall_at_k", "accuracy", "x_local", "same_neighbours"]  # fmt: skip
    print(table(rows, cols))
    print(f"wrote {write_json('search', {'machine': machine(), 'k': K, 'rows': rows})}")


if __name__ == "__main__":
    main()
