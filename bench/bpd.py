"""Bits per dimension of test images: classical codecs, context coders, neural models.

    python bench/bpd.py                                   # digits, mnist-5k
    python bench/bpd.py --datasets fashion-mnist-10k      # (needs dataset-fashion-mnist)

For each dataset's benchmark split (seed 0), on the test images:

- every classical codec, per image (mean of header-corrected lengths) and on the whole test
  set as one stream (bytes one after the other; PNG/WebP get one mosaic image; the empty
  input's length is subtracted once);
- the ``ctx`` context coder on binarized images, fresh per image and with counts learned on the
  training split (the fair comparison with a trained model);
- the gated PixelCNN (8-bit and binarized), trained on the training split only: bits from its
  likelihood and from the actual range code of the whole test set, with a decode check.

Training time is reported per model. Writes bench/results/bpd-<datasets>.json.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
from _common import machine, table, write_json

from ncdvision.datasets import BENCHMARK_TEST_SIZE, load
from ncdvision.ncd import get_codec, get_serializer
from ncdvision.ncd.context import ContextCoder

CODECS = ["gzip", "zlib", "bz2", "lzma", "zstd", "brotli", "png", "webp"]


def mosaic(images: np.ndarray) -> np.ndarray:
    """Images tiled into a near-square grid (missing cells are black)."""
    n, h, w = images.shape[:3]
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    pad = np.zeros((rows * cols - n, *images.shape[1:]), images.dtype)
    grid = np.concatenate([images, pad]).reshape(rows, cols, h, w, *images.shape[3:])
    return grid.swapaxes(1, 2).reshape(rows * h, cols * w, *images.shape[3:])


def classical(name: str, images: np.ndarray) -> dict:
    codec = get_codec(name)
    dims = images.size
    if codec.kind == "bytes":
        per_image = sum(codec.length(x.tobytes()) for x in images)
        stream = codec.length(images.tobytes())
    else:
        per_image = sum(codec.length(x) for x in images)
        stream = codec.length(mosaic(images))
    return {"per_image_bpd": per_image / dims, "stream_bpd": stream / dims}


def context_rows(train, test) -> list[dict]:
    ser = get_serializer("binary").fit(train.images)
    xtr, xte = ser.transform(train.images), ser.transform(test.images)
    coder = ContextCoder(family="wide")
    data = coder.prepare(xte, 2)
    t = time.perf_counter()
    counts = coder.fit_counts(xtr, 2)
    learned = coder.lengths_given_counts(data, counts, strength=256)
    return [
        {"method": "ctx (fresh per image)", "pixels": "binary",
         "per_image_bpd": data.lengths.sum() / xte.size},
        {"method": "ctx (counts from training split)", "pixels": "binary",
         "per_image_bpd": learned.sum() / xte.size, "train_s": time.perf_counter() - t},
    ]  # fmt: skip


def neural_rows(train, test, epochs: int, verify: int, pixels_wanted: list[str],
                model_kw: dict) -> list[dict]:  # fmt: skip
    from ncdvision.neural.lossless import bits_per_dim, train_pixelcnn

    rows = []
    ser = get_serializer("binary").fit(train.images)
    for pixels, xtr, xte, levels in (
        ("8-bit", train.images, test.images, 256),
        ("binary", ser.transform(train.images), ser.transform(test.images), 2),
    ):
        if pixels not in pixels_wanted:
            continue
        t = time.perf_counter()
        kw = model_kw if levels > 2 else {**model_kw, "head": "softmax"}
        model, history = train_pixelcnn(xtr, levels=levels, epochs=epochs, **kw)
        wall = time.perf_counter() - t
        t = time.perf_counter()
        res = bits_per_dim(model, xte, verify=verify)
        rows.append(
            {
                "method": "gated PixelCNN",
                "pixels": pixels,
                "per_image_bpd": None,
                "stream_bpd": res["actual_bpd"],
                "likelihood_bpd": res["likelihood_bpd"],
                "overhead_pct": 100 * res["overhead"],
                "overhead_bits": res["overhead_bits"],
                "round_trip": f"{res['verified_images']} exact"
                if res["round_trip_exact"]
                else "MISMATCH",
                "train_s": sum(h["seconds"] for h in history) or wall,
                "code_s": time.perf_counter() - t,
                "epochs": epochs,
                "model": model.config(),
            }
        )
        print(f"  PixelCNN {pixels}: {rows[-1]}", flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--datasets", nargs="+", default=["digits", "mnist-5k"])
    ap.add_argument("--epochs", type=int, default=6, help="PixelCNN training epochs")
    ap.add_argument("--verify", type=int, default=8, help="test images decoded back")
    ap.add_argument("--no-neural", action="store_true")
    ap.add_argument("--pixels", nargs="+", default=["8-bit", "binary"], help="PixelCNN variants")
    ap.add_argument(
        "--channels", type=int, default=None, help="PixelCNN width (default: library's)"
    )
    ap.add_argument("--layers", type=int, default=None, help="PixelCNN depth (default: library's)")
    ap.add_argument("--head", choices=["softmax", "logistic"], default=None,
                    help="8-bit output head (binary pixels always use softmax)")  # fmt: skip
    args = ap.parse_args()
    rows = []
    for name in args.datasets:
        train, test = load(name).split(test_size=BENCHMARK_TEST_SIZE[name], seed=0)
        ds_rows = []
        for codec in CODECS:
            ds_rows.append({"method": codec, "pixels": "8-bit", **classical(codec, test.images)})
        ds_rows += context_rows(train, test)
        if not args.no_neural:
            model_kw = {k: v for k in ("channels", "layers", "head")
                        if (v := getattr(args, k)) is not None}  # fmt: skip
            ds_rows += neural_rows(train, test, args.epochs, args.verify, args.pixels, model_kw)
        best = min(r["stream_bpd"] for r in ds_rows[: len(CODECS)])
        for r in ds_rows:
            r["dataset"] = name
            if r["method"] == "gated PixelCNN" and r["pixels"] == "8-bit":
                r["ratio_to_best_classical"] = r["stream_bpd"] / best
        rows += ds_rows
        print(table(ds_rows, ["method", "pixels", "per_image_bpd", "stream_bpd"]), flush=True)
        write_json("bpd-" + "-".join(args.datasets), {"machine": machine(), "rows": rows}, True)
    path = write_json("bpd-" + "-".join(args.datasets), {"machine": machine(), "rows": rows})
    cols = ["dataset", "method", "pixels", "per_image_bpd", "stream_bpd", "likelihood_bpd",
            "overhead_pct", "overhead_bits", "round_trip", "ratio_to_best_classical", "train_s"]  # fmt: skip
    print(table(rows, cols))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
