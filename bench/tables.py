"""Print the result tables from bench/results/*.json (no computation).

python bench/tables.py            # every table of the results pages
python bench/tables.py headline   # the README's headline table
"""

from __future__ import annotations

import json

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


FILTER_ORDER = ("mnist-5k", "fashion-mnist-10k", "digits")


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


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["headline"]:
        headline()
        sys.exit()
    accuracy()
    print()
    bpd()
    print()
    pixelcnn_select()
    print()
    filter_detection()
    print()
    filter_downstream()
    print()
    filter_downstream_k()
    print()
    filter_downstream_margin()
    print()
    filter_real()
