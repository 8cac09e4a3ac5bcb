"""Few labels: NPC-LV's few-shot protocol, with the baselines people use, in one run.

    python bench/fewshot.py                                   # mnist-5k and Fashion-MNIST
    python bench/fewshot.py --datasets mnist-5k --draws 5 --shots 5 10

The protocol of NPC-LV (Jiang et al., NeurIPS 2022; github.com/bazingagin/NPC_LV,
``main.py --shot N``): N labelled training images per class are drawn at random, and the
classifier is scored on 1,000 test images; the published numbers are means over draws.
Here, per draw (seeded by the draw's number):

- ``mnist-5k``: the shots come from the 4,000 training images of
  ``load("mnist-5k").split(test_size=1000, seed=0)``; the other 1,000 are the test images.
- ``fashion-mnist``: the official split (Debian's ``dataset-fashion-mnist``); the shots come
  from the 60,000 training images and 1,000 test images are drawn from the official 10,000.

Rows, in one run and on the same draws:

- with the labelled shots only: L2 pixel kNN, gzip NCD kNN (the published NPC baseline, on
  200 of each draw's test images: :data:`TEST_SUBSET`),
  logistic regression on pixels, ncdvision's ``NCDKNNClassifier`` (``auto``: setting and k
  chosen by leave-one-out on the shots alone), and, with the ``[neural]`` extra, the small CNN
  trained on the shots;
- with the unlabelled pool, which is what NPC-LV learns from (its compressor is a VAE trained
  on the whole training set without labels): ``NCDKNNClassifier.fit(shots, labels,
  X_unlabeled=pool)``, whose learned prior comes from the pool without labels, and
  :class:`~ncdvision.ncd.NCDLabelSpreading`, labels spread over the compression-distance
  graph of shots and pool. The pool is the training images of the split without their
  labels, never test images. :data:`PRIMARY_POOL` names the pool method compared with NPC-LV,
  fixed before any result was seen.

NPC-LV's published numbers are cited beside the table, not rerun. They count a test image
as correct when its label is either of its two nearest neighbors' labels (k = 2 with ties
counted as hits); ``bench/fewshot_npc_rule.py`` scores these draws that way too. Writes
bench/results/fewshot.json (resumable: finished cells are kept) and bench/results/fewshot.png.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass

import numpy as np
from _common import RESULTS, machine, table, write_json

from ncdvision.datasets import load
from ncdvision.ncd import NCDKNNClassifier, NCDLabelSpreading, PixelKNNClassifier
from ncdvision.ncd.study.learners import PixelLogisticRegression
from ncdvision.ncd.writers import pyplot, save_png

#: NPC-LV's published accuracy (%), 1,000 test images (Jiang et al. 2022), MNIST and
#: Fashion-MNIST, under its own scoring rule (``bench/fewshot_npc_rule.py``).
NPC_LV = {
    "mnist-5k": {5: 77.6, 10: 84.6, 50: 91.4, 100: 93.6},
    "fashion-mnist": {5: 74.1, 10: 77.2, 50: 83.2, 100: 84.5},
}
TEST_IMAGES = 1000


#: Rows scored on a seeded subset of each draw's test images: gzip codes every test image
#: against every shot byte by byte (about 100 s per draw on all 1,000), and at 0.2 to 0.4
#: accuracy 200 images place it as well.
TEST_SUBSET = {"gzip NCD kNN": 200}

#: The method that uses the unlabelled pool and is compared with NPC-LV.
PRIMARY_POOL = "ncdvision label spreading + pool"


def learners() -> dict:
    """Row name -> (factory, whether ``fit`` takes the unlabelled pool)."""
    out = {
        "L2 pixel kNN": (PixelKNNClassifier, False),
        "gzip NCD kNN": (lambda: NCDKNNClassifier(codec="gzip", serializer="raw"), False),
        "logistic regression": (PixelLogisticRegression, False),
        "ncdvision auto, shots only": (NCDKNNClassifier, False),
        "ncdvision auto + pool prior": (NCDKNNClassifier, True),
        PRIMARY_POOL: (NCDLabelSpreading, True),
    }
    try:
        from ncdvision.neural.cnn import CNNClassifier

        out["small CNN"] = (lambda: CNNClassifier(seed=0), False)
    except ImportError:
        print("small CNN: skipped, [neural] is not installed")
    return out


def splits(name: str):
    """(training pool, test pool) of the protocol."""
    if name == "mnist-5k":
        return load("mnist-5k").split(test_size=TEST_IMAGES, seed=0)
    return load("fashion-mnist").split()


def draw(train, test, shots: int, seed: int):
    """``shots`` training images per class and 1,000 test images, drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    idx = np.concatenate([rng.choice(np.flatnonzero(train.labels == c), shots, replace=False)
                          for c in range(len(train.class_names))])  # fmt: skip
    tests = np.sort(rng.choice(len(test), min(TEST_IMAGES, len(test)), replace=False))
    return train.subset(np.sort(idx)), test.subset(tests)


def read_cells(name: str) -> dict:
    """Finished cells of bench/results/<name>.json, or of its unfinished run if there is one."""
    for path in (RESULTS / f"{name}.partial.json", RESULTS / f"{name}.json"):
        if path.exists():
            return json.loads(path.read_text())["cells"]
    return {}


