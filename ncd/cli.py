"""The ``ncdvision`` command.

Subcommands beyond the core ones come from the ``ncdvision.commands`` entry-point group: each
entry names a function ``register(subparsers)`` that adds its parsers (the neural package
registers ``neural`` this way), so this module never imports them.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import warnings
from importlib.metadata import PackageNotFoundError, entry_points, version

import numpy as np

from .cliargs import fraction, int_at_least, k_or_auto, n_jobs

COMMANDS_GROUP = "ncdvision.commands"


def _version() -> str:
    try:
        return version("ncdvision")
    except PackageNotFoundError:  # running from a source tree without an install
        return "unknown"


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
    _say(f"labels      {ds.labels.shape} {ds.labels.dtype}")
    if ds.test_mask is not None:
        _say(
            f"split       {int((~ds.test_mask).sum())} train / {int(ds.test_mask.sum())} test (the dataset's own)"
        )
    _say(f"classes     {len(ds.class_names)}")
    for name, count in ds.class_counts().items():
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
    )
    from .output import is_stream

    msg = sys.stderr if is_stream(args.out) else sys.stdout  # the CSV owns the stream
    s = res["settings"]
    _say(
        f"settings: codec={s['codec']} serializer={s['serializer']} k={s['k']} "
        f"(images resized to {res['image_size'][0]}x{res['image_size'][1]})",
        file=msg,
    )
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

    from .distance import Compressor, pairwise
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
    from .filter import ISSUE_KINDS, Thresholds, filter_dataset

    issues = tuple(s.strip() for s in args.issues.split(",") if s.strip())
    if not issues or set(issues) - set(ISSUE_KINDS):
        raise ValueError(f"--issues: a comma-separated subset of {','.join(ISSUE_KINDS)}, "
                         f"got {args.issues!r}")  # fmt: skip
    given = {
        "label_margin": args.label_margin,
        "near": args.near_threshold,
        "near_ratio": args.near_ratio,
        "outlier_join": args.outlier_join,
    }
    th = Thresholds(**{k: v for k, v in given.items() if v is not None})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skipped rules are printed from the summary below
        res = filter_dataset(args.dataset, args.out, issues=issues, against=args.against,
                             dry_run=args.dry_run, relabel=args.relabel, codec=args.codec,
                             method=args.method, thresholds=th, n_jobs=args.n_jobs,
                             progress=True, max_removed=args.max_removed)  # fmt: skip
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
    return 0


def cmd_study_learnability(args: argparse.Namespace) -> int:
    from .output import check_output_dir
    from .study.learnability import PRIMARY, run_learnability
    from .study.report import write_learnability_report

    out = check_output_dir(args.out)
    learners = _learners(args.learners)
    res = run_learnability(args.panel, learners, out=out, extra=args.add,
                           seeds=tuple(range(args.seeds)), predictors=_names(args.predictors))  # fmt: skip
    paths = write_learnability_report(out, res, PRIMARY)
    for v in res["verdicts"]:
        _say(f"{v['claim']} ({v['learner']}): {v['verdict']}. {v['evidence']}")
    _say(f"wrote {paths['md']} ({res['cells_computed']} cells computed, the rest cached)")
    return 0


def cmd_study_noise(args: argparse.Namespace) -> int:
    from .output import check_output_dir
    from .study.noise import grid_splits, run_noise
    from .study.noise_report import write_noise_report

    out = check_output_dir(args.out)
    learners = _learners(args.learners)
    _, test = grid_splits(args.panel, args.dataset)  # a bad --dataset fails before any work
    res = run_noise(args.panel, learners, out=out, seeds=tuple(range(args.seeds)),
                    dataset=args.dataset, predictors=_names(args.predictors))  # fmt: skip
    paths = write_noise_report(out, res, test)
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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ncdvision", description=__doc__)
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = p.add_subparsers(dest="command", required=True)

    ds = sub.add_parser("datasets", help="list or describe datasets")
    ds_sub = ds.add_subparsers(dest="datasets_command", required=True)
    ds_sub.add_parser("list", help="the packaged and synthetic datasets").set_defaults(
        func=cmd_datasets_list
    )
    info = ds_sub.add_parser("info", help="shape, classes, counts and provenance")
    info.add_argument("dataset", help="a dataset name or a path (ImageFolder, .npz, IDX, CIFAR)")
    info.set_defaults(func=cmd_datasets_info)

    c = sub.add_parser("classify", help="the main job: NCD kNN vs baselines on a dataset")
    c.add_argument("--dataset", default="mnist-5k", help="dataset name or path (default mnist-5k)")
    c.add_argument("--codec", default="auto")
    c.add_argument("--serializer", default="auto")
    c.add_argument("--k", type=k_or_auto, default="auto")
    c.add_argument(
        "--test-size", type=int_at_least(1), default=None, help="default: the benchmark protocol's"
    )
    c.add_argument("--seed", type=int_at_least(0), default=0)
    c.add_argument("--out", default="ncdvision-out")
    c.add_argument("--n-jobs", type=n_jobs, default=-1, help="threads (-1: every core)")
    c.add_argument("--search", choices=["auto", "exact"], default="auto",
                   help="auto: candidate cascade with recall >= 0.99 on training queries")  # fmt: skip
    c.add_argument("--recall", type=fraction, default=0.99,
                   help="cascade: target recall of the exact top k on training queries")  # fmt: skip
    c.add_argument("--backend", choices=["local", "dask"], default="local",
                   help="dask: neighbour searches on a Dask cluster")  # fmt: skip
    c.add_argument("--scheduler", default=None,
                   help="Dask scheduler address (default $NCDVISION_DASK_SCHEDULER, else a "
                        "LocalCluster)")  # fmt: skip
    c.add_argument("--no-baselines", action="store_true", help="skip L2 and gzip baselines")
    c.add_argument("--baseline-test", type=int_at_least(0), default=200,
                   help="test images for the slow gzip baseline (stratified; 0 = all)")  # fmt: skip
    c.set_defaults(func=cmd_classify)

    b = sub.add_parser("baseline", help="competition submission from image folders")
    b.add_argument("--train", required=True, help="ImageFolder: one subfolder per class")
    b.add_argument("--test", required=True, help="flat folder of test images")
    b.add_argument(
        "--out", required=True, help="submission CSV (id,label); '-' for standard output"
    )
    b.add_argument("--codec", default="auto")
    b.add_argument("--k", type=k_or_auto, default="auto")
    b.add_argument("--proba", action="store_true", help="add one probability column per class")
    b.add_argument("--skip-bad", action="store_true", help="skip unreadable test images (reported)")
    b.add_argument("--color", choices=["auto", "gray", "rgb"], default="auto")
    b.add_argument("--n-jobs", type=n_jobs, default=-1, help="threads (-1: every core)")
    b.set_defaults(func=cmd_baseline)

    d = sub.add_parser("distances", help="pairwise distance matrix to a .npy file")
    d.add_argument("X")
    d.add_argument("Y", nargs="?")
    d.add_argument("--codec", default="ctx-ref", help="default ctx-ref (see `ncdvision --help`)")
    d.add_argument("--serializer", default="auto",
                   help="auto: binary planes for context coders, raw bytes otherwise")  # fmt: skip
    d.add_argument("--distance", default="ncd")
    d.add_argument("--out", required=True, help=".npy file; '-' for standard output")
    d.set_defaults(func=cmd_distances)

    f = sub.add_parser("filter", help="find mislabelled, junk and duplicate images; write a "
                       "filtered copy and a report")  # fmt: skip
    f.add_argument("dataset", help="dataset name or path (ImageFolder, .npz, IDX, CIFAR)")
    f.add_argument("--out", required=True, help="report folder (never inside the input)")
    f.add_argument("--issues", default="label,junk,duplicate",
                   help="comma-separated: label, junk, duplicate (default all)")  # fmt: skip
    f.add_argument("--against", default=None,
                   help="a second set (e.g. the test images): flag training images that "
                        "duplicate one of its images (leakage)")  # fmt: skip
    f.add_argument("--dry-run", action="store_true", help="write the report only")
    f.add_argument("--max-removed", type=fraction, default=0.5, metavar="FRACTION",
                   help="refuse to write a filtered dataset that loses more than this share "
                        "of the images (default 0.5; 1 accepts any)")  # fmt: skip
    f.add_argument("--relabel", action="store_true",
                   help="keep images flagged only for their label, under the suggested label")  # fmt: skip
    f.add_argument("--codec", default="auto", help="distance of the label neighbours")
    f.add_argument("--method", choices=["knn", "cleanlab"], default="knn",
                   help="label flags from the vote margin or from cleanlab")  # fmt: skip
    f.add_argument("--label-margin", type=float, default=None,
                   help="flag a label when its vote margin is below this (default -0.3)")  # fmt: skip
    f.add_argument("--near-threshold", type=float, default=None,
                   help="near-duplicate compression distance (default 0.6)")  # fmt: skip
    f.add_argument("--near-ratio", type=float, default=None,
                   help="ratio test: nearest closer than this times the second (default 0.75)")  # fmt: skip
    f.add_argument("--outlier-join", type=int_at_least(1), default=None,
                   help="flagged outliers among an image's neighbours at which it joins them "
                        "(default: what random flags at the seeds' rate reach by chance)")  # fmt: skip
    f.add_argument("--n-jobs", type=n_jobs, default=-1, help="threads (-1: every core)")
    f.set_defaults(func=cmd_filter)

    st = sub.add_parser("study", help="measurement studies (learnability, noise)")
    st_sub = st.add_subparsers(dest="study_command", required=True)
    sl = st_sub.add_parser("learnability",
                           help="does compressibility predict learnability? curves, fits, verdicts")  # fmt: skip
    sl.add_argument("--panel", choices=["tiny", "quick", "full"], default="quick")
    sl.add_argument("--learners", default="l2-knn,ncd-knn,logreg",
                    help="comma-separated (cnn with the [neural] extra)")  # fmt: skip
    sl.add_argument("--add", action="append", default=[], help="a dataset path to add")
    sl.add_argument("--seeds", type=int_at_least(1), default=3, help="seeds per cell (default 3)")
    sl.add_argument("--predictors", default="",
                    help="extra compressibility predictors by name (pixelcnn with [neural])")  # fmt: skip
    sl.add_argument("--out", default="ncdvision-study", help="report folder (cells cached in it)")
    sl.set_defaults(func=cmd_study_learnability)
    sn = st_sub.add_parser("noise", help="pixel and label noise: compressibility, accuracy, mCE")
    sn.add_argument("--panel", choices=["tiny", "quick", "full"], default="quick",
                    help="the grid: quick = mnist-5k, 3 corruptions x 5 severities + 3 label "
                         "rates; full = every corruption, both label-noise kinds")  # fmt: skip
    sn.add_argument("--dataset", default=None,
                    help="a dataset name or path instead of the grid's (mnist-5k)")  # fmt: skip
    sn.add_argument("--learners", default="l2-knn,ncd-knn,logreg",
                    help="comma-separated, l2-knn included (the CE baseline); cnn with [neural]")  # fmt: skip
    sn.add_argument("--seeds", type=int_at_least(1), default=3, help="seeds per cell (default 3)")
    sn.add_argument("--predictors", default="",
                    help="extra compressibility predictors by name (pixelcnn with [neural])")  # fmt: skip
    sn.add_argument("--out", default="ncdvision-noise", help="report folder (cells cached in it)")
    sn.set_defaults(func=cmd_study_noise)

    for ep in entry_points(group=COMMANDS_GROUP):  # e.g. `neural`, from the [neural] package
        ep.load()(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
