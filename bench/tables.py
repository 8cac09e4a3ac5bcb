"""Print the result tables from bench/results/*.json (no computation).

python bench/tables.py                     # every table of the results pages
python bench/tables.py headline            # one table by name (see TABLES)
python bench/tables.py --write DIR         # each table to DIR/<name>.md (the docs build does)
"""

from __future__ import annotations

import json
import re
from collections import Counter

from _common import RESULTS


def _f(v, digits=3):
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def headline() -> None:
    """The main job (``bench/fullsize.py``) per dataset: the compression kNN with its chosen
    setting against L2 pixel kNN and the published gzip NCD kNN, on the same split."""
    print("| dataset | train / test | NCD kNN (auto) | setting chosen | L2 pixel kNN | "
          "gzip NCD kNN | wall time, 2 cores |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for name in ("mnist-5k", "fashion-mnist"):
        run = json.loads((RESULTS / f"fullsize-{name}.json").read_text())
        rows = {r["method"]: r for r in run["rows"]}
        ncd, l2 = rows["NCD kNN"], rows["L2 pixel kNN"]
        gz = rows["gzip NCD kNN (naive baseline)"]
        print(
            f"| {name} | {run['n_train']:,} / {run['n_test']:,} | {ncd['accuracy']:.3f} | "
            f"{ncd['codec']}, {ncd['serializer']}, k={ncd['k']} | {l2['accuracy']:.3f} | "
            f"{gz['accuracy']:.3f} ({gz['n_test']} test images) | "
            f"{run['wall_s'] / 60:.1f} min |"
        )


def accuracy() -> None:
    print("| dataset | method | n_test | k=1 | k=3 | k=5 | auto / fixed | wall s |")
    print("|---|---|---|---|---|---|---|---|")
    for path in sorted(RESULTS.glob("accuracy-*.json")):
        for r in json.loads(path.read_text())["rows"]:
            auto = _f(r.get("auto"))
            if auto and r.get("auto_k"):
                auto += f" (k={r['auto_k']})"
            cells = [r["dataset"], r["method"], r.get("n_test"), _f(r.get("k=1")),
                     _f(r.get("k=3")), _f(r.get("k=5")), auto, _f(r.get("seconds"), 0)]  # fmt: skip
            print("| " + " | ".join(str(c) for c in cells) + " |")


def _model(cfg: dict | None) -> str:
    """A PixelCNN's settings in short: channels x layers, +xy for coordinate planes."""
    if not cfg:
        return ""
    out = f"{cfg['channels']} x {cfg['layers']}" + (" +xy" if cfg.get("coords") else "")
    return out + (f" {cfg['head']}" if cfg.get("head", "softmax") != "softmax" else "")


def bpd() -> None:
    """One row per (dataset, method, pixels); where several runs measured it, the newest."""
    runs = [json.loads(p.read_text()) for p in RESULTS.glob("bpd-*.json")]
    latest: dict[tuple, dict] = {}
    for run in sorted(runs, key=lambda run: run["machine"]["date"]):
        for r in run["rows"]:
            latest[(r["dataset"], r["method"], r["pixels"])] = r
    print("| dataset | method | pixels | per image | whole test set | likelihood | overhead | "
          "round trip | x best classical | model | epochs | train s |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in latest.values():
        over = ""
        if r.get("overhead_pct") is not None:
            over = f"{r['overhead_pct']:.2f}%"
        cells = [r["dataset"], r["method"], r["pixels"], _f(r.get("per_image_bpd")),
                 _f(r.get("stream_bpd")), _f(r.get("likelihood_bpd")), over,
                 r.get("round_trip", ""), _f(r.get("ratio_to_best_classical"), 2),
                 _model(r.get("model")), _f(r.get("epochs")), _f(r.get("train_s"), 0)]  # fmt: skip
        print("| " + " | ".join(str(c) for c in cells) + " |")


def pixelcnn_select() -> None:
    print(
        "| dataset | channels x layers | head | coordinates | epochs | train bpd | validation bpd |"
    )
    print("|---|---|---|---|---|---|---|")
    for path in sorted(RESULTS.glob("pixelcnn-select-*.json")):
        for r in json.loads(path.read_text())["rows"]:
            cells = [r["dataset"], f"{r['channels']} x {r['layers']}", r["head"],
                     "yes" if r.get("coords") else "no", r["epochs"], _f(r["train_bpd"]),
                     _f(r["val_bpd"])]  # fmt: skip
            print("| " + " | ".join(str(c) for c in cells) + " |")


FILTER_ORDER = ("mnist-5k", "fashion-mnist-10k", "digits", "glyphs")


def _filter_rows():
    for name in FILTER_ORDER:
        path = RESULTS / f"filter-{name}.json"
        if path.exists():
            rows = json.loads(path.read_text())["rows"]
            # the cnn scenario's rows beside the rows of the scenario they extend
            first: dict[str, int] = {}
            for i, r in enumerate(rows):
                first.setdefault(r["scenario"].removeprefix("cnn "), i)
            yield from sorted(rows, key=lambda r: first[r["scenario"].removeprefix("cnn ")])


def filter_detection() -> None:
    print("| dataset | planted | method | precision | recall | F1 |")
    print("|---|---|---|---|---|---|")
    for r in _filter_rows():
        if "f1" in r:
            cells = [r["dataset"], r["scenario"], r["method"], _f(r["precision"]),
                     _f(r["recall"]), _f(r["f1"])]  # fmt: skip
        elif "note" in r:
            cells = [r["dataset"], r["scenario"], r["method"], r["note"], "", ""]
        else:
            continue
        print("| " + " | ".join(str(c) for c in cells) + " |")


def _ci(v, digits=2, scale=1.0) -> str:
    return "" if v is None else f" [{v[0] * scale:+.{digits}f}, {v[1] * scale:+.{digits}f}]"


def _downstream_rows():
    """(dataset, summary row) of each bench/downstream.py result, in FILTER_ORDER."""
    for name in FILTER_ORDER:
        path = RESULTS / f"downstream-{name}.json"
        if path.exists():
            for r in json.loads(path.read_text())["summary"]:
                yield name, r


def filter_downstream() -> None:
    """bench/downstream.py: accuracy over the noise draws; shares with 90% intervals."""
    print("| dataset | learner | draws | noisy | clean | cost (points) | filtered | recovered "
          "(filtered) | recovered (relabelled) | recovered (oracle) | recovered (clean subset) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, r in _downstream_rows():
        acc, share, ci = r["accuracy"], r["share"], r["share_ci"]
        rec = [("" if share.get(w) is None else f"{share[w]:+.2f}") + _ci(ci.get(w))
               for w in ("filtered", "relabelled", "oracle", "clean_subset")]  # fmt: skip
        cells = [name, r["learner"], r["n_seeds"], _f(acc["noisy"]), _f(acc["clean"]),
                 f"{100 * r['cost']:+.1f}" + _ci(r["cost_ci"], 1, 100),
                 _f(acc["filtered"]), *rec]  # fmt: skip
        print("| " + " | ".join(str(c) for c in cells) + " |")


def filter_downstream_oracle() -> None:
    """bench/downstream.py's cells: each treatment's gain as a share of what the oracle (removing
    exactly the flipped images) gains, with 90% intervals over draws and test images."""
    import numpy as np
    from downstream import NAMES, bits_correct, cell_key

    from ncdvision.ncd.study.analysis import recovered_share

    print("| dataset | learner | oracle's gain (points) | filtered / oracle | "
          "relabelled / oracle |")  # fmt: skip
    print("|---|---|---|---|---|")
    for name in FILTER_ORDER:
        path = RESULTS / f"downstream-{name}.json"
        if not path.exists():
            continue
        run = json.loads(path.read_text())
        cells, n = run["cells"], run["n_test"]
        draws = {str(d["seed"]): d for d in run["draws"]}
        for lk, learner in NAMES.items():
            conds = {}
            for cond in ("noisy", "filtered", "relabelled", "oracle"):
                keys = [cell_key(lk, draws[str(s)], cond, s) for s in run["seeds"]]
                if all(k in cells for k in keys):
                    conds[cond] = np.stack([bits_correct(cells[k]["bits"], n) for k in keys])
            if "noisy" not in conds or "oracle" not in conds:
                continue
            res = recovered_share({"clean": conds.pop("oracle"), **conds})
            share, ci = res["share"], res["share_ci"]
            rec = [("" if share.get(w) is None else f"{share[w]:+.2f}") + _ci(ci.get(w))
                   for w in ("filtered", "relabelled")]  # fmt: skip
            gain = f"{100 * res['cost']:+.1f}" + _ci(res["cost_ci"], 1, 100)
            print("| " + " | ".join([name, learner, gain, *rec]) + " |")


def filter_downstream_k() -> None:
    """bench/downstream.py, the kNN learners: the k each chose, and the shares at the clean k."""
    print("| dataset | learner | k chosen: noisy / filtered / relabelled / oracle / clean | "
          "recovered (filtered) as chosen / at the clean k | recovered (relabelled) as chosen "
          "/ at the clean k | recovered (oracle) as chosen / at the clean k |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for name, r in _downstream_rows():
        if "at_clean_k" not in r:
            continue
        ks = " / ".join("".join(map(str, r["k_chosen"][c]))
                        for c in ("noisy", "filtered", "relabelled", "oracle", "clean"))  # fmt: skip
        at = r["at_clean_k"]
        rec = [f"{r['share'][w]:+.2f} / {at['share'][w]:+.2f}" + _ci(at["share_ci"][w])
               for w in ("filtered", "relabelled", "oracle")]  # fmt: skip
        print("| " + " | ".join([name, r["learner"], ks, *rec]) + " |")


def filter_downstream_margin() -> None:
    """bench/downstream_margin.py: the share removal recovers at each margin threshold."""
    runs = [json.loads(p.read_text()) for name in FILTER_ORDER
            if (p := RESULTS / f"downstream-margins-{name}.json").exists()]  # fmt: skip
    if not runs:
        return
    margins = [m["margin"] for m in runs[0]["summary"][0]["margins"]]
    heads = [f"margin < {m:+.1f}" + (" (default)" if abs(m + 0.3) < 1e-9 else "")
             for m in margins]  # fmt: skip
    print("| dataset | learner | " + " | ".join(heads) + " |")
    print("|---|---|" + "---|" * len(heads))
    for run in runs:
        for r in run["summary"]:
            cells = [f"{m['share']:+.2f} (P {m['precision']:.2f}, R {m['recall']:.2f})"
                     for m in r["margins"]]  # fmt: skip
            print("| " + " | ".join([run["dataset"], r["learner"], *cells]) + " |")


def filter_real() -> None:
    """bench/filter_real.py: what the label stage flags in the built-in sets' own labels."""
    print("| dataset | images | distance | flagged | share | cleanlab + LR flags | flagged by "
          "both | most common given -> suggested |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for name in FILTER_ORDER:
        if (p := RESULTS / f"filter-real-{name}.json").exists():
            r = json.loads(p.read_text())
            pairs = ", ".join(f"{pair} ({n})" for pair, n in r["top_pairs"][:3])
            cells = [name, r["n_images"], r["codec"], r["flagged"], f"{r['share']:.1%}",
                     r["cleanlab_lr_flagged"], r["both"], pairs]  # fmt: skip
            print("| " + " | ".join(str(c) for c in cells) + " |")


def _rows(name: str, columns: dict[str, str]) -> None:
    """A bench file's rows as a table: ``columns`` maps each header to its key."""
    run = json.loads((RESULTS / f"{name}.json").read_text())
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for r in run["rows"]:
        cells = []
        for key in columns.values():
            v = r.get(key)
            if key == "method" and isinstance(v, str):  # the reference is an earlier kernel
                v = re.sub(r"\(([0-9a-f]{7,40})\)", "(the reference: the earlier kernel)", v)
            if isinstance(v, float) and key in ("pairs_per_s",):
                v = f"{v:,.0f}"
            one = key in ("seconds", "wall_s", "speedup", "x_reference", "x_local")
            cells.append(_f(v, 1 if one else 3))
        print("| " + " | ".join(str(c) for c in cells) + " |")


def search() -> None:
    _rows("search", {"setting": "setting", "method": "method", "seconds": "seconds",
                     "pairs/s": "pairs_per_s", "x reference": "x_reference",
                     "pixels coded": "coded_fraction", "recall@3": "recall_at_k",
                     "accuracy": "accuracy"})  # fmt: skip


def pairwise() -> None:
    _rows("pairwise", {"dataset": "dataset", "method": "method", "serializer": "serializer",
                       "pairs/s": "pairs_per_s", "speedup": "speedup",
                       "thread scaling": "thread_scaling"})  # fmt: skip


def first_stage() -> None:
    run = json.loads((RESULTS / "first-stage.json").read_text())
    ms = [k for k in run["rows"][0] if k.startswith("M=")]
    _rows("first-stage", {"dataset": "dataset", "first stage": "first stage",
                          **{m: m for m in ms}, "M for 0.99": "M for 0.99"})  # fmt: skip


def first_stage_coder() -> None:
    """bench/first_stage.py --stages coder: first stages from the coder's representation."""
    run = json.loads((RESULTS / "first-stage-coder.json").read_text())
    ms = list(dict.fromkeys(k for r in run["rows"] for k in r if k.startswith("M=")))
    _rows("first-stage-coder", {"dataset": "dataset", "k": "k", "first stage": "first stage",
                                **{m: m for m in ms}, "M for 0.99": "M for 0.99"})  # fmt: skip


def fullsize() -> None:
    """Where the main job's time goes, per dataset and method (``bench/fullsize.py``)."""
    print("| dataset | method | setting | search | fit s | predict s | choosing M s | pairs/s "
          "| test accuracy |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for name in ("mnist-5k", "fashion-mnist"):
        run = json.loads((RESULTS / f"fullsize-{name}.json").read_text())
        for r in run["rows"]:
            pps = f"{r['pairs_per_s']:,.0f}" if r.get("pairs_per_s") else ""
            cells = [name, r["method"], f"{r['codec']}/{r['serializer']}, k={r['k']}",
                     r["search"], f"{r['fit_s']:.0f}", f"{r['predict_s']:.0f}",
                     _f(r.get("recall_measurement_s"), 0), pps,
                     f"{r['accuracy']:.4f} ({r['n_test']})"]  # fmt: skip
            print("| " + " | ".join(str(c) for c in cells) + " |")


def recall_tail() -> None:
    """``bench/recall_tail.py``: the recall measurement with the walk cut at the largest M
    tried (a random 100 queries walk everything) against every query walking every candidate."""
    _rows("recall-tail-fashion-mnist", {"k": "k", "measurement": "measurement",
                                        "seconds": "seconds", "x every": "x every",
                                        "M chosen": "M chosen", "recall at M": "recall at M",
                                        "M=2,000": "M=2000", "M=7,500": "M=7500",
                                        "M=20,000": "M=20000",
                                        "largest difference": "largest |recall difference|"})  # fmt: skip


def selection_loo() -> None:
    _rows("selection-loo", {"query draw": "seed", "setting": "setting", "candidates": "M",
                            "k=1": "k=1", "k=3": "k=3", "k=5": "k=5", "k=7": "k=7"})  # fmt: skip


def selection_pool() -> None:
    _rows("selection-pool", {"setting": "setting", "M": "M", "k=1": "k=1", "k=3": "k=3",
                             "k=5": "k=5", "k=7": "k=7"})  # fmt: skip


def selection_halving() -> None:
    """bench/selection_halving.py: the auto choice by successive halving against scoring
    every setting on every query, with both times."""
    print(
        "| dataset | every setting, every query | successive halving | same | seconds | "
        "halving / full |"
    )
    print("|---|---|---|---|---|---|")
    for r in json.loads((RESULTS / "selection-halving.json").read_text())["results"]:
        full, half = r["full"], r["halving"]
        cells = [r["dataset"], f"{full['setting']} ({full['loo_accuracy']:.3f})",
                 f"{half['setting']} ({half['loo_accuracy']:.3f})",
                 "yes" if r["same"] else "no",
                 f"{full['seconds']:.1f} / {half['seconds']:.1f}", f"{r['time_ratio']:.2f}"]  # fmt: skip
        print("| " + " | ".join(cells) + " |")


def fewshot() -> None:
    """bench/fewshot.py: accuracy (mean ± sd over draws) at each count of labelled images per
    class, one table per dataset, with NPC-LV's published numbers, and the mean seconds a
    method took per draw (fit and 1,000 predictions, all four counts together)."""
    run = json.loads((RESULTS / "fewshot.json").read_text())
    rows, cells = run["summary"], run["cells"]
    methods = [k for k in rows[0] if not k.endswith(" draws") and k not in ("dataset", "shots")]
    for i, name in enumerate(dict.fromkeys(r["dataset"] for r in rows)):
        mine = [r for r in rows if r["dataset"] == name]
        if i:
            print()
        print(f"**{name}**\n")
        print("| method | " + " | ".join(f"{r['shots']} shots" for r in mine) + " | s per draw |")
        print("|---|" + "---|" * (len(mine) + 1))
        for m in methods:
            secs = [c["seconds"] for k, c in cells.items()
                    if k.startswith(f"{name}|") and k.endswith(f"|{m}")]  # fmt: skip
            draws = max((r.get(f"{m} draws", 0) for r in mine), default=0)
            per_draw = f"{sum(secs) / draws:.0f}" if secs and draws else ""
            sizes = {c.get("test_images", 1000) for k, c in cells.items()
                     if k.startswith(f"{name}|") and k.endswith(f"|{m}")}  # fmt: skip
            label = (
                m if sizes <= {1000} else f"{m} ({', '.join(map(str, sorted(sizes)))} test images)"
            )
            print(f"| {label} | " + " | ".join(r.get(m, "") for r in mine) + f" | {per_draw} |")


def label_free_prior() -> None:
    """bench/label_free_prior.py: auto with the prior from same-class pairs against the prior
    from nearest neighbors, every label known."""
    _rows("label-free-prior", {"dataset": "dataset", "prior": "prior", "chosen": "setting",
                               "LOO accuracy": "loo_accuracy", "test accuracy": "test_accuracy",
                               "test images": "n_test", "difference": "difference",
                               "seconds": "seconds"})  # fmt: skip


def filter_prior() -> None:
    """bench/filter_prior.py: label flags with the prior from the given labels or from the
    images alone."""
    _rows("filter-prior", {"dataset": "dataset", "label noise": "noise", "prior": "prior",
                           "setting chosen": "setting", "precision": "precision",
                           "recall": "recall", "F1": "f1", "seconds": "seconds"})  # fmt: skip


def filter_recall() -> None:
    """bench/filter_recall.py: the filter's time and label flags at each target recall of its
    candidate cascade, flags in common with the first (reference) recall's run."""
    _rows("filter-recall-fashion-mnist-10k", {
        "target recall": "recall_target", "M chosen": "candidates",
        "recall on training queries": "cascade_recall", "wall s": "wall_s",
        "label flags": "label_flags", "in common with the reference": "label_common",
        "share of the reference's flags": "share_of_reference"})  # fmt: skip


def spreading_pool() -> None:
    """bench/spreading_pool.py: label spreading's accuracy on held-out training images against
    the number of pool images in its graph, per draw, with seconds."""
    rows = json.loads((RESULTS / "spreading-pool.json").read_text())["rows"]
    sizes = list(dict.fromkeys(r["max_unlabeled"] for r in rows))
    print("| shots | draw | " + " | ".join(f"{s:,} pool images" for s in sizes) + " |")
    print("|---|---|" + "---|" * len(sizes))
    for shots, draw in dict.fromkeys((r["shots"], r["draw"]) for r in rows):
        cells = [f"{r['dev_accuracy']:.3f} ({r['seconds']:.0f} s)" for s in sizes for r in rows
                 if (r["shots"], r["draw"], r["max_unlabeled"]) == (shots, draw, s)]  # fmt: skip
        print(f"| {shots} | {draw} | " + " | ".join(cells) + " |")


def cascade() -> None:
    """bench/cascade.py: exact search, one level and two levels on the test queries, with the
    plan ``choose_cascade`` picks from timings; full Fashion-MNIST where it was run."""
    print("| dataset | k | search | seconds | x exact | recall (test) | accuracy |")
    print("|---|---|---|---|---|---|---|")
    for name in ("cascade", "cascade-fashion-full"):
        path = RESULTS / f"{name}.json"
        if not path.exists():
            continue
        for r in json.loads(path.read_text())["rows"]:
            if "seconds" not in r:  # the plan picked from timings: the search it names
                pick = r["search"].split(": ", 1)[1]
                print(f"| {r['dataset']} | {r['k']} | picked from timings: {pick} | | | | |")
                continue
            print(f"| {r['dataset']} ({r['n_test']:,} test) | {r['k']} | {r['search']} | "
                  f"{r['seconds']:.1f} | {r['x_exact']:.1f} | {r['test_recall']:.3f} | "
                  f"{r['accuracy']:.3f} |")  # fmt: skip


def kernel_bound() -> None:
    """bench/kernel_bound.py: symbols coded per second on one core against the bound."""
    rows = json.loads((RESULTS / "kernel-bound.json").read_text())["rows"]
    print("| dataset | planes | loop | million symbols/s (one core) | share of the bound |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['dataset']} | {r['serializer']} | {r['loop']} | "
              f"{r['symbols_per_s'] / 1e6:.0f} | {r['share_of_bound']:.2f} |")  # fmt: skip


def neural_ref() -> None:
    """bench/neural_ref.py: 1-NN accuracy (mean ± sd over draws) of the neural conditional
    coder and the context coders, all fitted on the unlabelled pool, with pairs per second
    and fit seconds; then the real code lengths."""
    run = json.loads((RESULTS / "neural-ref.json").read_text())
    rows, fits = run["summary"], run["fits"]
    for i, name in enumerate(dict.fromkeys(r["dataset"] for r in rows)):
        mine = [r for r in rows if r["dataset"] == name]
        shots = list(dict.fromkeys(r["shots"] for r in mine))
        heads = [f"{s} shots" if s != "all" else "all labelled" for s in shots]
        print(("\n" if i else "") + f"**{name}** ({run['test_images']} test images per draw)\n")
        print(
            "| method | "
            + " | ".join(heads)
            + " | pairs/s (lowest) | fit s | C(y) | C(y given nearest) |"
        )
        print("|---|" + "---|" * (len(shots) + 4))
        for m in dict.fromkeys(r["method"] for r in mine):
            by = {r["shots"]: r for r in mine if r["method"] == m}
            acc = [f"{by[s]['accuracy']:.3f} ± {by[s]['sd']:.3f}" if s in by else "" for s in shots]
            pps = [by[s]["pairs/s"] for s in shots if s in by and by[s]["pairs/s"]]
            fit = fits.get(f"{name}|{m}", {})
            ln = fit.get("lengths", {})
            print(f"| {m} | " + " | ".join(acc) + f" | {min(pps) if pps else ''} | "
                  f"{_f(fit.get('fit_seconds'), 0)} | {_f(ln.get('bits'), 1)} | "
                  f"{_f(ln.get('bits_given_nearest'), 1)} |")  # fmt: skip
    print(
        "\n| dataset | pairs coded | -log2 p (bits) | code (bits) | header | beyond the header | decoded exactly |"
    )
    print("|---|---|---|---|---|---|---|")
    for name in dict.fromkeys(r["dataset"] for r in rows):
        r = fits[f"{name}|real lengths"]
        print(f"| {name} | {r['pairs']} | {r['likelihood_bits']:.0f} | {r['actual_bits']} | "
              f"{r['header_bits']} | {100 * r['overhead_beyond_header']:+.2f}% | "
              f"{'yes' if r['round_trip_exact'] else 'no'} |")  # fmt: skip


def noise_mce(panel: str = "quick") -> None:
    run = json.loads((RESULTS / f"noise-{panel}.json").read_text())
    print("| regime | learner | clean accuracy | mCE | relative mCE |")
    print("|---|---|---|---|---|")
    for r in run["mce"]:
        if r.get("corruption") != "mean":
            continue
        cells = [r["regime"], r["learner"], _f(1 - r["clean_error"]), _f(r["ce"]),
                 _f(r["relative_ce"])]  # fmt: skip
        print("| " + " | ".join(str(c) for c in cells) + " |")


def _learnability(panel: str) -> dict | None:
    run = json.loads((RESULTS / f"learnability-{panel}.json").read_text())
    if "forecast" not in run:
        print(f"(the {panel} panel has not been run with the 49-task panel)")
        return None
    return run


def learnability_claims(panel: str = "quick") -> None:
    run = _learnability(panel)
    if run is None:
        return
    print("| learner | predictor | Spearman with error at the largest size [90% CI] | half-width |"
          " leave-one-task-out MAE | MAE of the mean |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for r in run["claims"]:
        if r.get("spearman") is None:
            continue
        lo, hi = r["spearman_ci"]
        print(f"| {r['learner']} | {r['predictor']} | {r['spearman']:+.2f} [{lo:+.2f}, {hi:+.2f}]"
              f" | {(hi - lo) / 2:.2f} | {_f(r['mae'])} | {_f(r['mae_mean_only'])} |")  # fmt: skip


def learnability_families(panel: str = "quick") -> None:
    run = _learnability(panel)
    if run is None:
        return
    print("| family | learner | predictor | tasks | Spearman [90% CI] |")
    print("|---|---|---|---|---|")
    for r in run["per_family"]:
        rho = ("" if r.get("spearman") is None else
               f"{r['spearman']:+.2f} [{r['spearman_ci'][0]:+.2f}, {r['spearman_ci'][1]:+.2f}]")  # fmt: skip
        print(f"| {r['family']} | {r['learner']} | {r['predictor']} | {r['n']} | {rho} |")


def learnability_forecast(panel: str = "quick") -> None:
    run = _learnability(panel)
    if run is None:
        return
    methods = ("forecast", "pilot line", "pilot power law", "mean slope", "mean")
    print("| learner | measure (held-out targets) | " + " | ".join(methods)
          + " | forecast / best pilot-only | 80% coverage | 90% coverage |")  # fmt: skip
    print("|---|---|" + "---|" * (len(methods) + 3))
    for learner, ev in run["forecast"].items():
        for measure in ("log10_n_to_target", "error_at_max", "alpha"):
            by = ev[measure]
            cells = [_f(by[m]["median_abs_error"]) if m in by else "" for m in methods]
            tail = ([_f(ev["ratio_to_pilot_only"], 2), f"{ev['coverage']['80%']:.0%}",
                     f"{ev['coverage']['90%']:.0%}"] if measure == "log10_n_to_target"
                    else ["", "", ""])  # fmt: skip
            print(f"| {learner} | {measure.replace('_', ' ')} ({by['forecast']['n']}) | "
                  + " | ".join(cells + tail) + " |")  # fmt: skip


def forecast_variants(panel: str = "full") -> None:
    """``bench/forecast_variants.py``: each slope model's median absolute error of log10(n to
    target), leave-one-family-out, and its ratio to the pilot's own line."""
    run = json.loads((RESULTS / f"forecast-variants-{panel}.json").read_text())
    learners = list(run["learners"])
    print("| slope model | " + " | ".join(learners) + " |")
    print("|---|" + "---|" * len(learners))
    for v in run["variants"]:
        cells = [f"{s['median_abs_error']:.3f} ({s['ratio_to_pilot_line']:.2f}x)"
                 for s in (run["learners"][lr][v] for lr in learners)]  # fmt: skip
        print(f"| {v} | " + " | ".join(cells) + " |")


def forecast_families(panel: str = "full") -> None:
    """``bench/forecast_variants.py``: the shipped model's and the pilot line's errors with
    each family held out (median absolute error, and median signed error: + is too many
    labels)."""
    run = json.loads((RESULTS / f"forecast-variants-{panel}.json").read_text())
    print(
        "| learner | held-out family | targets | shipped: error (bias) | pilot line: error (bias) |"
    )
    print("|---|---|---|---|---|")
    for lr, by in run["learners"].items():
        for fam, s in by["shipped: ridge, slope"]["by_family"].items():
            p = by["pilot line"]["by_family"][fam]
            print(
                f"| {lr} | {fam} | {s['n']} | {s['median_abs_error']:.3f} ({s['bias']:+.3f}) | "
                f"{p['median_abs_error']:.3f} ({p['bias']:+.3f}) |"
            )


def cascade_stop(name: str = "cascade-stop") -> None:
    """``bench/cascade_stop.py``: the cascade's per-query stopping rule against its fixed M
    and the exact search, on test images, with the plans' training recall and walk."""
    _rows(name, {"dataset": "dataset", "k": "k", "search": "search",
                 "candidates walked (test mean)": "candidates walked (test mean)",
                 "seconds": "seconds", "x fixed M": "x fixed M", "recall (test)": "recall (test)",
                 "accuracy": "accuracy", "training recall": "training recall",
                 "training walk": "training walk"})  # fmt: skip


def label_free_pairs() -> None:
    """``bench/label_free_pairs.py``: leave-one-out accuracy of ``ctx-ref-learned/thermo:3`` with
    its prior learned from each way of pairing images, labelled or not."""
    _rows("label-free-pairs", {"dataset": "dataset", "pairing": "pairing", "k": "k",
                               "LOO accuracy": "loo_accuracy", "standard error": "standard_error",
                               "against labels": "difference", "seconds": "seconds"})  # fmt: skip


def fewshot_npc_rule() -> None:
    """``bench/fewshot_npc_rule.py``: each method's own prediction against NPC-LV's scoring rule
    (k = 2, a tie counted as correct), on the draws of ``bench/fewshot.py``."""
    run = json.loads((RESULTS / "fewshot-npc-rule.json").read_text())
    _rows("fewshot-npc-rule", {c: c for c in run["rows"][0]})


def fewshot_settings() -> None:
    """``bench/fewshot_settings.py``: auto's test accuracy and the settings it chose with a few
    shots, beside each context setting fixed at k = 1 and L2 pixel kNN (mean ± sd over draws)."""
    run = json.loads((RESULTS / "fewshot-settings.json").read_text())
    fixed = [m for m in run["summary"][0] if m.endswith("k=1")]
    print("| dataset | shots | auto | auto chose | L2 pixel kNN | " + " | ".join(fixed) + " |")
    print("|---|---|---|---|---|" + "---|" * len(fixed))
    for s in run["summary"]:
        cells = [f"{s[m]['mean']:.3f} ± {s[m]['sd']:.3f}" for m in ["auto", "L2 pixel kNN", *fixed]]
        chose = "; ".join(f"{n}x {c}" for c, n in Counter(s["auto_chose"]).most_common())
        print(
            f"| {s['dataset']} | {s['shots']} | {cells[0]} | {chose} | "
            + " | ".join(cells[1:])
            + " |"
        )


TABLES = {
    "headline": headline, "accuracy": accuracy, "pairwise": pairwise, "search": search,
    "first_stage": first_stage, "first_stage_coder": first_stage_coder, "bpd": bpd, "pixelcnn_select": pixelcnn_select,
    "filter_detection": filter_detection, "filter_downstream": filter_downstream,
    "filter_downstream_k": filter_downstream_k,
    "filter_downstream_oracle": filter_downstream_oracle,
    "filter_downstream_margin": filter_downstream_margin, "filter_real": filter_real,
    "fullsize": fullsize, "selection_loo": selection_loo, "selection_pool": selection_pool,
    "selection_halving": selection_halving, "fewshot": fewshot, "neural_ref": neural_ref,
    "label_free_prior": label_free_prior, "filter_prior": filter_prior,
    "filter_recall": filter_recall,
    "spreading_pool": spreading_pool, "cascade": cascade, "kernel_bound": kernel_bound,
    "noise_mce_quick": noise_mce, "noise_mce_full": lambda: noise_mce("full"),
    "learnability_claims_quick": learnability_claims,
    "learnability_families_quick": learnability_families,
    "learnability_forecast_quick": learnability_forecast,
    "learnability_claims_full": lambda: learnability_claims("full"),
    "learnability_families_full": lambda: learnability_families("full"),
    "learnability_forecast_full": lambda: learnability_forecast("full"),
    "forecast_variants": forecast_variants, "fewshot_settings": fewshot_settings, "fewshot_npc_rule": fewshot_npc_rule, "label_free_pairs": label_free_pairs, "cascade_stop": cascade_stop,
    "cascade_stop_fashion_full": lambda: cascade_stop("cascade-stop-fashion-full"), "forecast_families": forecast_families,
    "recall_tail": recall_tail,
}  # fmt: skip


if __name__ == "__main__":
    import contextlib
    import sys
    from pathlib import Path

    args = sys.argv[1:]
    if args[:1] == ["--write"]:
        out = Path(args[1])
        out.mkdir(parents=True, exist_ok=True)
        for name, table in TABLES.items():
            with open(out / f"{name}.md", "w") as fh, contextlib.redirect_stdout(fh):
                table()
        sys.exit()
    unknown = [a for a in args if a not in TABLES]
    if unknown:
        sys.exit(f"unknown table(s) {unknown}; known: {', '.join(TABLES)}")
    for i, name in enumerate(args or TABLES):
        if i:
            print()
        TABLES[name]()