@dataclass
class Fit:
    """A cell's draw: its shots, its test images, and when its fit started."""

    shots: object
    test: object
    started: float


def pending(cells: dict, args: argparse.Namespace, makers: dict):
    """Yield ``(key, fitted model, Fit)`` for each cell of ``args`` not in ``cells``.

    Draw by draw, so that every row has the same draws at any time. A key is
    ``dataset|shots|draw|method``; ``makers`` maps a method to ``(factory, uses the pool)``,
    and a method that uses the pool is fitted with the split's training images unlabelled.
    """
    pools = {name: splits(name) for name in args.datasets}
    for seed in range(args.draws):
        for name, (train, test) in pools.items():
            for shots in args.shots:
                few, tst = draw(train, test, shots, seed)
                for method, (make, uses_pool) in makers.items():
                    key = f"{name}|{shots}|{seed}|{method}"
                    if key in cells:
                        continue
                    t = time.perf_counter()
                    pool = {"X_unlabeled": train.images} if uses_pool else {}
                    yield key, make().fit(few.images, few.labels, **pool), Fit(few, tst, t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", nargs="+", default=["mnist-5k", "fashion-mnist"])
    ap.add_argument("--shots", nargs="+", type=int, default=[5, 10, 50, 100])
    ap.add_argument("--draws", type=int, default=5)
    ap.add_argument("--report", action="store_true",
                    help="only write the summary and figure from the cells computed so far")  # fmt: skip
    args = ap.parse_args()
    cells = read_cells("fewshot")
    makers = learners()
    for key, model, fit in [] if args.report else pending(cells, args, makers):
        name, shots, seed, method = key.split("|")
        scored = fit.test
        if method in TEST_SUBSET:
            rows = np.random.default_rng(int(seed)).choice(len(scored), TEST_SUBSET[method],
                                                           replace=False)  # fmt: skip
            scored = scored.subset(np.sort(rows))
        acc = float(np.mean(model.predict(scored.images) == scored.labels))
        cells[key] = {"accuracy": acc, "seconds": time.perf_counter() - fit.started,
                      "test_images": len(scored)}  # fmt: skip
        print(f"{name} {shots} shots draw {seed} {method}: {acc:.3f}", flush=True)
        write_json("fewshot", {"machine": machine(), "cells": cells}, partial=True)
    summary = summarize(cells, args.datasets, args.shots, list(makers))
    print(table(summary, list(summary[0])))
    write_json("fewshot", {"machine": machine(), "cells": cells, "summary": summary,
                           "primary_pool_method": PRIMARY_POOL,
                           "npc_lv_published": NPC_LV})  # fmt: skip
    plot(summary)


def summarize(cells: dict, datasets, shots, methods) -> list[dict]:
    rows = []
    for name in datasets:
        for n in shots:
            row = {"dataset": name, "shots": n}
            for m in methods:
                accs = [c["accuracy"] for k, c in cells.items()
                        if k.startswith(f"{name}|{n}|") and k.endswith(f"|{m}")]  # fmt: skip
                if accs:
                    row[m] = (
                        f"{np.mean(accs):.3f} ± {np.std(accs, ddof=1) if len(accs) > 1 else 0:.3f}"
                    )
                    row[f"{m} draws"] = len(accs)
            row["NPC-LV (published)"] = (
                f"{NPC_LV[name][n] / 100:.3f}" if n in NPC_LV.get(name, {}) else ""
            )
            rows.append(row)
    return rows


def plot(summary: list[dict]) -> None:
    """Accuracy against labelled images per class, one panel per dataset in the tables' order:
    means with ± sd bars, NPC-LV's published means dashed, the legend in a panel of its own."""
    plt = pyplot()
    names = list(dict.fromkeys(r["dataset"] for r in summary))
    fig, axes = plt.subplots(1, len(names) + 1, figsize=(5 * len(names) + 3.5, 4.2),
                             squeeze=False, width_ratios=[5] * len(names) + [3.5])  # fmt: skip
    for ax, name in zip(axes[0][:-1], names, strict=True):
        rows = [r for r in summary if r["dataset"] == name]
        shots = [r["shots"] for r in rows]
        methods = [k for k in rows[0] if not k.endswith("draws") and k not in ("dataset", "shots")]
        for i, m in enumerate(methods):
            cells = [r.get(m, "").split(" ± ") for r in rows]
            ys = [float(c[0]) if c[0] else np.nan for c in cells]
            sd = [float(c[1]) if len(c) > 1 else 0.0 for c in cells]
            if m.startswith("NPC-LV"):
                ax.plot(shots, ys, "k--", marker="s", label=m)
            else:
                ax.errorbar(shots, ys, yerr=sd, color=f"C{i}", marker="o", capsize=3, label=m)
        ax.set_xscale("log")
        ax.set_xticks(shots, [str(s) for s in shots])
        ax.set_xlabel("labelled images per class")
        ax.set_ylabel("test accuracy (mean ± sd over draws)")
        ax.set_title(name)
        ax.grid(alpha=0.3)
    # the legend has a panel of its own, so that it hides no line
    axes[0][-1].axis("off")
    axes[0][-1].legend(*axes[0][0].get_legend_handles_labels(), loc="center left", fontsize=9,
                       frameon=False)  # fmt: skip
    save_png(fig, RESULTS / "fewshot.png")


if __name__ == "__main__":
    main()
