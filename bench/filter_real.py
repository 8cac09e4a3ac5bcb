"""What the label filter flags in the real labels of the built-in sets (nothing planted).

    python bench/filter_real.py                          # digits, mnist-5k, fashion-mnist-10k
    python bench/filter_real.py --datasets mnist-5k

The planted-noise benchmark (``bench/filter.py``) knows the truth; here there is none. Each
whole built-in set, as ``ncdvision filter NAME`` sees it, goes through the label stage with
the default thresholds. Reported per set: how many images are flagged, between which classes
(given -> suggested), how many of them cleanlab's ``find_label_issues`` with 5-fold
logistic-regression probabilities also flags (two unrelated methods agreeing), and a
gallery of the most certain flags (``bench/results/filter-real/<set>-label.png``), so a
reader can judge which are wrong labels and which are only hard images.
Writes bench/results/filter-real-<set>.json.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import RESULTS, machine, table, write_json
from filter import lr_probs

from ncdvision.datasets import load
from ncdvision.ncd.filter import find_issues
from ncdvision.ncd.filter.write import GALLERY_SIZE, gallery_png


def run(name: str, cache: str) -> dict:
    from cleanlab.filter import find_label_issues

    ds = load(name)
    t = time.perf_counter()
    rep = find_issues(ds, ("label",), cache=cache, progress=True)
    secs = time.perf_counter() - t
    flag = rep.flags["label"]
    margin, suggested = rep.table["label_margin"], rep.table["suggested"]
    lr_flag = find_label_issues(ds.labels, lr_probs(ds.images, ds.labels))
    rows = np.flatnonzero(flag)
    order = rows[np.argsort(margin[rows], kind="stable")]  # the gallery's order
    names = ds.class_names
    per_class = {names[c]: int(flag[ds.labels == c].sum()) for c in range(len(names))}
    gallery = gallery_png(RESULTS / "filter-real" / f"{name}-label.png", ds.images, ds.labels,
                          names, rep, "label")  # fmt: skip
    return {
        "dataset": name,
        "n_images": len(ds),
        "flagged": int(flag.sum()),
        "share": float(flag.mean()),
        "cleanlab_lr_flagged": int(lr_flag.sum()),
        "both": int((flag & lr_flag).sum()),
        "codec": f"{rep.settings['codec']}/{rep.settings['serializer']}",
        "seconds": secs,
        "top_pairs": [[f"{g} -> {s}", n] for g, s, n in rep.label_pairs(names, top=8)],
        "flagged_per_class": per_class,
        # the gallery's images in its order: index, given, suggested, margin, cleanlab agrees
        "gallery": [
            [int(i), names[ds.labels[i]], names[suggested[i]], float(margin[i]), bool(lr_flag[i])]
            for i in order[:GALLERY_SIZE]
        ],
        "gallery_png": str(gallery.relative_to(RESULTS.parent.parent)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    ap.add_argument("--datasets", default="digits,mnist-5k,fashion-mnist-10k")
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "ncdvision-filter-bench"),
                    help="stage cache: a rerun resumes")  # fmt: skip
    args = ap.parse_args()
    rows = []
    for name in args.datasets.split(","):
        res = run(name, args.cache)
        write_json(f"filter-real-{name}", {"machine": machine(), **res})
        rows.append(res)
        print(f"{name}: most common (given -> suggested): {res['top_pairs']}")
    print(table(rows, ["dataset", "n_images", "codec", "flagged", "share",
                       "cleanlab_lr_flagged", "both", "seconds"]))  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
