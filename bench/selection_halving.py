"""``codec="auto"`` by successive halving against scoring every setting on every query, in
one run: the chosen setting, its leave-one-out accuracy, and the selection's time.

    python bench/selection_halving.py                          # digits, mnist-5k, fashion-mnist-10k
    python bench/selection_halving.py --datasets digits

Each dataset's benchmark training split (seed 0; the test split is never read), every
setting of ``AUTO_CANDIDATES`` and k of ``AUTO_K``, the classifier's defaults otherwise
(``loo_size`` 2,000, ``search="auto"``, seed 0). The halving's choice counts as the same when
it is the full selection's setting, or when the full selection's leave-one-out accuracy of
the halving's setting is within the standard error of the difference from the best.
Writes bench/results/selection-halving.json.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import machine, table, write_json

from ncdvision.datasets import BENCHMARK_TEST_SIZE, load
from ncdvision.ncd import NCDKNNClassifier
from ncdvision.ncd.neighbors import AUTO_K
from ncdvision.ncd.selection import AUTO_CANDIDATES, select_setting


def run(name: str) -> dict:
    train, _ = load(name).split(test_size=BENCHMARK_TEST_SIZE[name], seed=0)
    classes, y = np.unique(train.labels, return_inverse=True)
    defaults = NCDKNNClassifier().get_params()
    kw = dict(n_classes=len(classes), loo_size=defaults["loo_size"], search="auto",
              distance="ncd", n_jobs=-1, random_state=defaults["random_state"])  # fmt: skip
    out = {"dataset": name, "n_train": len(train)}
    for how in ("full", "halving"):
        t = time.perf_counter()
        best, acc, rows = select_setting(train.images, y, list(AUTO_CANDIDATES), AUTO_K,
                                         halving=how == "halving", **kw)  # fmt: skip
        out[how] = {"setting": f"{best[0]}/{best[1]} k={best[2]}", "loo_accuracy": acc,
                    "seconds": time.perf_counter() - t,
                    "queries": int(sum({(r["codec"], r["serializer"]): r["n_queries"]
                                        for r in rows}.values())),
                    "rows": rows}  # fmt: skip
    full = {(r["codec"], r["serializer"], r["k"]): r for r in out["full"]["rows"]}
    chosen = out["halving"]["setting"].replace(" k=", "/").split("/")
    mine = full[(chosen[0], chosen[1], int(chosen[2]))]
    best_acc, n = out["full"]["loo_accuracy"], mine["n_queries"]
    # the standard error of a difference of two accuracies near best_acc on n paired queries
    # is at most that of one accuracy times sqrt(2)
    se = float(np.sqrt(2 * best_acc * (1 - best_acc) / n))
    out["same"] = bool(out["halving"]["setting"] == out["full"]["setting"]
                       or best_acc - mine["loo_accuracy"] <= se)  # fmt: skip
    out["full_accuracy_of_halving_choice"] = mine["loo_accuracy"]
    out["time_ratio"] = out["halving"]["seconds"] / out["full"]["seconds"]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", default="digits,mnist-5k,fashion-mnist-10k")
    args = ap.parse_args()
    results = []
    for name in args.datasets.split(","):
        results.append(run(name))
        summary = [{"dataset": r["dataset"], "full": r["full"]["setting"],
                    "halving": r["halving"]["setting"], "same": r["same"],
                    "full_s": round(r["full"]["seconds"], 1),
                    "halving_s": round(r["halving"]["seconds"], 1),
                    "ratio": round(r["time_ratio"], 2)} for r in results]  # fmt: skip
        print(table(summary, list(summary[0])), flush=True)
        write_json("selection-halving", {"machine": machine(), "results": results},
                   partial=name != args.datasets.split(",")[-1])  # fmt: skip


if __name__ == "__main__":
    main()
