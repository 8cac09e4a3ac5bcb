"""Does a prior learned without labels lose anything when every label is known?

    python bench/label_free_prior.py                       # mnist-5k and fashion-mnist-10k
    python bench/label_free_prior.py --datasets mnist-5k

Each dataset's benchmark split (seed 0), ``NCDKNNClassifier()`` with its defaults twice:
``fit(X, y)``, whose ``ctx-ref-learned`` prior codes each training image given random
images of its class, and ``fit(X, y, X_unlabeled=X)``, whose prior codes each training
image given its nearest training images and reads no label (:mod:`ncdvision.ncd.context.pairs`).
In both, ``auto`` chooses the setting and k by leave-one-out on the training images, with
the same kind of prior it will use; the test split is only scored. Writes
bench/results/label-free-prior.json.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import machine, table, write_json

from ncdvision.datasets import BENCHMARK_TEST_SIZE, load
from ncdvision.ncd import NCDKNNClassifier


def run(name: str) -> list[dict]:
    train, test = load(name).split(test_size=BENCHMARK_TEST_SIZE[name], seed=0)
    rows = []
    for prior, pool in (("same-class pairs (labels)", None), ("nearest neighbors (no labels)", train.images)):  # fmt: skip
        t = time.perf_counter()
        model = NCDKNNClassifier().fit(train.images, train.labels, X_unlabeled=pool)
        acc = float(np.mean(model.predict(test.images) == test.labels))
        rows.append({"dataset": name, "prior": prior,
                     "setting": f"{model.codec_}/{model.serializer_} k={model.k_}",
                     "loo_accuracy": round(model.loo_accuracy_, 4), "test_accuracy": acc,
                     "n_test": len(test), "seconds": round(time.perf_counter() - t, 1)})  # fmt: skip
        print(rows[-1], flush=True)
    rows[1]["difference"] = round(rows[1]["test_accuracy"] - rows[0]["test_accuracy"], 4)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", nargs="+", default=["mnist-5k", "fashion-mnist-10k"])
    args = ap.parse_args()
    rows = [r for name in args.datasets for r in run(name)]
    print(table(rows, ["dataset", "prior", "setting", "loo_accuracy", "test_accuracy", "seconds"]))
    write_json("label-free-prior", {"machine": machine(), "rows": rows})


if __name__ == "__main__":
    main()
