"""How the downstream share depends on the label margin's threshold (a sensitivity check).

    python bench/downstream_margin.py                      # L2 kNN on the three sets
    python bench/downstream_margin.py --datasets mnist-5k --learners ncd --margins=-0.7,-0.5,-0.1

The same noise draws as ``bench/downstream.py`` (20% symmetric noise in the benchmark
protocol's training split, seeds 0-4) and the same filter run (its stage cache); only the
threshold on the label margin moves. Each learner is trained on the noisy set without the
images whose margin is below the threshold and scored on the untouched test split. The noisy
and clean cells, and the cell of the default threshold, are taken from
``bench/results/downstream-<dataset>.json`` where it holds them (the same predictions), so
this run needs them only where that file lacks them.

This reads the test split at every threshold: it says whether *some* threshold would reach a
share, not which one to use. The default (:data:`~ncdvision.ncd.filter.labels.LABEL_MARGIN`)
was chosen on a development draw for detection F1 and is not changed by it. Cells are kept as
they finish (``bench/results/downstream-margins-<dataset>.partial.json``).
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
from _common import RESULTS, machine, prf, write_json
from downstream import NAMES, NOISE, bits_correct, cell_key, cell_learner, correct_bits, parse_args

from ncdvision.datasets import BENCHMARK_TEST_SIZE, corrupt_labels, load
from ncdvision.ncd.filter import find_issues
from ncdvision.ncd.filter.labels import LABEL_MARGIN
from ncdvision.ncd.study.analysis import recovered_share


def _cell(lk: str, draw: dict, margin: float, seed: int) -> str:
    return cell_key(lk, draw, f"margin<{margin:+.2f}", seed)


def summarize(cells: dict, draws: dict, seeds: list, margins: list, n_test: int) -> list:
    """One row per learner with all its cells here (from this run or an earlier one): its
    noisy and clean accuracy, and at each margin what was flagged and the share won back."""
    summary = []
    conds = ["noisy", "clean", *(f"margin<{m:+.2f}" for m in margins)]
    for lk in NAMES:  # every learner with all its cells here, from this run or an earlier one
        keys = {c: [cell_key(lk, draws[str(s)], c, s) for s in seeds] for c in conds}
        if not all(k in cells for ks in keys.values() for k in ks):
            continue
        correct = {c: np.stack([bits_correct(cells[k]["bits"], n_test) for k in ks])
                   for c, ks in keys.items()}  # fmt: skip
        share = recovered_share(correct)
        rows = []
        for m in margins:
            c = f"margin<{m:+.2f}"
            got = [cells[_cell(lk, draws[str(s)], m, s)] for s in seeds]
            rows.append({"margin": m, "default": m == LABEL_MARGIN,
                         "flagged": float(np.mean([g["flagged"] for g in got])),
                         "precision": float(np.mean([g["precision"] for g in got])),
                         "recall": float(np.mean([g["recall"] for g in got])),
                         "accuracy": share["accuracy"][c], "share": share["share"][c],
                         "share_ci": share["share_ci"][c]})  # fmt: skip
        summary.append({"learner": NAMES[lk], "noisy": share["accuracy"]["noisy"],
                        "clean": share["accuracy"]["clean"], "cost": share["cost"],
                        "margins": rows})  # fmt: skip
    return summary


def run_dataset(name, seeds, learners, margins, cache) -> dict:
    part = RESULTS / f"downstream-margins-{name}.partial.json"
    done = RESULTS / f"downstream-margins-{name}.json"
    cells: dict = {}
    for path in (done, part):
        if path.exists():
            cells.update(json.loads(path.read_text())["cells"])
    shared = RESULTS / f"downstream-{name}.json"
    shared = json.loads(shared.read_text())["cells"] if shared.exists() else {}
    train, test = load(name).split(test_size=BENCHMARK_TEST_SIZE[name], seed=0)
    draws, t0 = {}, time.perf_counter()
    for seed in seeds:
        noisy, flipped = corrupt_labels(train, NOISE, seed=seed)
        truth = np.isin(np.arange(len(train)), flipped)
        rep = find_issues(noisy, ("label",), cache=cache, progress=False)
        draw = {"seed": seed, "codec": rep.settings["codec"],
                "serializer": rep.settings["serializer"]}  # fmt: skip
        draws[str(seed)] = draw
        for lk in learners:
            jobs = [(cell_key(lk, draw, "noisy", seed), noisy, None),
                    (cell_key(lk, draw, "clean", seed), train, None)]  # fmt: skip
            for m in margins:
                flag = rep.table["label_margin"] < m
                same = cell_key(lk, draw, "filtered", seed) if m == LABEL_MARGIN else None
                jobs.append((_cell(lk, draw, m, seed), noisy.subset(np.flatnonzero(~flag)),
                             (flag, same)))  # fmt: skip
            for key, ds, extra in jobs:
                if key not in cells:
                    reuse = key if extra is None else extra[1]
                    if reuse in shared:
                        cells[key] = {"bits": shared[reuse]["bits"], "from": "downstream"}
                    else:
                        t = time.perf_counter()
                        model = cell_learner(lk, draw, seed).fit(ds.images, ds.labels)
                        correct = model.predict(test.images) == test.labels
                        cells[key] = {
                            "bits": correct_bits(correct),
                            "seconds": time.perf_counter() - t,
                        }
                    if extra is not None:
                        m = prf(truth, extra[0])
                        cells[key].update(flagged=m["flagged"], precision=m["precision"],
                                          recall=m["recall"])  # fmt: skip
                    write_json(f"downstream-margins-{name}", {"cells": cells}, partial=True)
                acc = bits_correct(cells[key]["bits"], len(test)).mean()
                print(f"{name} seed {seed} {NAMES[lk]:<14} {key.split('|')[2]:<14} {acc:.4f}",
                      flush=True)  # fmt: skip
    summary = summarize(cells, draws, seeds, margins, len(test))
    return {"machine": machine(), "dataset": name, "noise": f"symmetric {NOISE:.0%}",
            "seeds": seeds, "n_test": len(test), "seconds": time.perf_counter() - t0,
            "summary": summary, "cells": cells}  # fmt: skip


def main() -> None:
    def margins_option(ap):
        ap.add_argument("--margins", default="-0.9,-0.7,-0.5,-0.3,-0.1,0.1",
                        help="thresholds on the label margin (flag below)")  # fmt: skip

    args, learners, seeds = parse_args(__doc__, "l2", margins_option)
    margins = [float(m) for m in args.margins.split(",")]
    for name in args.datasets.split(","):
        res = run_dataset(name, seeds, learners, margins, args.cache)
        write_json(f"downstream-margins-{name}", res)
        for r in res["summary"]:
            print(f"{name} {r['learner']}: noisy {r['noisy']:.4f} clean {r['clean']:.4f}")
            for m in r["margins"]:
                mark = " (default)" if m["default"] else ""
                share = "n/a" if m["share"] is None else f"{m['share']:+.2f}"
                print(f"    margin < {m['margin']:+.2f}{mark}: flagged {m['flagged']:.0f} "
                      f"P {m['precision']:.3f} R {m['recall']:.3f} acc {m['accuracy']:.4f} "
                      f"recovered {share}")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
