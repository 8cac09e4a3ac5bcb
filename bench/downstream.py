"""Does filtering the labels help a learner? Clean-test accuracy over several noise draws.

    python bench/downstream.py                          # digits, mnist-5k, fashion-mnist-10k
    python bench/downstream.py --datasets digits --seeds 0,1,2,3,4 --learners l2,logreg

For each noise draw (seed), 20% symmetric label noise is planted in the benchmark protocol's
training split and ``find_issues(noisy, ("label",))`` flags images with the default
thresholds. Each learner is then trained on

- ``noisy``: the noisy labels;
- ``filtered``: the noisy set without the flagged images;
- ``relabelled``: the noisy set with flagged labels replaced by the suggested ones;
- ``oracle``: the noisy set without exactly the flipped images (what removal can do at best);
- ``clean_subset`` (fast learners only): a random clean sample of the oracle's size (what
  losing that many images costs by itself);
- ``clean``: the true labels,

and scored on the untouched test split. The two kNN learners choose their k by leave-one-out
accuracy on whatever labels they are given, so a cell of theirs also keeps the k it chose and
its test correctness at every k of :data:`~ncdvision.ncd.neighbors.AUTO_K` (one search of
the largest k; the prefix of the k it chose is its prediction). The summary then adds what
each treatment would win back at the clean set's k: how much of a kNN learner's noise cost is
its labels, and how much the k it chose on them.

One draw is not enough: on these test splits (500 to 2,000 images) the accuracy 20% noise
costs some learners is within a point, about the test set's own sampling error. So the share
of that cost a treatment wins back is reported as a mean over the draws with a 90% interval
that resamples the draws and the test images together
(:func:`~ncdvision.ncd.study.analysis.recovered_share`).

Every (learner, condition, seed) cell is kept as it finishes, so a stopped run resumes
(``bench/results/downstream-<dataset>.partial.json``); the finished file holds each cell's
per-image correctness (packed bits) and the summary, and its cells are reused by a later run
(more ``--seeds`` cost only the new draws; delete the file to recompute everything). A
draw's ``filter_seconds`` is near 0 where the filter's stage cache (``--cache``) already
held it. The small CNN needs ``[neural]``.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import RESULTS, machine, write_json

from ncdvision.datasets import BENCHMARK_TEST_SIZE, corrupt_labels, load
from ncdvision.ncd import NCDKNNClassifier, PixelKNNClassifier
from ncdvision.ncd.filter import find_issues
from ncdvision.ncd.neighbors import AUTO_K, vote
from ncdvision.ncd.study.analysis import recovered_share
from ncdvision.ncd.study.learners import PixelLogisticRegression

NOISE = 0.2
TREATMENTS = ("filtered", "relabelled", "oracle", "clean_subset")
#: Learners whose fit does not depend on the seed: their clean cell is computed once.
DETERMINISTIC = {"l2", "logreg", "ncd"}
#: Learners whose cells keep their test correctness at every k of AUTO_K.
KNN = {"l2", "ncd"}
NAMES = {"l2": "L2 pixel kNN", "ncd": "NCD kNN", "logreg": "logistic regression",
         "cnn": "small CNN"}  # fmt: skip


def correct_bits(correct: np.ndarray) -> str:
    return base64.b64encode(np.packbits(correct)).decode()


def bits_correct(s: str, n: int) -> np.ndarray:
    return np.unpackbits(np.frombuffer(base64.b64decode(s), np.uint8))[:n].astype(bool)


def cell_learner(key: str, setting: dict, seed: int):
    if key == "l2":
        return PixelKNNClassifier()
    if key == "logreg":
        return PixelLogisticRegression()
    if key == "ncd":  # the distance the filter chose on the noisy labels
        return NCDKNNClassifier(codec=setting["codec"], serializer=setting["serializer"])
    from ncdvision.neural.cnn import CNNClassifier

    return CNNClassifier(seed=seed)


def cell_key(lk: str, draw: dict, cond: str, seed: int) -> str:
    """A cell's name: learner, its distance (NCD kNN), condition, and the draw (``any`` for a
    clean cell that no draw changes)."""
    setting = f"{draw['codec']}/{draw['serializer']}" if lk == "ncd" else ""
    same = cond == "clean" and lk in DETERMINISTIC
    return f"{lk}|{setting}|{cond}|{'any' if same else seed}"


def _conditions(train, seed: int, cache: str) -> tuple[dict, dict]:
    """The training sets of one noise draw, and what the filter did on it."""
    noisy, flipped = corrupt_labels(train, NOISE, seed=seed)
    truth = np.zeros(len(train), bool)
    truth[flipped] = True
    t = time.perf_counter()
    rep = find_issues(noisy, ("label",), cache=cache, progress=False)
    flag = rep.flags["label"]
    kept = np.flatnonzero(~truth)
    subset = np.random.default_rng(seed).choice(len(train), len(kept), replace=False)
    sets = {"noisy": noisy, "filtered": noisy.subset(np.flatnonzero(~flag)),
            "relabelled": noisy.with_(labels=np.where(flag, rep.table["suggested"], noisy.labels)),
            "oracle": noisy.subset(kept), "clean_subset": train.subset(subset),
            "clean": train}  # fmt: skip
    tp = int((flag & truth).sum())
    info = {"seed": seed, "codec": rep.settings["codec"], "serializer": rep.settings["serializer"],
            "flagged": int(flag.sum()), "precision": tp / max(int(flag.sum()), 1),
            "recall": tp / int(truth.sum()), "filter_seconds": time.perf_counter() - t}  # fmt: skip
    return sets, info


def _score(lk: str, model, train_labels: np.ndarray, test) -> tuple[dict, np.ndarray]:
    """A cell: the test correctness (packed), and for a kNN learner the k it chose and its
    correctness at every k of AUTO_K (the prefixes of one search)."""
    if lk not in KNN:
        correct = model.predict(test.images) == test.labels
        return {"bits": correct_bits(correct)}, correct
    idx = model.kneighbors(test.images, n_neighbors=max(AUTO_K), return_distance=False)
    y = np.searchsorted(model.classes_, train_labels)  # the learner's encoded labels
    by_k = {k: model.classes_[vote(y[idx[:, :k]], len(model.classes_))] == test.labels
            for k in AUTO_K}  # fmt: skip
    cell = {"bits": correct_bits(by_k[model.k_]), "k": int(model.k_),
            "bits_by_k": {str(k): correct_bits(c) for k, c in by_k.items()}}  # fmt: skip
    return cell, by_k[model.k_]


def run_dataset(name: str, seeds: list[int], learners: list[str], cache: str) -> dict:
    part, done = RESULTS / f"downstream-{name}.partial.json", RESULTS / f"downstream-{name}.json"
    cells, draws = {}, {}
    for path in (done, part):  # a stopped run's cells over a finished run's
        if path.exists():
            cells.update(json.loads(path.read_text())["cells"])
    train, test = load(name).split(test_size=BENCHMARK_TEST_SIZE[name], seed=0)
    t0 = time.perf_counter()
    for seed in seeds:
        sets, info = _conditions(train, seed, cache)
        draws[str(seed)] = info
        print(f"{name} seed {seed}: {info['codec']}/{info['serializer']}, {info['flagged']} "
              f"flagged, precision {info['precision']:.3f} recall {info['recall']:.3f}",
              flush=True)  # fmt: skip
        for lk in learners:
            for cond, ds in sets.items():
                if cond == "clean_subset" and lk not in ("l2", "logreg"):
                    continue  # the slow learners: the oracle row says enough
                key = cell_key(lk, info, cond, seed)
                old = cells.get(key)
                if old is not None and (lk not in KNN or "bits_by_k" in old):
                    continue
                t = time.perf_counter()
                model = cell_learner(lk, info, seed).fit(ds.images, ds.labels)
                cells[key], correct = _score(lk, model, ds.labels, test)
                cells[key]["seconds"] = time.perf_counter() - t
                same = ""  # a cell of an earlier run, now with every k: the same?
                if old is not None:
                    same = ", as before" if old["bits"] == cells[key]["bits"] else ", CHANGED"
                k = f" (k={cells[key]['k']})" if lk in KNN else ""
                print(f"  {NAMES[lk]:<20} {cond:<13} {correct.mean():.4f}{k}{same}", flush=True)
                write_json(f"downstream-{name}", {"cells": cells, "draws": draws}, partial=True)
    summary = summarize(cells, draws, seeds, len(test))
    return {"machine": machine(), "dataset": name, "noise": f"symmetric {NOISE:.0%}",
            "seeds": seeds, "n_test": len(test), "seconds": time.perf_counter() - t0,
            "draws": [draws[str(s)] for s in seeds], "summary": summary, "cells": cells}  # fmt: skip


def summarize(cells: dict, draws: dict, seeds: list[int], n: int) -> list:
    """One row per learner with a cell for every draw: accuracies and shares; for a kNN learner
    also the k chosen per condition and draw, and the shares at the clean set's k."""
    rows = []
    for lk in NAMES:
        got: dict[str, list] = {}
        for seed in seeds:
            for cond in ("noisy", *TREATMENTS, "clean"):
                key = cell_key(lk, draws[str(seed)], cond, seed)
                if key in cells:
                    got.setdefault(cond, []).append(cells[key])
        got = {c: v for c, v in got.items() if len(v) == len(seeds)}
        if "noisy" not in got or "clean" not in got:
            continue
        correct = {c: np.stack([bits_correct(x["bits"], n) for x in v]) for c, v in got.items()}
        row = {"learner": NAMES[lk], **recovered_share(correct)}
        if all("bits_by_k" in x for v in got.values() for x in v):
            row["k_chosen"] = {c: [x["k"] for x in v] for c, v in got.items()}
            # each treatment at its draw's clean k; noisy and clean as they chose
            at = {c: np.stack([bits_correct(x["bits_by_k"][str(ck["k"])], n)
                               for x, ck in zip(v, got["clean"], strict=True)])
                  for c, v in got.items() if c not in ("noisy", "clean")}  # fmt: skip
            share = recovered_share({"noisy": correct["noisy"], "clean": correct["clean"], **at})
            row["at_clean_k"] = {"accuracy": share["accuracy"], "share": share["share"],
                                 "share_ci": share["share_ci"]}  # fmt: skip
        rows.append(row)
    return rows


