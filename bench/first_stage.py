"""Which cheap distance should pick the cascade's candidates? Recall of the exact top k of
the best coder within each first stage's M nearest, on leave-one-out training queries.

    python bench/first_stage.py        # mnist-5k (4000 train) and fashion-mnist-10k (10,000)
    python bench/first_stage.py --datasets fashion-mnist --k 3 7 15 --out first-stage-fashion-full
    python bench/first_stage.py --stages coder --k 5 15 --out first-stage-coder
    python bench/first_stage.py --stages coder --datasets fashion-mnist --k 5 \
        --out first-stage-coder-fashion-full

The cascade (:mod:`ncdvision.ncd.search`) ranks with ``ctx-ref-learned/thermo:3`` only the M
nearest training images under L2 on the square roots of the pixels (on raw pixels until this
bench); the smaller the M that reaches recall 0.99, the faster every cascade search
(classify, filter, studies). Here the same exact top k
(k = 15, the filter's) of 200 random training queries is compared with the M nearest under
L2 on transformed pixels. Writes bench/results/first-stage.json.

``--stages coder``: first stages built from what the coder computes, beside square roots:
its ``thermo:3`` planes (as they are, blurred, or randomly projected to 256 dimensions), each
image's histogram of (causal context, symbol) codes on those planes, and each image's
``ctx-ref/binary`` distances to 256 random training images (pivots).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import machine, table, write_json
from scipy import ndimage

from ncdvision.datasets import BENCHMARK_TEST_SIZE, load
from ncdvision.ncd import Compressor, NCDKNNClassifier, pairwise
from ncdvision.ncd.search import first_stage_features, kneighbors, l2_order

M_GRID = (50, 100, 200, 300, 500, 1000, 2000, 3000, 5000, 7500)


def _cos(f: np.ndarray) -> np.ndarray:
    f = f.reshape(len(f), -1)
    return f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-6)


STAGES = {
    "L2 raw": lambda x: x,
    "L2 sqrt (the cascade's)": np.sqrt,
    "L2 x^0.35": lambda x: x**0.35,
    "L2 log1p": np.log1p,
    "cosine raw": _cos,
    "L2 gaussian blur 0.7": lambda x: np.stack([ndimage.gaussian_filter(i, 0.7) for i in x]),
    "L2 sqrt of blur 0.5": lambda x: np.sqrt(
        np.stack([ndimage.gaussian_filter(i, 0.5) for i in x])
    ),
}


def _planes(X: np.ndarray, comp) -> np.ndarray:
    """The setting's thermometer planes, (n, planes, H, W) in 0/1."""
    sym = comp.serializer.transform(X).astype(np.float32)
    return sym.reshape(len(X), -1, *X.shape[1:3])


def _blurred_planes(X, comp, sigma=0.7):
    return np.stack([ndimage.gaussian_filter(p, (0, sigma, sigma)) for p in _planes(X, comp)])


def _projected_planes(X, comp, dims=256):
    p = _planes(X, comp).reshape(len(X), -1)
    rng = np.random.default_rng(0)
    return p @ rng.standard_normal((p.shape[1], dims)).astype(np.float32) / np.sqrt(dims)


def _context_histogram(X, comp):
    """Each image's counts of (causal context, symbol) codes over its planes, normalized."""
    cs = Compressor("ctx-ref", comp.serializer).fit(X).prepare(X).cs
    h = np.stack([np.bincount(row, minlength=int(cs.max()) + 1) for row in cs.astype(np.int64)])
    return np.sqrt(h / h.sum(1, keepdims=True)).astype(np.float32)  # Hellinger


def _pivots(X, comp, n_pivots=256):
    piv = np.random.default_rng(0).choice(len(X), n_pivots, replace=False)
    return pairwise(X, X[piv], codec="ctx-ref", serializer="binary")


#: First stages from the coder's own representation; each takes (images, the compressor).
CODER_STAGES = {
    "L2 sqrt (the cascade's)": lambda X, comp: first_stage_features(X),
    "L2 thermo:3 planes": lambda X, comp: _planes(X, comp),
    "L2 thermo:3 planes, blur 0.7": _blurred_planes,
    "L2 thermo:3 planes, random projection to 256": _projected_planes,
    "Hellinger, context-code histogram": _context_histogram,
    "L2 ctx-ref/binary distances to 256 pivots": _pivots,
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--datasets", nargs="+", default=["mnist-5k", "fashion-mnist-10k"])
    ap.add_argument(
        "--k",
        type=int,
        nargs="+",
        default=[15],
        help="neighbors (15: the filter's); several: one exact search",
    )
    ap.add_argument("--out", default="first-stage")
    ap.add_argument("--stages", choices=["pixels", "coder"], default="pixels")
    a = ap.parse_args()
    stages = STAGES if a.stages == "pixels" else CODER_STAGES
    rows, kmax = [], max(a.k)
    for name in a.datasets:
        train, _ = load(name).split(test_size=BENCHMARK_TEST_SIZE[name], seed=0)
        X = train.images
        t = time.perf_counter()
        comp = NCDKNNClassifier(codec="ctx-ref-learned", serializer="thermo:3", k=kmax,
                                search="exact").fit(X, train.labels).compressor_  # fmt: skip
        q = np.sort(np.random.default_rng(0).choice(len(X), 200, replace=False))
        _, top = kneighbors(X[q], X, kmax, compressor=comp, exclude=q, progress=False)
        print(f"{name}: exact top {kmax} of 200 queries in {time.perf_counter() - t:.0f} s")
        feats = {}
        for stage, f in stages.items():
            t = time.perf_counter()
            feat = f(X.astype(np.float32)) if a.stages == "pixels" else f(X, comp)
            feats[stage] = (np.asarray(feat, np.float32).reshape(len(X), -1),
                            time.perf_counter() - t)  # fmt: skip
        for k, stage in ((k, s) for k in a.k for s in stages):
            (feat, secs), exact = feats[stage], top[:, :k]
            grid = [m for m in M_GRID if m < len(X)]
            order = l2_order(feat[q], feat, max(grid), q)
            rec = {m: float(np.mean([len(np.intersect1d(e, o[:m])) / k
                                     for e, o in zip(exact, order, strict=True)]))
                   for m in grid}  # fmt: skip
            reach = next((m for m in grid if rec[m] >= 0.99), None)
            rows.append({"dataset": name, "k": k, "first stage": stage, "n_train": len(X),
                         "features_s": secs,
                         **{f"M={m}": rec[m] for m in grid},
                         "M for 0.99": reach or f"> {max(grid)}"})  # fmt: skip
    ms = [m for m in M_GRID if any(f"M={m}" in r for r in rows)]
    print(table(rows, ["dataset", "k", "first stage", *(f"M={m}" for m in ms), "M for 0.99"]))
    write_json(a.out, {"machine": machine(), "queries": 200, "rows": rows})


if __name__ == "__main__":
    main()
