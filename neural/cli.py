"""``ncdvision neural train|bpd|features`` (imported only when torch is installed)."""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from ncdvision.ncd.output import check_output
from ncdvision.ncd.writers import write_json

#: Defaults sized to finish within ~10 minutes on 2 cores for mnist-5k.
EPOCHS = {"pixelcnn": 6, "autoencoder": 10, "cnn": 8}


def _split(args: argparse.Namespace):
    from ncdvision.datasets import BENCHMARK_TEST_SIZE, load

    ds = load(args.dataset)
    size = args.test_size
    if size is None:
        size = BENCHMARK_TEST_SIZE.get(args.dataset, None if ds.test_mask is not None else 0.2)
    train, test = ds.split(test_size=size, seed=args.seed)
    if train.images.ndim != 3:
        raise ValueError(
            f"{args.dataset}: the neural models code grayscale images (N, H, W); got "
            f"{train.images.shape}. Load colour folders with color='gray'."
        )
    return train, test


def _symbols(train, test, binary: bool):
    if not binary:
        return train.images, test.images, 256
    from ncdvision.ncd import get_serializer

    ser = get_serializer("binary").fit(train.images)
    return ser.transform(train.images), ser.transform(test.images), 2


def _features(args, train, test, epochs: int, result: dict) -> int:
    from ncdvision.ncd.knn import PixelKNNClassifier

    from .features import LatentKNNClassifier

    clf = LatentKNNClassifier(metric=args.metric, k=args.k, epochs=epochs, seed=args.seed,
                              cache=args.cache, progress=True)  # fmt: skip
    clf.fit(train.images, train.labels)
    acc = clf.score(test.images, test.labels)
    l2 = PixelKNNClassifier().fit(train.images, train.labels)
    l2_acc = l2.score(test.images, test.labels)
    result.update(clf.settings(), accuracy=acc, l2_pixel_knn_accuracy=l2_acc, l2_k=l2.k_)
    print(f"latent kNN ({args.metric}, k={clf.k_}): {acc:.3f}   "
          f"L2 pixel kNN (k={l2.k_}): {l2_acc:.3f}")  # fmt: skip
    return 0


def _pixelcnn(args, train, test, epochs: int, result: dict) -> int:
    from .lossless import bits_per_dim, train_pixelcnn

    xtr, xte, levels = _symbols(train, test, args.binary)
    model, history = train_pixelcnn(xtr, levels=levels, epochs=epochs, seed=args.seed,
                                    cache=args.cache)  # fmt: skip
    result["train_seconds"] = sum(h["seconds"] for h in history)
    result["history"] = history
    if args.neural_command != "bpd":
        return 0
    res = bits_per_dim(model, xte, verify=args.verify)
    result.update(res, levels=levels)
    print(
        f"{args.dataset} test ({len(test)} images, {levels} levels): "
        f"likelihood {res['likelihood_bpd']:.4f} bpd, actual code "
        f"{res['actual_bpd']:.4f} bpd (+{100 * res['overhead']:.2f}%), "
        f"round trip on {res['verified_images']} images: "
        f"{'exact' if res['round_trip_exact'] else 'MISMATCH'}"
    )
    return 0 if res["round_trip_exact"] else 1


def _autoencoder(args, train, test, epochs: int, result: dict) -> int:
    from .bottleneck import train_autoencoder

    model, history = train_autoencoder(train.images, epochs=epochs, seed=args.seed,
                                       cache=args.cache)  # fmt: skip
    code = model.compress(test.images)
    recon, _ = model.decompress(code)
    mse = float(np.mean((recon.astype(np.float64) - test.images) ** 2))
    result.update(history=history, bpp=code.bits / test.images.size,
                  psnr=10 * np.log10(255**2 / max(mse, 1e-12)))  # fmt: skip
    print(
        f"autoencoder on test: {result['bpp']:.3f} bpp (range coded), PSNR {result['psnr']:.2f} dB"
    )
    return 0


def _cnn(args, train, test, epochs: int, result: dict) -> int:
    from .cnn import CNNClassifier

    clf = CNNClassifier(epochs=epochs, seed=args.seed, cache=args.cache, progress=True)
    clf.fit(train.images, train.labels)
    result.update(history=clf.history_, accuracy=clf.score(test.images, test.labels))
    print(f"small CNN test accuracy: {result['accuracy']:.3f}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.out:
        check_output(args.out, inputs=[args.dataset])  # before minutes of training
    torch.set_num_threads(max(torch.get_num_threads(), 1))
    train, test = _split(args)
    cmd = args.neural_command
    model_name = getattr(args, "model", "pixelcnn" if cmd == "bpd" else "autoencoder")
    epochs = EPOCHS[model_name] if args.epochs is None else args.epochs
    result: dict = {"dataset": args.dataset, "n_train": len(train), "n_test": len(test),
                    "model": model_name, "epochs": epochs}  # fmt: skip
    t0 = time.perf_counter()
    job = _features if cmd == "features" else {"pixelcnn": _pixelcnn,
                                               "autoencoder": _autoencoder}.get(model_name, _cnn)  # fmt: skip
    if job(args, train, test, epochs, result):
        return 1
    result["seconds"] = time.perf_counter() - t0
    print(f"done in {result['seconds']:.0f}s")
    if args.out:
        write_json(args.out, result)
        print(f"wrote {args.out}")
    return 0