def print_summary(name: str, summary: list) -> None:
    def ci(v, d=2):
        return "" if v is None else f"[{v[0]:+.{d}f}, {v[1]:+.{d}f}]"

    for r in summary:
        acc = r["accuracy"]
        print(f"{name} {r['learner']}: noisy {acc['noisy']:.4f} clean {acc['clean']:.4f}, cost "
              f"{r['cost']:+.4f} {ci(r['cost_ci'], 4)}")  # fmt: skip
        for w, s in r["share"].items():
            share = "n/a" if s is None else f"{s:+.2f}"
            print(f"    {w:<13} {acc[w]:.4f}  recovered {share} {ci(r['share_ci'][w])}")
        if "at_clean_k" in r:
            print("    k chosen: " + ", ".join(f"{c} {ks}" for c, ks in r["k_chosen"].items()))
            at = r["at_clean_k"]
            for w, s in at["share"].items():
                share = "n/a" if s is None else f"{s:+.2f}"
                print(f"    {w:<13} at the clean k {at['accuracy'][w]:.4f}  recovered {share} "
                      f"{ci(at['share_ci'][w])}")  # fmt: skip


def parse_args(doc: str, learners: str, extra=None) -> tuple[argparse.Namespace, list, list]:
    """The command line of the downstream benches: (args, learners, seeds), checked.
    ``extra(ap)`` adds a bench's own options."""
    ap = argparse.ArgumentParser(description=doc,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    ap.add_argument("--datasets", default="digits,mnist-5k,fashion-mnist-10k")
    ap.add_argument("--seeds", default="0,1,2,3,4", help="noise draws")
    ap.add_argument("--learners", default=learners, help=f"of {sorted(NAMES)}")
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "ncdvision-filter-bench"),
                    help="the filter's stage cache (shared with bench/filter.py)")  # fmt: skip
    if extra is not None:
        extra(ap)
    args = ap.parse_args()
    chosen = args.learners.split(",")
    if unknown := set(chosen) - set(NAMES):
        ap.error(f"--learners: unknown {sorted(unknown)}; known: {sorted(NAMES)}")
    if "cnn" in chosen:
        try:
            import ncdvision.neural.cnn  # noqa: F401
        except ImportError:
            print("small CNN: skipped, [neural] is not installed (pip install -e '.[neural]')")
            chosen.remove("cnn")
    for name in args.datasets.split(","):
        if name not in BENCHMARK_TEST_SIZE:
            ap.error(f"--datasets: {name!r} has no benchmark split; known: "
                     f"{sorted(BENCHMARK_TEST_SIZE)}")  # fmt: skip
    return args, chosen, [int(s) for s in args.seeds.split(",")]


def main() -> None:
    args, learners, seeds = parse_args(__doc__, "l2,ncd,logreg,cnn")
    for name in args.datasets.split(","):
        res = run_dataset(name, seeds, learners, args.cache)
        write_json(f"downstream-{name}", res)
        print_summary(name, res["summary"])


if __name__ == "__main__":
    sys.exit(main())
