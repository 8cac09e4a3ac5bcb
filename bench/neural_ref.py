"""The neural conditional coder inside NCD, beside the context coder, few-shot and full-label.

    python bench/neural_ref.py                         # mnist-5k and Fashion-MNIST, about 15 min
    python bench/neural_ref.py --datasets mnist-5k --draws 2

NPC-LV's idea is a learned compressor inside NCD; ``pixelcnn-ref``
(:class:`~ncdvision.neural.refcodec.PixelCNNRefCodec`) is that idea in the conditional form
``C(x) + C(y | x)`` that the context coder ``ctx-ref-learned`` uses. Both are fitted once per
dataset on the unlabelled pool (no label is read: nearest-neighbor pairs), then used as plain
1-NN NCD classifiers on the few-shot draws of ``bench/fewshot.py`` and, on mnist-5k, on all
4,000 labelled training images. The rows differ only in the codec.

- Pool: mnist-5k's 4,000 training images; for Fashion-MNIST a seeded 10,000 of the 60,000
  (training the network on all 60,000 takes about 15 minutes on 2 cores).
- Test images: a seeded ``--test`` of each draw's 1,000 (the network codes about 2,000 pairs
  per second; the context coders are scored on the same images).
- Search: exact where a query has at most ``--candidates`` shots, else the cascade: the
  ``--candidates`` nearest shots in pixel space, reranked by the codec.
- Fit seconds: training from random weights (a fresh checkpoint folder per run).
- Real lengths: 50 test images are range-coded, each given its nearest training image, as
  one stream, and decoded; the code's size is reported against the model's -log2 p.

Writes bench/results/neural-ref.json (finished cells are kept; a rerun resumes).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import numpy as np
from _common import RESULTS, machine, table, write_json
from fewshot import NPC_LV, draw, splits
from sklearn.neighbors import KNeighborsClassifier

from ncdvision.ncd import Compressor, kneighbors
from ncdvision.neural import coding

CODECS = {
    "pixelcnn-ref/binary": ("pixelcnn-ref", "binary"),
    "ctx-ref-learned/binary": ("ctx-ref-learned", "binary"),
    "ctx-ref-learned/thermo:3": ("ctx-ref-learned", "thermo:3"),
}
#: Unlabelled training images the coders learn from, at most.
POOL_IMAGES = 10_000


def pool_of(train, seed: int = 0) -> np.ndarray:
    """The unlabelled pool: the training images, a seeded subset beyond POOL_IMAGES."""
    if len(train) <= POOL_IMAGES:
        return train.images
    rows = np.sort(np.random.default_rng(seed).choice(len(train), POOL_IMAGES, replace=False))
    return train.images[rows]


def real_lengths(comp: Compressor, train, test, n: int = 50) -> dict:
    """Range-code ``n`` test images, each given its nearest training image, as one stream
    (one header), decode them, and compare the size with the model's -log2 p."""
    _, idx = kneighbors(test.images[:n], train.images, k=1, compressor=comp, candidates=50)
    ser, model = comp.serializer, comp.codec.model_
    ys, xs = ser.transform(test.images[:n]), ser.transform(train.images[idx[:, 0]])
    code = coding.encode(model, ys, batch_size=n, references=xs)
    header = 32 * coding.HEADER_WORDS
    return {"pairs": n, "likelihood_bits": code.likelihood_bits, "actual_bits": code.bits,
            "header_bits": header,
            "overhead_beyond_header": (code.bits - header) / code.likelihood_bits - 1,
            "round_trip_exact": bool(np.array_equal(coding.decode(model, code.words, xs), ys))}  # fmt: skip


def code_lengths(comp: Compressor, train, test, n: int = 200) -> dict:
    """Mean C(y) of ``n`` test images, and mean C(y | x) given each one's nearest training
    image under the same coder: how short the coder's codes are, beside how well it ranks."""
    _, idx = kneighbors(test.images[:n], train.images, k=1, compressor=comp, candidates=50)
    dq, dr = comp.prepare(test.images[:n]), comp.prepare(train.images[idx[:, 0]])
    codec = comp.codec
    if hasattr(codec, "conditional_block"):  # the context coders' joint may be symmetrised
        cond = [codec.conditional_block(dr.take([i]), dq.take([i]))[0, 0] for i in range(n)]
    else:
        cond = codec.joint_pairs(dr, dq, np.arange(n)[:, None])[:, 0] - dr.lengths
    return {"images": n, "bits": float(np.mean(dq.lengths)),
            "bits_given_nearest": float(np.mean(cond))}  # fmt: skip


