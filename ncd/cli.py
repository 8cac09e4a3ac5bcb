"""The ``ncdvision`` command: one function per subcommand, and :func:`main`.

The interface (options, defaults, help, examples) is described in :mod:`.parser`. Errors a
user can fix (bad input, a refused output, too little memory or disk) print one line naming
the file or option and exit with status 2.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import warnings

import numpy as np


def _say(*parts, file=None) -> None:
    """print, with control characters from file and class names escaped (:func:`printable`)."""
    from ncdvision.datasets import printable

    print(printable(" ".join(map(str, parts))), file=file or sys.stdout)


def cmd_datasets_list(args: argparse.Namespace) -> int:
    from ncdvision.datasets import list_datasets

    for name, desc in list_datasets().items():
        _say(f"{name:20s} {desc}")
    return 0


def cmd_datasets_info(args: argparse.Namespace) -> int:
    from ncdvision.datasets import load

    ds = load(args.dataset)
    _say(f"name        {ds.name}")
    _say(
        f"images      {ds.images.shape} {ds.images.dtype}  (pixel range {ds.images.min()}..{ds.images.max()})"
    )
    if ds.labelled:
        _say(f"labels      {ds.labels.shape} {ds.labels.dtype}")
    else:
        _say("labels      none (a flat folder of images)")
    if ds.test_mask is not None:
        _say(
            f"split       {int((~ds.test_mask).sum())} train / {int(ds.test_mask.sum())} test (the dataset's own)"
        )
    _say(f"classes     {len(ds.class_names)}")
    for name, count in (ds.class_counts() if ds.labelled else {}).items():
        _say(f"  {name:18s} {count}")
    for key, value in ds.provenance.items():
        if key not in ("files", "ignored"):
            _say(f"{key:11s} {value}")
    for path, why in ds.provenance.get("ignored", []):
        _say(f"not read    {path} ({why})")
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    from .jobs import classify, format_table

    report = classify(
        args.dataset,
        codec=args.codec,
        k=args.k,
        serializer=args.serializer,
        test_size=args.test_size,
        seed=args.seed,
        out=args.out,
        n_jobs=args.n_jobs,
        search=args.search,
        recall=args.recall,
        backend=args.backend,
        scheduler=args.scheduler,
        baselines=not args.no_baselines,
        baseline_test=args.baseline_test,
    )
    _say(
        f"{report['dataset']}: {report['n_train']} train / {report['n_test']} test, seed {report['seed']}"
    )
    _say(format_table(report["results"]))
    _say(f"tie rule: {report['tie_rule']}; settings chosen by leave-one-out on the training set")
    _say(f"wrote {args.out}/report.json, predictions.csv, confusion.png")
    return 0


def cmd_baseline(args: argparse.Namespace) -> int:
    from .jobs import baseline

    res = baseline(
        args.train,
        args.test,
        args.out,
        codec=args.codec,
        k=args.k,
        proba=args.proba,
        skip_bad=args.skip_bad,
        color=args.color,
        n_jobs=args.n_jobs,
        transductive=args.transductive,
    )
    from .output import is_stream

    msg = sys.stderr if is_stream(args.out) else sys.stdout  # the CSV owns the stream
    s = res["settings"]
    _say(
        f"settings: codec={s['codec']} serializer={s['serializer']} k={s['k']} "
        f"(images resized to {res['image_size'][0]}x{res['image_size'][1]})",
        file=msg,
    )
    if res["transductive"]:
        _say(f"transductive: the learned prior also read the {res['n_test']} test images' "
             "pixels (no labels)", file=msg)  # fmt: skip
    if s["loo_accuracy"] is not None:
        _say(f"training leave-one-out accuracy (estimate): {s['loo_accuracy']:.3f}", file=msg)
    for path, why in res["skipped"]:
        _say(f"skipped unreadable {path}: {why}", file=msg)
    for path, why in res["ignored"]:
        _say(f"not read {path} ({why})", file=msg)
    _say(f"wrote {res['out']} ({res['n_test']} rows)", file=msg)
    return 0


def cmd_distances(args: argparse.Namespace) -> int:
    from ncdvision.datasets import load

    from .compressor import Compressor
    from .distance import pairwise
    from .output import check_free_space, check_output, open_stream, preallocate, temp_beside

    comp = Compressor(args.codec, args.serializer, args.distance)  # names checked before any work
    if getattr(comp.codec, "learned", False):
        raise ValueError(
            f"codec {args.codec!r} learns from labelled training images; use the Python API "
            "(Compressor(...).fit(images, labels) and pairwise(compressor=...))"
        )
    target = check_output(args.out, inputs=[args.X, args.Y])
    X = load(args.X).images
    Y = None if args.Y is None else load(args.Y).images
    n_y = len(X) if Y is None else len(Y)
    kw = {"codec": args.codec, "serializer": args.serializer, "distance": args.distance}
    if target is None:  # a stream: an in-memory matrix, within the memory limit
        D = pairwise(X, Y, progress=True, **kw)
        with open_stream(args.out, binary=True) as fh:
            np.save(fh, D)
        return 0
    check_free_space(target, 4 * len(X) * n_y + 128)
    with temp_beside(target, suffix=".npy") as tmp:
        out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=(len(X), n_y))
        del out
        preallocate(tmp, os.path.getsize(tmp))  # a full disk fails here, not as SIGBUS later
        out = np.lib.format.open_memmap(tmp, mode="r+")
        pairwise(X, Y, out=out, progress=True, **kw)
        out.flush()
        del out
    _say(f"wrote {args.out} ({len(X)} x {n_y} float32)")
    return 0


def cmd_filter(args: argparse.Namespace) -> int:
    from .filter import RULES, Thresholds, filter_dataset
    from .parser import threshold_values

    issues = tuple(s.strip() for s in args.issues.split(",") if s.strip())
    if not issues or set(issues) - set(RULES.names()):
        raise ValueError(f"--issues: a comma-separated subset of {','.join(RULES.names())}, "
                         f"got {args.issues!r}")  # fmt: skip
    th = Thresholds(**threshold_values(args))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skipped rules are printed from the summary below
        res = filter_dataset(args.dataset, args.out, issues=issues, against=args.against,
                             dry_run=args.dry_run, relabel=args.relabel, codec=args.codec,
                             method=args.method, thresholds=th, n_jobs=args.n_jobs,
                             progress=True, max_removed=args.max_removed,
                             link=args.link, prior=args.prior)  # fmt: skip
    s = res["summary"]
    for skip in s["settings"].get("skipped", []):
        _say(f"warning: the {skip['rule']} rule {skip['why']}", file=sys.stderr)
    _say(f"settings: codec={s['settings'].get('codec', '-')} "
          f"serializer={s['settings'].get('serializer', '-')}")  # fmt: skip
    by = ", ".join(f"{r} {n}" for r, n in s["by_reason"].items())
    _say(f"{s['n_flagged']} of {s['n_images']} images flagged ({by})")
    if pairs := s["label_pairs"][:3]:
        top = ", ".join(f"{p['given']} -> {p['suggested']} ({p['n']})" for p in pairs)
        _say(f"most flagged (given -> suggested): {top}; often classes the set confuses, "
              "so look at gallery-label.png before removing")  # fmt: skip
    if args.relabel:
        _say(f"{res['summary']['n_relabelled']} labels replaced by the suggested label")
    w = res["written"]
    _say(f"wrote {w['csv']}, {w['summary']}" + (f", {w['dataset']}" if "dataset" in w else ""))
    for g in w["galleries"]:
        _say(f"wrote {g}")
    _say(f"review the flags in {w['review']} (open it in a browser), export decisions.csv, then "
         f"`ncdvision filter apply {args.out} --decisions decisions.csv --out CLEAN`")  # fmt: skip
    return 0


def cmd_filter_apply(args: argparse.Namespace) -> int:
    from .filter import apply_decisions

    res = apply_decisions(args.report, args.decisions, args.out, link=args.link)
    _say(f"kept {res['n_kept']} of {res['n_images']} images ({res['n_relabelled']} relabelled); "
         f"wrote {res['dataset']}")  # fmt: skip
    return 0


def cmd_study(args: argparse.Namespace) -> int:
    from .output import check_output_dir

    out = check_output_dir(args.out)
    study = args.study()
    args.learners = _learners(args.learners)
    args.seeds = tuple(range(args.seeds))
    args.predictors = _names(args.predictors)
    study.check(args)
    out.mkdir(parents=True, exist_ok=True)
    res = study.run(args, out)
    paths = study.write_report(out, res, args)
    for v in res["verdicts"]:
        _say(f"{v['claim']} ({v['learner']}): {v['verdict']}. {v['evidence']}")
    _say(f"wrote {paths['md']} ({res['cells_computed']} cells computed, the rest cached)")
    return 0


def _names(spec: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in spec.split(",") if s.strip())


def _learners(spec: str) -> tuple[str, ...]:
    from .study.learners import available_learners

    learners = _names(spec)
    unknown = set(learners) - set(available_learners())
    if unknown or not learners:
        raise ValueError(f"--learners: unknown {sorted(unknown)}; known: "
                         f"{', '.join(available_learners())}")  # fmt: skip
    return learners


def build_parser():
    """The ``ncdvision`` parser (:mod:`.parser`) bound to this module's commands."""
    from .parser import build_parser as build

    return build({
        "datasets list": cmd_datasets_list, "datasets info": cmd_datasets_info,
        "classify": cmd_classify, "baseline": cmd_baseline, "distances": cmd_distances,
        "filter": cmd_filter, "filter apply": cmd_filter_apply,
        "study": cmd_study,
    })  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:2] == ["filter", "apply"]:  # `filter DATASET` takes a positional argument
        argv = ["filter-apply", *argv[2:]]
    args = build_parser().parse_args(argv)
    from ncdvision.datasets import DatasetError, printable

    from .distributed import ClusterError

    # SIGTERM unwinds like Ctrl-C: temp files are removed and output folders stay consistent
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return int(args.func(args) or 0)
    except (DatasetError, ValueError, MemoryError, OSError, ClusterError) as exc:
        print(f"ncdvision: error: {printable(str(exc) or type(exc).__name__)}", file=sys.stderr)
        return 2
    finally:
        signal.signal(signal.SIGTERM, previous)


def _terminate(signum, frame):
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    sys.exit(main())
