"""Data filtering against planted truth, with the tools people use today, in one run.

    python bench/filter.py                                   # mnist-5k, fashion-mnist-10k, digits
    python bench/filter.py --datasets mnist-5k --scenarios label
    python bench/filter.py --datasets glyphs --scenarios label,junk   # a set of varied glyphs
    python bench/filter.py --imagededup-python /path/to/venv/bin/python
    python bench/filter.py --fashion-full                    # near-duplicates in Fashion-MNIST
    python bench/filter.py --command fashion-mnist-10k       # `ncdvision filter` as a user runs it
    python bench/filter.py --command fashion-mnist-10k --label-noise 0.2   # on a noisy .npz
    python bench/filter.py --profile fashion-mnist-10k       # where find_issues spends its time

Every scenario plants issues into the benchmark protocol's training split (seed 0; the filter's
thresholds were chosen on mnist-5k with seed 1, see ``--calibrate``):

- ``label``: symmetric label noise at 10/20/40%, pairwise at 20%. ncdvision's vote margin and
  cleanlab fed with ncdvision's leave-one-out vote fractions, against cleanlab's
  ``find_label_issues`` with 5-fold logistic-regression probabilities.
- ``duplicate``: 5% near-duplicate copies (±1 px shift, gaussian noise sigma 8, JPEG q90,
  brightness +30); F1 of "is in a duplicate group" against cleanvision (near + exact
  duplicates) and imagededup's PHash (default threshold 10).
- ``junk``: 2% each of uniform noise, blank/constant images and images of the other dataset
  (mnist <-> fashion; none for digits); per kind, ncdvision's flag for it and cleanvision's
  (low information, dark, light); for foreign images also ncdvision flagged for any reason
  (a label issue included), among the images not planted as noise or blank; and outliers
  flagged on the training split without planted junk (clean and 20% label noise).
- ``cnn`` (20% symmetric, with ``[neural]``): cleanlab fed with the small CNN's 5-fold
  probabilities.

What the filter does for a learner trained afterwards (over several noise draws) is
``bench/downstream.py``.

imagededup imports torchvision, which cannot be installed beside the CPU torch of
``[neural]``; give ``--imagededup-python`` an interpreter of a separate environment with
``pip install imagededup`` (it is skipped, and said so, otherwise).
Writes bench/results/filter-<dataset>.json (and filter-fashion-full.json).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _baselines import cleanvision_flags, imagededup_members
from _common import RESULTS, machine, prf, table, write_json
from sklearn.model_selection import cross_val_predict

from ncdvision.datasets import (
    BENCHMARK_TEST_SIZE,
    corrupt_labels,
    load,
    plant_duplicates,
    plant_junk,
)
from ncdvision.ncd.filter import Thresholds, find_issues
from ncdvision.ncd.filter.junk import chance_consensus, robust_z
from ncdvision.ncd.filter.write import gallery_png
from ncdvision.ncd.study.learners import PixelLogisticRegression

OTHER = {
    "mnist-5k": "fashion-mnist-10k",
    "fashion-mnist-10k": "mnist-5k",
    "glyphs": "fashion-mnist-10k",
}
ALL_SCENARIOS = "label,duplicate,junk,cnn"
SCENARIO_ORDER = ("label", "near-duplicates", "junk", "cnn")  # rows' first words
LABEL_NOISE = (("symmetric", 0.1), ("symmetric", 0.2), ("symmetric", 0.4), ("pairwise", 0.2))


def lr_probs(images, labels) -> np.ndarray:
    return cross_val_predict(PixelLogisticRegression(), images, labels, cv=5,
                             method="predict_proba")  # fmt: skip


def label_rows(name, train, cache, seed) -> list[dict]:
    from cleanlab.filter import find_label_issues

    rows = []
    for kind, rate in LABEL_NOISE:
        noisy, flipped = corrupt_labels(train, rate, kind=kind, seed=seed)
        truth = np.zeros(len(train), bool)
        truth[flipped] = True
        base = {"dataset": name, "scenario": f"label {kind} {rate:.0%}"}
        t = time.perf_counter()
        rep = find_issues(noisy, ("label",), cache=cache, progress=False)
        secs = time.perf_counter() - t
        rows.append({**base, "method": f"ncdvision margin ({rep.settings['codec']}/"
                     f"{rep.settings['serializer']})", **prf(truth, rep.flags["label"]),
                     "seconds": secs})  # fmt: skip
        rep_cl = find_issues(noisy, ("label",), method="cleanlab", cache=cache, progress=False)
        rows.append({**base, "method": "cleanlab + ncdvision kNN probabilities",
                     **prf(truth, rep_cl.flags["label"])})  # fmt: skip
        t = time.perf_counter()
        lr_flag = find_label_issues(noisy.labels, lr_probs(noisy.images, noisy.labels))
        rows.append({**base, "method": "cleanlab + logistic regression (5-fold)",
                     **prf(truth, lr_flag), "seconds": time.perf_counter() - t})  # fmt: skip
        print(table(rows[-3:], ["dataset", "scenario", "method", "precision", "recall", "f1"]))
        if (kind, rate) == ("symmetric", 0.2):
            gallery_png(RESULTS / f"filter-{name}-label-gallery.png", noisy.images, noisy.labels,
                        noisy.class_names, rep, "label")  # fmt: skip
    return rows


def cnn_rows(name, train, cache, seed) -> list[dict]:
    """With ``[neural]``, 20% symmetric noise: cleanlab fed with the small CNN's 5-fold
    out-of-sample probabilities (its fixed recipe, :class:`~ncdvision.neural.cnn.CNNClassifier`)."""
    from cleanlab.filter import find_label_issues

    try:
        from ncdvision.neural.cnn import CNNClassifier
    except ImportError:
        print("cnn: skipped, [neural] is not installed (pip install -e '.[neural]')")
        return [{"dataset": name, "scenario": "cnn label symmetric 20%",
                 "method": "cleanlab + small CNN (5-fold)", "note": "skipped: no [neural]"}]  # fmt: skip
    noisy, flipped = corrupt_labels(train, 0.2, seed=seed)
    truth = np.zeros(len(train), bool)
    truth[flipped] = True
    t = time.perf_counter()
    probs = cross_val_predict(CNNClassifier(seed=seed), noisy.images, noisy.labels, cv=5,
                              method="predict_proba")  # fmt: skip
    flag = find_label_issues(noisy.labels, probs)
    rows = [{"dataset": name, "scenario": "cnn label symmetric 20%",
             "method": "cleanlab + small CNN (5-fold)", **prf(truth, flag),
             "seconds": time.perf_counter() - t}]  # fmt: skip
    print(table(rows, ["dataset", "scenario", "method", "precision", "recall", "f1"]))
    return rows


def duplicate_rows(name, train, cache, seed, imagededup_python) -> list[dict]:
    ds, src, kinds = plant_duplicates(train, 0.05, seed=seed)
    n = len(train)
    truth = np.zeros(len(ds), bool)
    truth[src] = True
    truth[n:] = True
    base = {"dataset": name, "scenario": "near-duplicates 5%"}
    t = time.perf_counter()
    rep = find_issues(ds, ("duplicate",), cache=cache, progress=False)
    member = rep.table["dup_group"] >= 0
    per_kind = {f"recall_{k}": float(member[n:][kinds == k].mean()) for k in np.unique(kinds)}
    rows = [{**base, "method": "ncdvision", **prf(truth, member), **per_kind,
             "seconds": time.perf_counter() - t}]  # fmt: skip
    t = time.perf_counter()
    cv = cleanvision_flags(ds.images, {"near_duplicates": {}, "exact_duplicates": {}})
    cv_member = cv["near_duplicates"] | cv["exact_duplicates"]
    rows.append({**base, "method": "cleanvision (near + exact)", **prf(truth, cv_member),
                 **{f"recall_{k}": float(cv_member[n:][kinds == k].mean()) for k in np.unique(kinds)},
                 "seconds": time.perf_counter() - t})  # fmt: skip
    t = time.perf_counter()
    idd = imagededup_members(ds.images, imagededup_python)
    if idd is None:
        rows.append(
            {**base, "method": "imagededup PHash", "note": "not run (no --imagededup-python)"}
        )
    else:
        rows.append({**base, "method": "imagededup PHash", **prf(truth, idd),
                     **{f"recall_{k}": float(idd[n:][kinds == k].mean()) for k in np.unique(kinds)},
                     "seconds": time.perf_counter() - t})  # fmt: skip
    print(table(rows, ["dataset", "scenario", "method", "precision", "recall", "f1"]))
    return rows


def junk_rows(name, train, cache, seed) -> list[dict]:
    foreign = None
    if name in OTHER:
        foreign = load(OTHER[name]).images
    ds, kind = plant_junk(train, 0.02, foreign=foreign, seed=seed)
    t = time.perf_counter()
    # the label flags come from the same neighbors: "any reason" is what a filter run removes
    rep = find_issues(ds, ("label", "junk"), cache=cache, progress=False)
    secs = time.perf_counter() - t
    cv = cleanvision_flags(ds.images, {"low_information": {}, "dark": {}, "light": {}})
    cv_any = cv["low_information"] | cv["dark"] | cv["light"]
    rows = []
    ours = {"noise": "noise", "blank": "blank", "foreign": "outlier"}
    for k in np.unique(kind[kind != ""]):
        truth = kind == k
        base = {"dataset": name, "scenario": f"junk {k} 2%"}
        rows.append({**base, "method": f"ncdvision ({ours[k]})", **prf(truth, rep.flags[ours[k]]),
                     "seconds": secs})  # fmt: skip
        if k == "foreign":  # how far foreign images lie from their neighbors: min, median, max
            z = robust_z(rep.table["neighbor_distance"])[truth]
            rows[-1]["distance_z"] = [float(np.min(z)), float(np.median(z)), float(np.max(z))]
            print(f"{name}: robust z of the foreign images' mean neighbor distance: min "
                  f"{z.min():.2f}, median {np.median(z):.2f}, max {z.max():.2f}")  # fmt: skip
        if k == "foreign":  # among the images not planted as noise or blank
            keep = (kind != "noise") & (kind != "blank")
            rows.append({**base, "method": "ncdvision (any reason)",
                         **prf(truth[keep], rep.flagged[keep])})  # fmt: skip
        rows.append({**base, "method": "cleanvision (low information, dark, light)",
                     **prf(truth, cv_any)})  # fmt: skip
    rows += no_junk_rows(name, train, cache, seed)
    print(table(rows, ["dataset", "scenario", "method", "precision", "recall", "f1", "flagged"]))
    return rows


def no_junk_rows(name, train, cache, seed) -> list[dict]:
    """Outliers flagged where none were planted (all of them false): the training split, clean
    and with 20% symmetric label noise, seeds alone and grown, and grown from the chance level
    alone (a neighborhood consensus no higher than one image's chance level is a seed)."""
    rows = []
    chance = chance_consensus(Thresholds().label_k, len(train.class_names))
    for what, ds in (
        ("clean", train),
        ("20% label noise", corrupt_labels(train, 0.2, seed=seed)[0]),
    ):
        for method, th in (("seeds", Thresholds(outlier_join=Thresholds().label_k + 1)),
                           ("grown", Thresholds()),
                           ("chance level alone, grown", Thresholds(outlier_permuted=chance))):  # fmt: skip
            rep = find_issues(ds, ("label", "junk"), thresholds=th, cache=cache, progress=False)
            n_flag, join = (
                int(rep.flags["outlier"].sum()),
                rep.settings["thresholds"]["outlier_join"],
            )
            rows.append({"dataset": name, "scenario": f"junk none ({what})",
                         "method": f"ncdvision (outlier, {method})", "flagged": n_flag,
                         "n": len(ds), "outlier_join": join,
                         "note": f"{n_flag} of {len(ds)} flagged"
                                 + (f" (join at {join})" if "grown" in method else "")})  # fmt: skip
    return rows


def calibrate(cache) -> None:
    """How the default thresholds were chosen: mnist-5k, seed 1 of every planted issue."""
    ds = load("mnist-5k")
    train, _ = ds.split(test_size=BENCHMARK_TEST_SIZE["mnist-5k"], seed=0)
    noisy, flipped = corrupt_labels(train, 0.2, seed=1)
    truth = np.zeros(len(train), bool)
    truth[flipped] = True
    rep = find_issues(noisy, ("label",), cache=cache, progress=False)
    for t in (-0.5, -0.4, -0.3, -0.2, -0.1, 0.0):
        print(f"label margin < {t:+.1f}: F1 {prf(truth, rep.table['label_margin'] < t)['f1']:.3f}")
    dup, src, _ = plant_duplicates(train, 0.05, seed=1)
    truth = np.zeros(len(dup), bool)
    truth[src] = True
    truth[len(train) :] = True
    for t in (0.5, 0.55, 0.6, 0.65, 0.7):
        rep = find_issues(dup, ("duplicate",), thresholds=Thresholds(near=t, near_ratio=0.0),
                          cache=cache, progress=False)  # fmt: skip
        s = prf(truth, rep.table["dup_group"] >= 0)
        print(f"near < {t:.2f}: precision {s['precision']:.3f} recall {s['recall']:.3f}")
    for q in (0.65, 0.7, 0.75, 0.8, 0.85):  # with the threshold chosen above
        rep = find_issues(dup, ("duplicate",), thresholds=Thresholds(near_ratio=q), cache=cache,
                          progress=False)  # fmt: skip
        s = prf(truth, rep.table["dup_group"] >= 0)
        print(f"near < {Thresholds().near} or ratio < {q:.2f}: precision {s['precision']:.3f} "
              f"recall {s['recall']:.3f} F1 {s['f1']:.3f}")  # fmt: skip
    junk, kind = plant_junk(train, 0.02, foreign=load("fashion-mnist-10k").images, seed=1)
    rep = find_issues(junk, ("junk",), cache=cache, progress=False)
    info = rep.table["info_ratio"]
    for k in ("", "blank", "noise"):
        print(f"information of {k or 'real'} images: min {info[kind == k].min():.3f} "
              f"max {info[kind == k].max():.3f}")  # fmt: skip
    real = (kind != "noise") & (kind != "blank")
    # the levels of chance and of permuted labels are null models; the sparse level is shown
    for zt in (1.0, 1.5, 2.0, 2.5, 3.0):
        seeds = Thresholds(outlier_sparse_z=zt, outlier_join=Thresholds().label_k + 1)
        s = prf(kind == "foreign", find_issues(junk, ("label", "junk"), thresholds=seeds,
                                              cache=cache, progress=False).flags["outlier"] & real)  # fmt: skip
        false = find_issues(noisy, ("label", "junk"), thresholds=seeds, cache=cache,
                            progress=False).flags["outlier"].sum()  # fmt: skip
        print(f"outlier seeds with sparse z >= {zt}: precision {s['precision']:.3f} recall "
              f"{s['recall']:.3f} F1 {s['f1']:.3f}; {false} of {len(train)} flagged without "
              "junk under 20% label noise")  # fmt: skip
    rep = find_issues(junk, ("label", "junk"), cache=cache, progress=False)
    # the growth's level is chance too (join_level at the seeds' rate): shown, not chosen
    th = rep.settings["thresholds"]
    s = prf(kind == "foreign", rep.flags["outlier"])
    print(f"outliers (chance {th['outlier_neighborhood']:.2f}, permuted labels "
          f"{th['outlier_permuted']:.2f}) grown at {th['outlier_join']} flagged of "
          f"{Thresholds().label_k} neighbors: precision {s['precision']:.3f} recall "
          f"{s['recall']:.3f} F1 {s['f1']:.3f}")  # fmt: skip


def fashion_full(cache) -> None:
    """Near-duplicates within full Fashion-MNIST's training set and against its test set."""
    from ncdvision.ncd.filter import write_report

    ds = load("fashion-mnist")
    train, test = ds.split()
    stages_before = set(Path(cache).glob("*.npz"))
    t = time.perf_counter()
    rep = find_issues(train, ("duplicate",), against=test, cache=cache, progress=True)
    secs = time.perf_counter() - t
    resumed = not set(Path(cache).glob("*.npz")) - stages_before
    out = RESULTS / "filter-fashion-full"
    write_report(out, rep, train, dry_run=True, against=test.images)
    (out / "issues.csv").unlink()  # 60,000 rows: the summary and galleries are what matter
    s = rep.summary()
    payload = {"machine": machine(), "seconds": secs, "n_train": len(train), "n_test": len(test),
               "within_train_groups": s["n_duplicate_groups"],
               "within_train_duplicates": s["by_reason"]["duplicate"],
               "train_images_duplicating_test": s["by_reason"]["leak"],
               "threshold": rep.settings["thresholds"]["near"],
               "ratio": rep.settings["thresholds"]["near_ratio"]}  # fmt: skip
    prev = RESULTS / "filter-fashion-full.json"
    if resumed and prev.exists():  # served from the stage cache: keep the timed run's seconds
        payload.update(seconds=json.loads(prev.read_text())["seconds"], resumed_seconds=secs)
    print(json.dumps(payload, indent=2))
    write_json("filter-fashion-full", payload)


def command(name: str, noise: float | None = None) -> None:
    """``ncdvision filter NAME`` in a child process (a fresh stage cache, so nothing is
    served from an earlier run): wall time, peak RSS and the summary it wrote. With ``noise``
    the input is instead an ``.npz`` of the benchmark's training split with that share of
    symmetric label noise (seed 0), the harder case the label stage is measured on."""
    import resource

    with tempfile.TemporaryDirectory() as tmp:
        target, tag = name, name
        if noise is not None:
            train, _ = load(name).split(test_size=BENCHMARK_TEST_SIZE[name], seed=0)
            noisy, _ = corrupt_labels(train, noise, kind="symmetric", seed=0)
            target, tag = str(Path(tmp) / f"{name}.npz"), f"{name}-noise{noise}"
            np.savez(target, images=noisy.images, labels=noisy.labels,
                     class_names=np.array(noisy.class_names))  # fmt: skip
        cmd = [sys.executable, "-m", "ncdvision.ncd.cli", "filter", target, "--out",
               str(Path(tmp) / "out")]  # fmt: skip
        t = time.perf_counter()
        subprocess.run(cmd, check=True)
        wall = time.perf_counter() - t
        summary = json.loads((Path(tmp) / "out" / "summary.json").read_text())
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    payload = {"machine": machine(), "command": f"ncdvision filter {tag}", "wall_s": wall,
               "peak_rss_mib": rss, "label_noise": noise, "summary": summary}  # fmt: skip
    print(f"wall {wall:.0f} s, peak RSS {rss:.0f} MiB; "
          f"wrote {write_json(f'filter-command-{tag}', payload)}")  # fmt: skip


#: (label in the profile, file suffix, function) of the stages --profile reports.
PROFILED = (
    ("neighbor search, with the recall measurement", "ncd/knn.py", "kneighbors"),
    ("cascade recall measurement", "ncd/cascade.py", "choose_candidates"),
    ("classifier fit (selection and prior)", "ncd/knn.py", "fit"),
    ("near-duplicate search", "ncd/filter/duplicates.py", "near_neighbors"),
)


def profile(name: str) -> None:
    """``find_issues`` on every image of NAME under cProfile, with a fresh stage cache: wall
    time and the cumulative seconds of the stages in :data:`PROFILED`."""
    import cProfile
    import pstats

    from ncdvision.ncd.filter import find_issues

    ds = load(name)
    with tempfile.TemporaryDirectory() as tmp:
        prof = cProfile.Profile()
        t = time.perf_counter()
        prof.enable()
        rep = find_issues(ds, cache=tmp, progress=False)
        prof.disable()
        wall = time.perf_counter() - t
    stats = pstats.Stats(prof).stats
    stages = {label: sum(v[3] for (f, _, fn), v in stats.items()
                         if fn == func and f.endswith(suffix))
              for label, suffix, func in PROFILED}  # fmt: skip
    stages["leave-one-out search alone"] = (stages["neighbor search, with the recall measurement"]
                                            - stages["cascade recall measurement"])  # fmt: skip
    payload = {"machine": machine(), "dataset": name, "n_images": len(ds.images),
               "wall_s": wall, "stage_seconds": stages,
               "settings": {k: rep.settings.get(k) for k in ("codec", "serializer", "candidates")}}  # fmt: skip
    print(json.dumps(payload, indent=2))
    write_json(f"filter-profile-{name}", payload)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    ap.add_argument("--datasets", default="mnist-5k,fashion-mnist-10k,digits")
    ap.add_argument("--scenarios", default=ALL_SCENARIOS)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--imagededup-python", default=None)
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "ncdvision-filter-bench"),
                    help="stage cache: a rerun resumes")  # fmt: skip
    ap.add_argument("--calibrate", action="store_true", help="show how thresholds were chosen")
    ap.add_argument("--fashion-full", action="store_true")
    ap.add_argument("--command", metavar="DATASET", help="time `ncdvision filter DATASET`")
    ap.add_argument("--profile", metavar="DATASET", help="find_issues on DATASET under cProfile")
    ap.add_argument("--label-noise", type=float, default=None,
                    help="with --command: filter the training split with this symmetric noise")  # fmt: skip
    args = ap.parse_args()
    if args.command:
        return command(args.command, args.label_noise)
    if args.profile:
        return profile(args.profile)
    if args.calibrate:
        return calibrate(args.cache)
    if args.fashion_full:
        return fashion_full(args.cache)
    scen = set(args.scenarios.split(","))
    if unknown := scen - set(ALL_SCENARIOS.split(",")):
        ap.error(f"--scenarios: unknown {sorted(unknown)}; known: {ALL_SCENARIOS} (the "
                 "downstream accuracy is bench/downstream.py)")  # fmt: skip
    for name in args.datasets.split(","):
        # one results file per dataset; a partial file resumes a stopped run scenario by scenario
        part = RESULTS / f"filter-{name}.partial.json"
        rows = json.loads(part.read_text())["rows"] if part.exists() else []
        done = {r["scenario"].split()[0] for r in rows}
        ds = load(name)
        train, _ = ds.split(test_size=BENCHMARK_TEST_SIZE[name], seed=0)
        t = time.perf_counter()
        jobs = (
            ("label", "label", label_rows, (args.cache, args.seed)),
            ("duplicate", "near-duplicates", duplicate_rows,
             (args.cache, args.seed, args.imagededup_python)),
            ("junk", "junk", junk_rows, (args.cache, args.seed)),
            ("cnn", "cnn", cnn_rows, (args.cache, args.seed)),
        )  # fmt: skip
        for key, first_word, fn, rest in jobs:
            if key not in scen or first_word in done:
                continue
            rows += fn(name, train, *rest)
            write_json(f"filter-{name}", {"machine": machine(), "rows": rows}, partial=True)
        old = RESULTS / f"filter-{name}.json"
        if old.exists() and scen != set(ALL_SCENARIOS.split(",")):
            # a partial rerun replaces only its own scenarios' rows
            mine = {r["scenario"].split()[0] for r in rows}
            rows = [r for r in json.loads(old.read_text())["rows"]
                    if r["scenario"].split()[0] not in mine] + rows  # fmt: skip
        # the table's order, whichever scenarios were rerun (a stable sort)
        rows.sort(key=lambda r: SCENARIO_ORDER.index(r["scenario"].split()[0]))
        write_json(f"filter-{name}", {"machine": machine(), "dataset": name, "seed": args.seed,
                                      "seconds": time.perf_counter() - t, "rows": rows})  # fmt: skip
        print(table(rows, ["dataset", "scenario", "method", "precision", "recall", "f1"]))


if __name__ == "__main__":
    sys.exit(main())