def score(comp, few, tst, candidates: int) -> dict:
    """1-NN accuracy of the compressor on one draw, with pairs per second."""
    stats: dict = {}
    t = time.perf_counter()
    m = candidates if len(few) > candidates else None
    _, idx = kneighbors(tst.images, few.images, k=1, compressor=comp, candidates=m, stats=stats)
    sec = time.perf_counter() - t
    return {"accuracy": float(np.mean(few.labels[idx[:, 0]] == tst.labels)), "seconds": sec,
            "pairs_per_s": stats.get("pairs", len(tst) * len(few)) / sec}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", nargs="+", default=["mnist-5k", "fashion-mnist"])
    ap.add_argument("--shots", nargs="+", type=int, default=[5, 10, 50, 100])
    ap.add_argument("--draws", type=int, default=3)
    ap.add_argument("--test", type=int, default=300, help="test images per draw")
    ap.add_argument("--candidates", type=int, default=50, help="the cascade's M")
    args = ap.parse_args()
    # a fresh checkpoint folder: the fit times are of training, never of a reloaded model
    os.environ["NCDVISION_CACHE"] = tempfile.mkdtemp(prefix="ncdvision-neural-ref-")
    part = RESULTS / "neural-ref.partial.json"
    out = json.loads(part.read_text()) if part.exists() else {"cells": {}, "fits": {}}
    cells, fits = out["cells"], out["fits"]

    def save():
        write_json("neural-ref", {"machine": machine(), **out}, partial=True)

    for name in args.datasets:
        train, test = splits(name)
        pool = pool_of(train)
        comps = {}
        for row, (codec, ser) in CODECS.items():
            t = time.perf_counter()
            comps[row] = Compressor(codec, serializer=ser).fit(pool)  # no labels
            fits.setdefault(f"{name}|{row}", {"pool": len(pool),
                                              "fit_seconds": time.perf_counter() - t})  # fmt: skip
            fits[f"{name}|{row}"].setdefault("lengths", code_lengths(comps[row], train, test))
        key = f"{name}|real lengths"
        if key not in fits:
            fits[key] = real_lengths(comps["pixelcnn-ref/binary"], train, test)
            print(name, "real lengths:", fits[key], flush=True)
        settings = [(s, d) for s in args.shots for d in range(args.draws)]
        if name == "mnist-5k":
            settings.append(("all", 0))
        for shots, seed in settings:
            if shots == "all":
                few, tst = train, test
            else:
                few, tst = draw(train, test, shots, seed)
            rows = np.sort(
                np.random.default_rng(1000 + seed).choice(len(tst), args.test, replace=False)
            )
            tst = tst.subset(rows)
            l2 = KNeighborsClassifier(1).fit(few.images.reshape(len(few), -1), few.labels)
            todo = {"L2 pixel 1-NN": None, **comps}
            for row, comp in todo.items():
                key = f"{name}|{shots}|{seed}|{row}"
                if key in cells:
                    continue
                if comp is None:
                    pred = l2.predict(tst.images.reshape(len(tst), -1))
                    cells[key] = {"accuracy": float(np.mean(pred == tst.labels))}
                else:
                    cells[key] = score(comp, few, tst, args.candidates)
                print(f"{name} {shots} shots draw {seed} {row}: {cells[key]}", flush=True)
                save()
    every = list(dict.fromkeys(k.split("|")[0] for k in cells))  # earlier runs' too
    summary = summarize(cells, every, [*args.shots, "all"])
    print(table(summary, list(summary[0])))
    write_json("neural-ref", {"machine": machine(), **out, "summary": summary,
                              "npc_lv_published": NPC_LV, "test_images": args.test,
                              "candidates": args.candidates})  # fmt: skip


def summarize(cells: dict, datasets, shots) -> list[dict]:
    """Mean accuracy (and sd over draws) and pairs per second, one row per dataset, shots and
    codec."""
    rows = []
    for name in datasets:
        for s in shots:
            for row in ["L2 pixel 1-NN", *CODECS]:
                got = [
                    v
                    for k, v in cells.items()
                    if k.startswith(f"{name}|{s}|") and k.endswith(f"|{row}")
                ]
                if not got:
                    continue
                acc = [g["accuracy"] for g in got]
                pps = [g["pairs_per_s"] for g in got if "pairs_per_s" in g]
                rows.append({"dataset": name, "shots": s, "method": row, "draws": len(acc),
                             "accuracy": round(float(np.mean(acc)), 3),
                             "sd": round(float(np.std(acc)), 3),
                             "pairs/s": round(float(np.mean(pps))) if pps else None})  # fmt: skip
    return rows


if __name__ == "__main__":
    main()
