"""Top-1 accuracy of compression kNN against L2 pixel kNN, benchmark protocol, one run.

    python bench/accuracy.py                               # digits, mnist-5k
    python bench/accuracy.py --datasets fashion-mnist-10k  # (needs dataset-fashion-mnist)

Protocol (the README's benchmark protocol): the fixed seed-0 split of each dataset; k = 1, 3, 5 reported
for every (codec, serializer), plus "auto" (codec, serializer and k chosen by leave-one-out on
the training set only). Tie rule: majority vote, a tie goes to the tied class whose nearest
member is closest. Byte codecs are slow, so they classify a stratified sample of
``--slow-test`` test images (their n_test column says so); gzip/raw through the engine gives
distances identical to the naive per-pair gzip loop (tested), so its row is the naive gzip
NCD-kNN baseline. Also the
class-conditional classifier (zstd dictionaries, ctx class statistics). ``--neural`` adds kNN on
autoencoder latents and the small supervised CNN (needs the [neural] extra); ``--only-neural``
runs just those with L2. Writes bench/results/accuracy[-neural]-<datasets>.json.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from _common import machine, read_rows, table, write_json

from ncdvision.datasets import BENCHMARK_TEST_SIZE, load
from ncdvision.ncd import Compressor, NCDKNNClassifier, PixelKNNClassifier, kneighbors
from ncdvision.ncd.classcond import ClassCompressionClassifier
from ncdvision.ncd.neighbors import vote
from ncdvision.ncd.selection import AUTO_CANDIDATES

SETTINGS = [
    ("ctx-ref-learned", "binary"),
    ("ctx-ref-learned", "thermo:3"),
    ("ctx-ref", "binary"),
    ("ctx-ref", "q2"),
    ("ctx-ref-asym", "binary"),
    ("ctx", "binary"),
    ("gzip", "raw"),
    ("zlib", "q4"),
    ("bz2", "raw"),
    ("zstd", "raw"),
    ("lzma", "raw"),
    ("brotli:5", "raw"),
    ("png", "raw"),
    ("webp", "raw"),
]
SLOW = {"gzip", "zlib", "bz2", "zstd", "png", "lzma", "brotli", "webp"}


def neural_rows(name: str, train, test, res: Results) -> None:
    """Latent kNN (learned lossy compressor) and the small supervised CNN, same split."""
    from ncdvision.neural.cnn import CNNClassifier
    from ncdvision.neural.features import LatentKNNClassifier

    for method, make in (
        ("autoencoder latents kNN (l2)", lambda: LatentKNNClassifier(metric="l2")),
        ("autoencoder latents kNN (cosine)", lambda: LatentKNNClassifier(metric="cosine")),
        ("small CNN (supervised reference)", lambda: CNNClassifier()),
    ):

        def fit_score(method=method, make=make):
            clf = make().fit(train.images, train.labels)
            return {"method": method, "auto": clf.score(test.images, test.labels),
                    "auto_k": getattr(clf, "k_", None), "n_test": len(test)}  # fmt: skip

        res.get(name, method, lambda f=fit_score: timed_row(f))


class Results:
    """Rows saved to the partial file after each one is computed, the results file replaced
    only by :meth:`finish`; ``--resume`` reuses rows of the partial (else the finished) file,
    keyed by dataset and method (auto rows also by candidates)."""

    def __init__(self, name: str, resume: bool):
        self.name = name
        self.rows: list[dict] = []
        self._done: dict = {}
        if resume:
            for row in read_rows(name):
                self._done[(row["dataset"], row.get("key", row["method"]))] = row

    def get(self, dataset: str, key: str, compute) -> dict:
        row = self._done.get((dataset, key))
        if row is None:
            row = {"dataset": dataset, "key": key, **compute()}
            print(f"  {dataset} {row['method']}: " + ", ".join(
                f"{c} {row[c]:.3f}" for c in ("k=1", "k=3", "k=5", "auto") if row.get(c) is not None
            ), flush=True)  # fmt: skip
        self.rows.append(row)
        write_json(self.name, {"machine": machine(), "rows": self.rows}, partial=True)
        return row

    def finish(self) -> Path:
        return write_json(self.name, {"machine": machine(), "rows": self.rows})


def l2_row(train, test) -> dict:
    clf = PixelKNNClassifier().fit(train.images, train.labels)
    return {"method": "L2 pixel kNN", "auto": clf.score(test.images, test.labels),
            "auto_k": clf.k_, "n_test": len(test)}  # fmt: skip


def timed_row(fn) -> dict:
    t = time.perf_counter()
    row = fn()
    row["seconds"] = time.perf_counter() - t
    return row


def run(name: str, slow_test: int, neural: bool, res: Results) -> None:
    ds = load(name)
    train, test = ds.split(test_size=BENCHMARK_TEST_SIZE[name], seed=0)
    n_cls = len(ds.class_names)

    res.get(name, "L2 pixel kNN", lambda: timed_row(lambda: l2_row(train, test)))
    # slow byte codecs classify a stratified sample of the test set (splits list the test
    # images class by class, so the first few hundred would be one or two classes)
    sample = test.subset(n=min(len(test), slow_test), seed=0)
    for codec, ser in SETTINGS:

        def knn(codec=codec, ser=ser):
            te = sample if codec.split(":")[0] in SLOW else test
            comp = Compressor(codec, ser).fit(train.images, train.labels)
            _, idx = kneighbors(te.images, train.images, k=5, compressor=comp)
            row = {"method": f"{codec}/{ser}", "n_test": len(te)}
            for k in (1, 3, 5):
                row[f"k={k}"] = float(np.mean(vote(train.labels[idx[:, :k]], n_cls) == te.labels))
            return row

        res.get(name, f"{codec}/{ser}", lambda knn=knn: timed_row(knn))
    for codec in ("ctx", "zstd"):

        def classcond(codec=codec):
            cc = ClassCompressionClassifier(codec=codec).fit(train.images, train.labels)
            return {"method": f"class-conditional {codec}/{cc.serializer_.name}",
                    "auto": cc.score(test.images, test.labels), "n_test": len(test)}  # fmt: skip

        res.get(name, f"class-conditional {codec}", lambda f=classcond: timed_row(f))
    if neural:
        neural_rows(name, train, test, res)

    def auto():
        clf = NCDKNNClassifier().fit(train.images, train.labels)
        return {"method": f"auto -> {clf.codec_}/{clf.serializer_}",
                "auto": clf.score(test.images, test.labels), "auto_k": clf.k_,
                "loo": clf.loo_accuracy_, "n_test": len(test)}  # fmt: skip

    candidates = " ".join(f"{c}/{s}" for c, s in AUTO_CANDIDATES)
    res.get(name, f"auto [{candidates}]", lambda: timed_row(auto))


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--datasets", nargs="+", default=["digits", "mnist-5k"])
    ap.add_argument("--slow-test", type=int, default=200, help="test images for slow byte codecs")
    ap.add_argument("--neural", action="store_true", help="add latent kNN and the small CNN")
    ap.add_argument("--only-neural", action="store_true", help="only L2 and the neural rows")
    ap.add_argument("--resume", action="store_true", help="reuse rows already in the JSON file")
    args = ap.parse_args()
    tag = "accuracy-neural-" if args.only_neural else "accuracy-"
    res = Results(tag + "-".join(args.datasets), args.resume)
    for name in args.datasets:
        if args.only_neural:
            train, test = load(name).split(test_size=BENCHMARK_TEST_SIZE[name], seed=0)

            res.get(name, "L2 pixel kNN",
                    lambda tr=train, te=test: timed_row(lambda: l2_row(tr, te)))  # fmt: skip
            neural_rows(name, train, test, res)
        else:
            run(name, args.slow_test, args.neural or False, res)
    cols = ["dataset", "method", "n_test", "k=1", "k=3", "k=5", "auto", "auto_k", "seconds"]
    print(table(res.rows, cols))
    print(f"wrote {res.finish()}")


if __name__ == "__main__":
    main()
