"""Choose the PixelCNN's settings on a validation split of the *training* set (never the test).

    python bench/pixelcnn_select.py                      # mnist-5k, the grid below

The benchmark split's training images (seed 0) are split again 80/20 (seed 1); each setting is
trained on the 80% and scored by its likelihood on the 20% (bits per dimension). Training is
checkpointed (``--cache``), so a rerun only evaluates. Writes
bench/results/pixelcnn-select-<datasets>.json.
"""

from __future__ import annotations

import argparse
import time

from _common import machine, table, write_json

from ncdvision.datasets import BENCHMARK_TEST_SIZE, load
from ncdvision.neural import coding
from ncdvision.neural.lossless import train_pixelcnn

SMALL = {"channels": 48, "layers": 5}
LARGE = {"channels": 64, "layers": 8, "coords": True}
GRID = [
    {**SMALL, "coords": False, "epochs": 10},
    {**SMALL, "coords": False, "epochs": 10, "head": "logistic"},
    {**SMALL, "coords": True, "epochs": 10},
    {**SMALL, "coords": True, "epochs": 10, "head": "logistic"},
    {**SMALL, "coords": True, "epochs": 30},
    {**LARGE, "epochs": 15},
]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--datasets", nargs="+", default=["mnist-5k"])
    ap.add_argument("--cache", default=None, help="checkpoint folder (default: the library's)")
    args = ap.parse_args()
    rows = []
    for name in args.datasets:
        train, _ = load(name).split(test_size=BENCHMARK_TEST_SIZE[name], seed=0)
        fit, val = train.split(test_size=0.2, seed=1)
        for cfg in GRID:
            t = time.perf_counter()
            model, history = train_pixelcnn(fit.images, cache=args.cache, progress=False, **cfg)
            bits = coding.likelihood_bits(model, val.images).sum()
            rows.append(
                {
                    "dataset": name,
                    "n_fit": len(fit),
                    "n_val": len(val),
                    **{"head": "softmax", **cfg},
                    "train_bpd": history[-1]["loss"],
                    "val_bpd": float(bits / val.images.size),
                    "train_s": sum(h["seconds"] for h in history),
                    "wall_s": time.perf_counter() - t,
                }
            )
            print(rows[-1], flush=True)
            write_json(f"pixelcnn-select-{'-'.join(args.datasets)}",
                       {"machine": machine(), "rows": rows}, partial=True)  # fmt: skip
    path = write_json(
        f"pixelcnn-select-{'-'.join(args.datasets)}", {"machine": machine(), "rows": rows}
    )
    cols = ["dataset", "channels", "layers", "head", "coords", "epochs", "train_bpd", "val_bpd",
            "train_s"]  # fmt: skip
    print(table(rows, cols))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
