"""Which label-free pairs teach ``ctx-ref-learned`` a prior closest to the labelled one?

    python bench/label_free_pairs.py                       # mnist-5k and fashion-mnist-10k
    python bench/label_free_pairs.py --datasets mnist-5k

The labelled prior codes each training image given random other images of its class
(:func:`~ncdvision.ncd.context.pairs.same_class_pairs`); the shipped label-free prior codes it
given its 20 nearest images (:func:`~ncdvision.ncd.context.pairs.neighbor_pairs`). On
mnist-5k the label-free prior tests 0.9 points below the labelled one
(``bench/label_free_prior.py``). This bench asks whether another way of pairing images
without labels closes that gap. The list of pairings was fixed before any was scored:

- ``same-class pairs (labels)``: the labelled prior, the reference;
- ``nearest 20``: the shipped label-free prior;
- ``random 20 of the nearest 100 / 200 / 400``: more varied references, as random
  same-class images are (a class of mnist-5k has about 400 training images);
- ``nearest 10 + 10 random images``: half the references unrelated;
- ``random walk of 2 / 3 / 5 steps``: each step to one of the current image's 10 nearest,
  which reaches further while staying among similar images.

Each is ``ctx-ref-learned/thermo:3`` with k chosen by leave-one-out, fitted with the training
images of the benchmark split as its unlabelled pool (the labelled row has none), and scored
by its leave-one-out accuracy on the training images only: the test split is never read, so
nothing here is chosen on it. A pairing replaces ``neighbor_pairs`` for one fit
(``unittest.mock.patch``). Writes bench/results/label-free-pairs.json.
"""

from __future__ import annotations

import argparse
import functools
import time
from unittest import mock

import numpy as np
from _common import machine, table, write_json
from sklearn.neighbors import NearestNeighbors

from ncdvision.datasets import BENCHMARK_TEST_SIZE, load
from ncdvision.ncd import NCDKNNClassifier
from ncdvision.ncd.context.pairs import neighbor_pairs

SETTING = ("ctx-ref-learned", "thermo:3")


def _nearest(symbols: np.ndarray, n: int) -> np.ndarray:
    """Each image's ``n`` nearest other images by squared L2 on the symbol planes."""
    flat = symbols.reshape(len(symbols), -1).astype(np.float32)
    idx = NearestNeighbors(n_neighbors=n + 1, algorithm="brute").fit(flat).kneighbors(flat, return_distance=False)  # fmt: skip
    return idx[:, 1:]


def random_of_nearest(symbols, per_image, seed, max_images=None, top=100):
    """``per_image`` references drawn without replacement from each image's ``top`` nearest."""
    idx = _nearest(symbols, top)
    rng = np.random.default_rng(seed)
    pick = np.argsort(rng.random((len(symbols), top)), axis=1)[:, :per_image]
    refs = np.take_along_axis(idx, pick, 1)
    return refs.ravel().astype(np.int64), np.repeat(np.arange(len(symbols)), per_image)


def nearest_and_random(symbols, per_image, seed, max_images=None):
    """Half the references the nearest images, half random other images."""
    r1, c1 = neighbor_pairs(symbols, per_image // 2, seed)
    n = len(symbols)
    c2 = np.repeat(np.arange(n), per_image - per_image // 2)
    r2 = (c2 + np.random.default_rng(seed).integers(1, n, len(c2))) % n
    return np.concatenate([r1, r2]).astype(np.int64), np.concatenate([c1, c2]).astype(np.int64)


def random_walk(symbols, per_image, seed, max_images=None, steps=2, width=10):
    """References reached by ``steps`` random steps, each to one of the current image's
    ``width`` nearest; a walk back to its start takes the start's nearest image instead."""
    idx = _nearest(symbols, width)
    rng = np.random.default_rng(seed)
    cod = np.repeat(np.arange(len(symbols)), per_image)
    cur = cod.copy()
    for _ in range(steps):
        cur = idx[cur, rng.integers(0, width, len(cur))]
    back = cur == cod
    cur[back] = idx[cod[back], 0]
    return cur.astype(np.int64), cod.astype(np.int64)


PAIRINGS = {
    "same-class pairs (labels)": None,
    "nearest 20": neighbor_pairs,
    "random 20 of the nearest 100": functools.partial(random_of_nearest, top=100),
    "random 20 of the nearest 200": functools.partial(random_of_nearest, top=200),
    "random 20 of the nearest 400": functools.partial(random_of_nearest, top=400),
    "nearest 10 + 10 random images": nearest_and_random,
    "random walk of 2 steps": functools.partial(random_walk, steps=2),
    "random walk of 3 steps": functools.partial(random_walk, steps=3),
    "random walk of 5 steps": functools.partial(random_walk, steps=5),
}


def run(name: str) -> list[dict]:
    train, _ = load(name).split(test_size=BENCHMARK_TEST_SIZE[name], seed=0)
    rows = []
    for pairing, fn in PAIRINGS.items():
        t = time.perf_counter()
        model = NCDKNNClassifier(codec=SETTING[0], serializer=SETTING[1])
        if fn is None:
            model.fit(train.images, train.labels)
        else:
            with mock.patch("ncdvision.ncd.context.reference.neighbor_pairs", fn):
                model.fit(train.images, train.labels, X_unlabeled=train.images)
        n = model.selection_[0]["n_queries"]
        acc = model.loo_accuracy_
        rows.append({"dataset": name, "pairing": pairing, "k": int(model.k_),
                     "loo_accuracy": round(acc, 4), "loo_queries": n,
                     "standard_error": round(float(np.sqrt(acc * (1 - acc) / n)), 4),
                     "seconds": round(time.perf_counter() - t, 1)})  # fmt: skip
        print(rows[-1], flush=True)
    for r in rows[1:]:
        r["difference"] = round(r["loo_accuracy"] - rows[0]["loo_accuracy"], 4)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", nargs="+", default=["mnist-5k", "fashion-mnist-10k"])
    args = ap.parse_args()
    rows = [r for name in args.datasets for r in run(name)]
    print(table(rows, list(rows[0]) + ["difference"]))
    write_json("label-free-pairs", {"machine": machine(), "setting": "/".join(SETTING),
                                    "rows": rows})  # fmt: skip


if __name__ == "__main__":
    main()
