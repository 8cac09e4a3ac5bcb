"""Label flags with the coder's prior learned from the given labels or from the images alone.

    python bench/filter_prior.py                              # mnist-5k and fashion-mnist-10k
    python bench/filter_prior.py --datasets mnist-5k

The filter looks for wrong labels, yet ``auto``'s ``ctx-ref-learned`` learns its prior from
same-class pairs of those very labels. ``find_issues(..., prior="images")`` (``ncdvision
filter --prior images``) learns it from each image's nearest images instead and reads no label
for it; the setting is still chosen on the given labels. Each dataset's benchmark training
split (seed 0) gets the label noise of ``bench/filter.py`` (symmetric 10/20/40%, pairwise
20%; seed 0), and both priors flag it with the vote-margin rule. Writes
bench/results/filter-prior.json.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _common import machine, prf, table, write_json
from filter import LABEL_NOISE

from ncdvision.datasets import BENCHMARK_TEST_SIZE, corrupt_labels, load
from ncdvision.ncd.filter import find_issues


def rows_for(name: str) -> list[dict]:
    train, _ = load(name).split(test_size=BENCHMARK_TEST_SIZE[name], seed=0)
    rows = []
    for kind, rate in LABEL_NOISE:
        noisy, flipped = corrupt_labels(train, rate, kind=kind, seed=0)
        truth = np.zeros(len(train), bool)
        truth[flipped] = True
        for prior in ("labels", "images"):
            t = time.perf_counter()
            rep = find_issues(noisy, ("label",), prior=prior, progress=False)
            rows.append({"dataset": name, "noise": f"{kind} {rate:.0%}", "prior": prior,
                         "setting": f"{rep.settings['codec']}/{rep.settings['serializer']}",
                         **prf(truth, rep.flags["label"]),
                         "seconds": round(time.perf_counter() - t, 1)})  # fmt: skip
            print(rows[-1], flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", nargs="+", default=["mnist-5k", "fashion-mnist-10k"])
    args = ap.parse_args()
    rows = [r for name in args.datasets for r in rows_for(name)]
    print(table(rows, ["dataset", "noise", "prior", "setting", "precision", "recall", "f1"]))
    write_json("filter-prior", {"machine": machine(), "rows": rows})


if __name__ == "__main__":
    main()
