"""How many pixel-space candidates must each setting rank while ``auto`` scores it? Accuracy
of the auto candidates' context coders on a validation split of the *training* set, ranking
each query's M nearest under the cascade's first stage, with L2 pixel kNN on the same queries.

    python bench/selection_pool.py                        # full Fashion-MNIST, M 200 1200 3000
    python bench/selection_pool.py --dataset fashion-mnist-10k --pool 200 1000
    python bench/selection_pool.py --loo-seeds 0 1 2      # the selection's own estimate, 3 draws

The official test split is never read: the training set is split (stratified, seed 1) into a
part that fits the learned priors and is searched, and ``--queries`` validation images. If
the settings' order changes with M, a selection that ranks too few candidates picks the wrong
one (``ncdvision.ncd.selection.selection_candidates``). Writes bench/results/selection-pool.json.

``--loo-seeds`` instead repeats what ``NCDKNNClassifier(codec="auto")`` measures: leave-one-out
accuracy on 2,000 random training queries (prior fitted without them), each ranking its
:func:`~ncdvision.ncd.selection.selection_candidates` nearest, once per seed of the query draw, to
show how much the choice depends on the draw. Writes bench/results/selection-loo.json.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import machine, table, write_json
from sklearn.model_selection import train_test_split
from sklearn.neighbors import NearestNeighbors

from ncdvision.datasets import load
from ncdvision.ncd import Compressor, NCDKNNClassifier, kneighbors
from ncdvision.ncd.neighbors import loo_accuracies
from ncdvision.ncd.selection import selection_candidates

SETTINGS = (("ctx-ref-learned", "binary"), ("ctx-ref-learned", "thermo:3"), ("ctx-ref", "q2"))
KS = (1, 3, 5, 7)
#: Leave-one-out queries of the auto selection for context coders (its ``loo_size``).
LOO_QUERIES = NCDKNNClassifier().get_params()["loo_size"]


def loo_rows(dataset: str, seeds: list[int]) -> list[dict]:
    """The selection's leave-one-out estimate of the learned settings, per query draw."""
    ds = load(dataset)
    train = ds.split(test_size=None, seed=0)[0] if ds.test_mask is not None else ds
    X, y = train.images, train.labels
    m = selection_candidates(len(X))
    rows = []
    for seed in seeds:
        q = np.sort(np.random.default_rng(seed).choice(len(X), LOO_QUERIES, replace=False))
        fit = np.setdiff1d(np.arange(len(X)), q)
        for codec, ser in SETTINGS[:2]:
            comp = Compressor(codec, ser).fit(X[fit], y[fit])
            _, idx = kneighbors(X[q], X, max(KS), compressor=comp, exclude=q, candidates=m)
            acc = loo_accuracies(idx, y, y[q], KS, len(ds.class_names))
            rows.append({"dataset": dataset, "seed": seed, "n_queries": len(q), "M": m,
                         "setting": f"{codec}/{ser}", **{f"k={k}": acc[k] for k in KS}})  # fmt: skip
            print(table(rows[-1:], ["seed", "setting", *[f"k={k}" for k in KS]]), flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--dataset", default="fashion-mnist")
    ap.add_argument("--pool", type=int, nargs="+", default=[200, 1200, 3000])
    ap.add_argument("--held-out", type=int, default=10000, help="validation part of the split")
    ap.add_argument("--queries", type=int, default=1000, help="validation queries scored")
    ap.add_argument("--loo-seeds", type=int, nargs="+", help="the selection's estimate instead")
    args = ap.parse_args()
    if args.loo_seeds:
        rows = loo_rows(args.dataset, args.loo_seeds)
        print(table(rows, ["seed", "setting", "M", *[f"k={k}" for k in KS]]))
        print(f"wrote {write_json('selection-loo', {'machine': machine(), 'rows': rows})}")
        return
    ds = load(args.dataset)
    train = ds.split(test_size=None, seed=0)[0] if ds.test_mask is not None else ds
    X, y = train.images, train.labels
    fit, val = train_test_split(np.arange(len(X)), test_size=args.held_out, stratify=y,
                                random_state=1)  # fmt: skip
    val = np.sort(val[: args.queries])
    Xf, yf, Xv, yv = X[fit], y[fit], X[val], y[val]
    n_classes = len(ds.class_names)

    def accuracies(idx) -> dict:
        return {f"k={k}": a for k, a in loo_accuracies(idx, yf, yv, KS, n_classes).items()}

    flat = {"fit": Xf.reshape(len(Xf), -1).astype(np.float32),
            "val": Xv.reshape(len(Xv), -1).astype(np.float32)}  # fmt: skip
    _, l2 = NearestNeighbors().fit(flat["fit"]).kneighbors(flat["val"], max(KS))
    base = {"dataset": args.dataset, "n_fit": len(Xf), "n_queries": len(Xv)}
    rows = [{**base, "setting": "L2 pixel kNN", "M": "-", **accuracies(l2)}]
    for codec, ser in SETTINGS:
        comp = Compressor(codec, ser).fit(Xf, yf)
        dy = comp.prepare(Xf)
        for m in args.pool:
            t = time.perf_counter()
            _, idx = kneighbors(Xv, Xf, max(KS), compressor=comp, prepared_y=dy, candidates=m)
            rows.append({**base, "setting": f"{codec}/{ser}", "M": m, **accuracies(idx),
                         "seconds": time.perf_counter() - t})  # fmt: skip
            print(table(rows[-1:], ["setting", "M", *[f"k={k}" for k in KS]]), flush=True)
    print(table(rows, ["setting", "M", *[f"k={k}" for k in KS], "seconds"]))
    print(f"wrote {write_json('selection-pool', {'machine': machine(), 'rows': rows})}")


if __name__ == "__main__":
    main()
