"""Top-1 accuracy of compression kNN against L2 pixel kNN, benchmark protocol, one run.

    python bench/accuracy.py                               # digits, mnist-5k
    python bench/accuracy.py --datasets fashion-mnist-10k  # (needs dataset-fashion-mnist)

Protocol (../shared/DESIGN.md): the fixed seed-0 split of each dataset; k = 1, 3, 5 reported
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

import numpy as np
from _common import machine, table, write_json

from ncdvision.datasets import BENCHMARK_TEST_SIZE, load
from ncdvision.ncd import Compressor, kneighbors
from ncdvision.ncd.classcond import ClassCompressionClassifier
from ncdvision.ncd.jobs import _l2_knn
from ncdvision.ncd.knn import NCDKNNClassifier, vote

SETTINGS = [
    ("ctx-ref-learned", "binary"),
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


def neural_rows(name: str, train, test) -> list[dict]:
    """Latent kNN (learned lossy compressor) and the small supervised CNN, same split."""
    from ncdvision.neural.cnn import CNNClassifier
    from ncdvision.neural.features import LatentKNNClassifier

    rows = []
    for method, clf in (
        ("autoencoder latents kNN (l2)", LatentKNNClassifier(metric="l2")),
        ("autoencoder latents kNN (cosine)", LatentKNNClassifier(metric="cosine")),
        ("small CNN (supervised reference)", CNNClassifier()),
    ):
        t = time.perf_counter()
        clf.fit(train.images, train.labels)
        row = {"dataset": name, "method": method, "n_test": len(test),
               "auto": clf.score(test.images, test.labels),
               "auto_k": getattr(clf, "k_", None), "seconds": time.perf_counter() - t}  # fmt: skip
        rows.append(row)
        print(f"  {name} {method}: {row['auto']:.3f}", flush=True)
    return rows


def run(name: str, slow_test: int, neural: bool) -> list[dict]:
    ds = load(name)
    train, test = ds.split(test_size=BENCHMARK_TEST_SIZE[name], seed=0)
    n_cls = len(ds.class_names)
    rows = []
    t = time.perf_counter()
    pred, k, _ = _l2_knn(train, test)
    rows.append(
        {
            "dataset": name,
            "method": "L2 pixel kNN",
            "k=1": None,
            "auto": float(np.mean(pred == test.labels)),
            "auto_k": k,
            "n_test": len(test),
            "seconds": time.perf_counter() - t,
        }
    )
    # slow byte codecs classify a stratified sample of the test set (splits list the test
    # images class by class, so the first few hundred would be one or two classes)
    sample = test.subset(n=min(len(test), slow_test), seed=0)
    for codec, ser in SETTINGS:
        te = sample if codec.split(":")[0] in SLOW else test
        t = time.perf_counter()
        comp = Compressor(codec, ser).fit(train.images, train.labels)
        _, idx = kneighbors(te.images, train.images, k=5, compressor=comp)
        row = {
            "dataset": name,
            "method": f"{codec}/{ser}",
            "n_test": len(te),
            "seconds": time.perf_counter() - t,
        }
        for k in (1, 3, 5):
            row[f"k={k}"] = float(np.mean(vote(train.labels[idx[:, :k]], n_cls) == te.labels))
        rows.append(row)
        print(
            f"  {name} {codec}/{ser}: " + " ".join(f"k={k} {row[f'k={k}']:.3f}" for k in (1, 3, 5)),
            flush=True,
        )
    for codec in ("ctx", "zstd"):
        t = time.perf_counter()
        cc = ClassCompressionClassifier(codec=codec).fit(train.images, train.labels)
        rows.append(
            {
                "dataset": name,
                "method": f"class-conditional {codec}/{cc.serializer_.name}",
                "auto": cc.score(test.images, test.labels),
                "n_test": len(test),
                "seconds": time.perf_counter() - t,
            }
        )
    if neural:
        rows += neural_rows(name, train, test)
    t = time.perf_counter()
    clf = NCDKNNClassifier().fit(train.images, train.labels)
    acc = clf.score(test.images, test.labels)
    rows.append(
        {
            "dataset": name,
            "method": f"auto -> {clf.codec_}/{clf.serializer_}",
            "auto": acc,
            "auto_k": clf.k_,
            "n_test": len(test),
            "seconds": time.perf_counter() - t,
        }
    )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--datasets", nargs="+", default=["digits", "mnist-5k"])
    ap.add_argument("--slow-test", type=int, default=200, help="test images for slow byte codecs")
    ap.add_argument("--neural", action="store_true", help="add latent kNN and the small CNN")
    ap.add_argument("--only-neural", action="store_true", help="only L2 and the neural rows")
    args = ap.parse_args()
    rows = []
    for name in args.datasets:
        if args.only_neural:
            ds = load(name)
            train, test = ds.split(test_size=BENCHMARK_TEST_SIZE[name], seed=0)
            pred, k, _ = _l2_knn(train, test)
            rows.append({"dataset": name, "method": "L2 pixel kNN", "n_test": len(test),
                         "auto": float(np.mean(pred == test.labels)), "auto_k": k})  # fmt: skip
            rows += neural_rows(name, train, test)
        else:
            rows += run(name, args.slow_test, args.neural)
    tag = "accuracy-neural-" if args.only_neural else "accuracy-"
    path = write_json(tag + "-".join(args.datasets), {"machine": machine(), "rows": rows})
    print(
        table(
            rows, ["dataset", "method", "n_test", "k=1", "k=3", "k=5", "auto", "auto_k", "seconds"]
        )
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
