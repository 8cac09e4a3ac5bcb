"""How much unlabelled pool label spreading should use: a check on training images only.

    python bench/spreading_pool.py                         # about 16 minutes on 2 cores
    python bench/spreading_pool.py --sizes 5000 20000 --shots 5

``NCDLabelSpreading`` builds its graph over the shots and at most ``max_unlabeled`` pool
images (5,000 by default). Here a seeded 1,000 of Fashion-MNIST's 60,000 *training* images
are held out as a development set; the other 59,000 are the pool, and the shots are drawn
from them (2 draws per count). The test split is never read, so a choice made from this
table is not tuned on it. Writes bench/results/spreading-pool.json.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import machine, table, write_json
from fewshot import splits

from ncdvision.ncd import NCDLabelSpreading

DEV_IMAGES = 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", nargs="+", type=int, default=[5000, 20000, 59000])
    ap.add_argument("--shots", nargs="+", type=int, default=[5, 50])
    ap.add_argument("--draws", type=int, default=2)
    args = ap.parse_args()
    train, _ = splits("fashion-mnist")
    dev = np.sort(np.random.default_rng(123).choice(len(train), DEV_IMAGES, replace=False))
    pool, held = train.subset(np.setdiff1d(np.arange(len(train)), dev)), train.subset(dev)
    rows = []
    for shots in args.shots:
        for seed in range(args.draws):
            rng = np.random.default_rng(seed)
            idx = np.concatenate([rng.choice(np.flatnonzero(pool.labels == c), shots, replace=False)
                                  for c in range(len(pool.class_names))])  # fmt: skip
            few = pool.subset(np.sort(idx))
            for size in args.sizes:
                t = time.perf_counter()
                model = NCDLabelSpreading(max_unlabeled=size).fit(few.images, few.labels,
                                                                  X_unlabeled=pool.images)  # fmt: skip
                acc = float(np.mean(model.predict(held.images) == held.labels))
                rows.append({"shots": shots, "draw": seed, "max_unlabeled": size,
                             "dev_accuracy": acc, "alpha": model.alpha_,
                             "seconds": round(time.perf_counter() - t, 1)})  # fmt: skip
                print(rows[-1], flush=True)
    print(table(rows, list(rows[0])))
    write_json("spreading-pool", {"machine": machine(), "dev_images": DEV_IMAGES, "rows": rows})


if __name__ == "__main__":
    main()
