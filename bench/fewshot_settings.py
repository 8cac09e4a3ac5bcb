"""What ``auto`` chooses with a few labelled images per class, and what each setting scores.

    python bench/fewshot_settings.py                       # mnist-5k and fashion-mnist, 5, 10 and 50 shots

On the draws of ``bench/fewshot.py`` (the same shots and 1,000 test images per draw), it fits
``NCDKNNClassifier()`` (``auto``) on the shots and records the setting, k and leave-one-out
accuracy it chose, beside the test accuracy of every ``auto`` candidate fixed at k = 1 and of L2
pixel kNN. It diagnoses the selection with few labels; nothing here chooses a setting for the
product. Writes bench/results/fewshot-settings.json.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from _common import machine, write_json
from fewshot import draw, splits

from ncdvision.ncd import NCDKNNClassifier
from ncdvision.ncd.pixelknn import PixelKNNClassifier
from ncdvision.ncd.selection import AUTO_CANDIDATES

#: The fixed settings scored beside auto: the context coders among its candidates (the byte
#: codecs score far below L2 kNN with a few shots, bench/fewshot.py's gzip row).
FIXED = [c for c in AUTO_CANDIDATES if c[0].startswith("ctx")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", nargs="+", default=["mnist-5k", "fashion-mnist"])
    ap.add_argument("--shots", nargs="+", type=int, default=[5, 10, 50])
    ap.add_argument("--draws", type=int, default=5)
    args = ap.parse_args()
    warnings.filterwarnings("ignore", category=UserWarning)
    t0 = time.perf_counter()
    rows = []
    for name in args.datasets:
        train, test_pool = splits(name)
        for shots in args.shots:
            for seed in range(args.draws):
                few, test = draw(train, test_pool, shots, seed)
                auto = NCDKNNClassifier().fit(few.images, few.labels)
                row = {"dataset": name, "shots": shots, "draw": seed,
                       "auto": {"codec": auto.codec_, "serializer": str(auto.serializer_),
                                "k": int(auto.k_), "loo_accuracy": auto.loo_accuracy_,
                                "accuracy": auto.score(test.images, test.labels)},
                       "L2 pixel kNN": PixelKNNClassifier().fit(few.images, few.labels)
                       .score(test.images, test.labels)}  # fmt: skip
                for codec, ser in FIXED:
                    clf = NCDKNNClassifier(codec=codec, serializer=ser, k=1)
                    row[f"{codec}/{ser} k=1"] = clf.fit(few.images, few.labels).score(
                        test.images, test.labels)  # fmt: skip
                rows.append(row)
                print(name, shots, seed, row["auto"], flush=True)
    summary = []
    for name in args.datasets:
        for shots in args.shots:
            rs = [r for r in rows if r["dataset"] == name and r["shots"] == shots]
            methods = ["auto", "L2 pixel kNN"] + [f"{c}/{s} k=1" for c, s in FIXED]
            acc = {m: [r[m]["accuracy"] if m == "auto" else r[m] for r in rs] for m in methods}
            summary.append({"dataset": name, "shots": shots, "draws": len(rs),
                            "auto_chose": [f"{r['auto']['codec']}/{r['auto']['serializer']} "
                                           f"k={r['auto']['k']}" for r in rs],
                            **{m: {"mean": float(np.mean(v)), "sd": float(np.std(v, ddof=1))}
                               for m, v in acc.items()}})  # fmt: skip
    write_json("fewshot-settings", {"machine": machine(), "wall_s": time.perf_counter() - t0,
                                    "rows": rows, "summary": summary})  # fmt: skip
    for s in summary:
        print(s)


if __name__ == "__main__":
    main()
