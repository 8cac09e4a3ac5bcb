"""The `classify` job as a user runs it, timed in a child process with its peak RSS.

    python bench/fullsize.py                                        # mnist-5k, the main job
    python bench/fullsize.py --dataset fashion-mnist --baseline-test 50   # 60,000 / 10,000

Runs ``ncdvision classify`` (auto settings, candidate cascade) in a child process, so the wall
time includes imports and data loading and the peak RSS is the job's own; writes
bench/results/fullsize-<dataset>.json with the job's report rows and the leave-one-out score of
every setting the selection tried.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import machine, table, write_json


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--dataset", default="mnist-5k")
    ap.add_argument("--baseline-test", type=int, default=200, help="gzip baseline test sample")
    ap.add_argument("--search", choices=["auto", "adaptive", "exact"], default="auto")
    ap.add_argument("--recall", type=float, default=0.99, help="cascade recall target")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "ncdvision.ncd.cli", "classify", "--dataset", args.dataset,
               "--baseline-test", str(args.baseline_test), "--search", args.search,
               "--recall", str(args.recall), "--out", out]  # fmt: skip
        t = time.perf_counter()
        subprocess.run(cmd, check=True)
        wall = time.perf_counter() - t
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        report = json.loads((Path(out) / "report.json").read_text())
    rows = [{k: v for k, v in r.items() if k not in ("distance",)} for r in report["results"]]
    result = {"machine": machine(), "dataset": args.dataset, "command": " ".join(cmd[1:-2]),
              "n_train": report["n_train"], "n_test": report["n_test"], "wall_s": wall,
              "peak_rss_mib": rss, "rows": rows,
              "selection": report["selection"]}  # fmt: skip
    tag = "" if args.recall == 0.99 else f"-recall{args.recall}"
    tag += "" if args.search == "auto" else f"-{args.search}"
    path = write_json(f"fullsize-{args.dataset}{tag}", result)
    print(table(rows, ["method", "codec", "serializer", "k", "search", "n_test", "loo_accuracy",
                       "accuracy", "fit_s", "predict_s"]))  # fmt: skip
    print(f"wall {wall:.0f} s, peak RSS {rss:.0f} MiB; wrote {path}")


if __name__ == "__main__":
    main()
