"""Which cheap distance should pick the cascade's candidates? Recall of the exact top k of
the best coder within each first stage's M nearest, on leave-one-out training queries.

    python bench/first_stage.py        # mnist-5k (4000 train) and fashion-mnist-10k (10,000)

The cascade (:mod:`ncdvision.ncd.search`) ranks with ``ctx-ref-learned/thermo:3`` only the M
nearest training images under L2 on raw pixels today; the smaller the M that reaches recall
0.99, the faster every cascade search (classify, filter, studies). Here the same exact top k
(k = 15, the filter's) of 200 random training queries is compared with the M nearest under
L2 on transformed pixels. Writes bench/results/first-stage.json.
"""

from __future__ import annotations

import time

import numpy as np
from _common import machine, table, write_json
from scipy import ndimage

from ncdvision.datasets import BENCHMARK_TEST_SIZE, load
from ncdvision.ncd import NCDKNNClassifier
from ncdvision.ncd.search import kneighbors, pixel_order

K = 15
M_GRID = (50, 100, 200, 300, 500, 1000, 2000)


def _cos(f: np.ndarray) -> np.ndarray:
    f = f.reshape(len(f), -1)
    return f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-6)


STAGES = {
    "L2 raw (today)": lambda x: x,
    "L2 sqrt": np.sqrt,
    "L2 x^0.35": lambda x: x**0.35,
    "L2 log1p": np.log1p,
    "cosine raw": _cos,
    "L2 gaussian blur 0.7": lambda x: np.stack([ndimage.gaussian_filter(i, 0.7) for i in x]),
    "L2 sqrt of blur 0.5": lambda x: np.sqrt(np.stack([ndimage.gaussian_filter(i, 0.5) for i in x])),
}


def main() -> None:
    rows = []
    for name in ("mnist-5k", "fashion-mnist-10k"):
        train, _ = load(name).split(test_size=BENCHMARK_TEST_SIZE[name], seed=0)
        X = train.images
        t = time.perf_counter()
        comp = NCDKNNClassifier(codec="ctx-ref-learned", serializer="thermo:3", k=K,
                                search="exact").fit(X, train.labels).compressor_  # fmt: skip
        q = np.sort(np.random.default_rng(0).choice(len(X), 200, replace=False))
        _, exact = kneighbors(X[q], X, K, compressor=comp, exclude=q, progress=False)
        print(f"{name}: exact top {K} of 200 queries in {time.perf_counter() - t:.0f} s")
        for stage, f in STAGES.items():
            feat = np.asarray(f(X.astype(np.float32)), np.float32)
            order = pixel_order(feat[q], feat, max(M_GRID), q)
            rec = {m: float(np.mean([len(np.intersect1d(e, o[:m])) / K
                                     for e, o in zip(exact, order, strict=True)]))
                   for m in M_GRID}  # fmt: skip
            reach = next((m for m in M_GRID if rec[m] >= 0.99), None)
            rows.append({"dataset": name, "first stage": stage, "n_train": len(X),
                         **{f"M={m}": rec[m] for m in M_GRID},
                         "M for 0.99": reach or f"> {max(M_GRID)}"})  # fmt: skip
    print(table(rows, ["dataset", "first stage", *(f"M={m}" for m in M_GRID), "M for 0.99"]))
    write_json("first-stage", {"machine": machine(), "k": K, "queries": 200, "rows": rows})


if __name__ == "__main__":
    main()
