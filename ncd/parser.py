"""The ``ncdvision`` command line: every subcommand, option, default and example.

The command functions live in :mod:`.cli`; this module only describes the interface, so
``ncdvision --help`` reads as a user's manual. Subcommands beyond the core ones come from the
``ncdvision.commands`` entry-point group (the ``[neural]`` extra registers ``neural``).
"""

from __future__ import annotations

import argparse
from importlib.metadata import PackageNotFoundError, version

from .cliargs import fraction, int_at_least, k_or_auto, n_jobs
from .filter.rules import RULES, is_integral, threshold_fields
from .plugins import Registry

#: Command groups of other packages: ``register(subparsers)`` functions (the ``[neural]``
#: package adds ``neural``), from the ``ncdvision.commands`` entry-point group.
COMMANDS = Registry("command", "ncdvision.commands")

DESCRIPTION = """\
Compression-based image classification: nearest neighbors under the Normalized Compression
Distance, with parameter-free defaults (the codec, serializer and k are chosen by
leave-one-out on the training images, never on the test images).

Start with `ncdvision classify` (the main job, about 2 minutes on 2 cores), or
`ncdvision baseline --train DIR --test DIR --out submission.csv` for a competition.
"""


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows each option's default (where it has one), and keeps the descriptions' and
    examples' line breaks."""

    def _get_help_string(self, action):
        if action.default in (None, False) or isinstance(action.default, list):
            return action.help
        return super()._get_help_string(action)


def _version() -> str:
    try:
        return version("ncdvision")
    except PackageNotFoundError:  # running from a source tree without an install
        return "unknown"


def _sub(sub, name: str, help_: str, description: str, example: str):
    return sub.add_parser(name, help=help_, description=description,
                          epilog=f"example:\n  {example}", formatter_class=_Formatter)  # fmt: skip


def _link_option(parser) -> None:
    parser.add_argument("--link", action="store_true",
                        help="hard-link kept image files instead of copying them: an edit of "
                             "the output then changes the input too")  # fmt: skip


def _threshold_options(parser) -> None:
    """One option per threshold of every registered filter rule (default: the rule's)."""
    group = parser.add_argument_group("thresholds (defaults: each rule's)")
    for f in threshold_fields():
        meta = f.metadata
        integral = is_integral(f)
        default = meta["none"] if f.default is None else f"{f.default:g}"
        group.add_argument(meta["flag"] or "--" + f.name.replace("_", "-"), dest=f"th_{f.name}",
                           type=int_at_least(meta["range"][0]) if integral else float,
                           default=None, metavar="N" if integral else "X",
                           help=f"{meta['what']} (default: {default})")  # fmt: skip


def threshold_values(args) -> dict:
    """The threshold options given on the command line, by threshold name."""
    return {k[3:]: v for k, v in vars(args).items() if k.startswith("th_") and v is not None}


def _study_commands(sub, run) -> None:
    """``ncdvision study NAME`` for every registered study (:mod:`.study.base`)."""
    from .study.base import STUDIES

    st = sub.add_parser("study", help="measurement studies: " + ", ".join(STUDIES.names()),
                        description="Studies of how compressibility relates to learnability "
                        "and to noise, with curves, fits, plots and verdicts with intervals. "
                        "Finished cells are cached in --out, so a rerun resumes.",
                        formatter_class=_Formatter)  # fmt: skip
    st_sub = st.add_subparsers(dest="study_command", required=True, metavar="STUDY")
    for name, study in STUDIES.items():
        s = _sub(st_sub, name, study.summary, study.description, study.example
                 or f"ncdvision study {name} --panel {study.panels[0]} --out {name}")  # fmt: skip
        s.add_argument("--panel", choices=list(study.panels), default=study.panels[0],
                       help=study.panel_help)  # fmt: skip
        s.add_argument("--learners", default=study.learners,
                       help="comma-separated (cnn with the [neural] extra)")  # fmt: skip
        s.add_argument("--seeds", type=int_at_least(1), default=3, help="seeds per cell")
        s.add_argument("--predictors", default="",
                       help="extra compressibility predictors by name (pixelcnn with [neural])")  # fmt: skip
        s.add_argument("--out", default=f"ncdvision-{name}",
                       help="report folder (cells cached in it)")  # fmt: skip
        study().add_arguments(s)
        s.set_defaults(func=run, study=study)


def _datasets_commands(sub, commands) -> None:
    """``datasets list`` and ``datasets info``."""
    ds = sub.add_parser("datasets", help="list the built-in datasets or describe one",
                        description="List the built-in datasets, or describe a dataset "
                        "(built-in or your files): shape, classes, counts, provenance.",
                        formatter_class=_Formatter)  # fmt: skip
    ds_sub = ds.add_subparsers(dest="datasets_command", required=True, metavar="COMMAND")
    _sub(ds_sub, "list", "the built-in datasets", "The packaged and synthetic datasets.",
         "ncdvision datasets list").set_defaults(func=commands["datasets list"])  # fmt: skip
    info = _sub(ds_sub, "info", "shape, classes, counts and provenance of a dataset",
                "Describe a dataset without computing anything: seconds.",
                "ncdvision datasets info ./my-images")  # fmt: skip
    info.add_argument("dataset", help="a built-in name or a path (ImageFolder, .npz, IDX folder, "
                      "CIFAR batches)")  # fmt: skip
    info.set_defaults(func=commands["datasets info"])


def _classify_command(sub, commands) -> None:
    """``classify``: the main job."""
    c = _sub(sub, "classify", "the main job: compression kNN against the baselines on a dataset",
             "Split a dataset, choose the compression setting and k by leave-one-out on the "
             "training images, and report test accuracy beside L2 pixel kNN and the published "
             "gzip NCD kNN, with predictions, a confusion matrix and a JSON report in --out. "
             "About 2 minutes for mnist-5k on 2 cores.",
             "ncdvision classify --dataset ./my-images --out results")  # fmt: skip
    c.add_argument("--dataset", default="mnist-5k", help="a built-in name or a path")
    c.add_argument("--codec", default="auto",
                   help="a codec name (`zlib`, `ctx-ref`, ...) or auto: chosen by leave-one-out")  # fmt: skip
    c.add_argument("--serializer", default="auto",
                   help="how an image becomes symbols: raw, q1..q8, binary, thermo:K, or auto")  # fmt: skip
    c.add_argument("--k", type=k_or_auto, default="auto",
                   help="neighbors that vote, or auto: chosen by leave-one-out")  # fmt: skip
    c.add_argument("--test-size", type=int_at_least(1), default=None,
                   help="test images; default: the benchmark protocol's for built-in sets, "
                        "else the dataset's own split or 20%%")  # fmt: skip
    c.add_argument("--seed", type=int_at_least(0), default=0, help="seed of the split")
    c.add_argument("--out", default="ncdvision-out",
                   help="report folder: new, empty or an earlier run's; replaced as a whole")  # fmt: skip
    c.add_argument("--n-jobs", type=n_jobs, default=-1, help="threads (-1: every core)")
    c.add_argument("--search", choices=["auto", "adaptive", "exact"], default="auto",
                   help="auto: candidate cascade with the target recall on training queries; "
                        "adaptive: the same, each query stopping early where that is cheaper; "
                        "exact: every training image")  # fmt: skip
    c.add_argument("--recall", type=fraction, default=0.99,
                   help="cascade: target recall of the exact top k on training queries")  # fmt: skip
    c.add_argument("--backend", choices=["local", "dask"], default="local",
                   help="dask: neighbor searches on a Dask cluster")  # fmt: skip
    c.add_argument("--scheduler", default=None,
                   help="Dask scheduler address (default $NCDVISION_DASK_SCHEDULER, else a "
                        "LocalCluster)")  # fmt: skip
    c.add_argument("--no-baselines", action="store_true", help="skip the L2 and gzip baselines")
    c.add_argument("--baseline-test", type=int_at_least(0), default=200,
                   help="test images for the slow gzip baseline (stratified; 0 = all)")  # fmt: skip
    c.set_defaults(func=commands["classify"])


def _baseline_command(sub, commands) -> None:
    """``baseline``: a competition submission."""
    b = _sub(sub, "baseline", "a competition submission from image folders",
             "Train on an ImageFolder (one subfolder per class), predict a flat folder of test "
             "images, and write `id,label` rows (id: the file name without its suffix). Images "
             "are resized to the most common training size. Seconds to minutes, by size.",
             "ncdvision baseline --train data/train --test data/test --out submission.csv")  # fmt: skip
    b.add_argument("--train", required=True, help="ImageFolder: one subfolder per class")
    b.add_argument("--test", required=True, help="flat folder of test images")
    b.add_argument("--out", required=True,
                   help="submission CSV; '-' or /dev/stdout for standard output")  # fmt: skip
    b.add_argument("--codec", default="auto", help="a codec name, or auto")
    b.add_argument("--k", type=k_or_auto, default="auto", help="neighbors that vote, or auto")
    b.add_argument("--proba", action="store_true", help="add one probability column per class")
    b.add_argument("--skip-bad", action="store_true", help="skip unreadable test images (listed)")
    b.add_argument("--color", choices=["auto", "gray", "rgb"], default="auto",
                   help="auto: gray when every image is single-channel")  # fmt: skip
    b.add_argument("--transductive", action="store_true",
                   help="let the learned coder's prior also learn from the test images' pixels "
                        "(never labels); off by default")  # fmt: skip
    b.add_argument("--n-jobs", type=n_jobs, default=-1, help="threads (-1: every core)")
    b.set_defaults(func=commands["baseline"])


def _distances_command(sub, commands) -> None:
    """``distances``: a matrix to a .npy file."""
    d = _sub(sub, "distances", "a pairwise distance matrix as a .npy file",
             "The distance of every X image to every Y image (or X to itself), streamed to a "
             "memory-mapped .npy file: bounded memory at any size.",
             "ncdvision distances train.npz test.npz --codec ctx-ref --out D.npy")  # fmt: skip
    d.add_argument("X", help="a built-in name or a path: the matrix's rows")
    d.add_argument("Y", nargs="?", help="a built-in name or a path: its columns (default X)")
    d.add_argument("--codec", default="ctx-ref", help="a codec name (see the user guide)")
    d.add_argument("--serializer", default="auto",
                   help="auto: binary planes for context coders, raw bytes otherwise")  # fmt: skip
    d.add_argument("--distance", default="ncd", choices=["ncd", "cdm", "clm"],
                   help="the formula over compressed lengths")  # fmt: skip
    d.add_argument("--out", required=True, help=".npy file; '-' for standard output")
    d.set_defaults(func=commands["distances"])


def _filter_commands(sub, commands) -> None:
    """``filter`` and ``filter apply``."""
    f = _sub(sub, "filter", "find mislabelled, junk and duplicate images; write a cleaner copy",
             "Score every image for a likely wrong label (its compression neighbors vote "
             "otherwise), junk (blank, noise, outliers) and near-duplicates; write issues.csv, "
             "summary.json, galleries and a filtered copy in the input's form. Look at the "
             "galleries before using the copy. Minutes for 10,000 images.",
             "ncdvision filter ./my-images --out cleaned --dry-run")  # fmt: skip
    f.add_argument("dataset", help="a built-in name or a path (ImageFolder, .npz, IDX, CIFAR)")
    f.add_argument("--out", required=True,
                   help="report folder (never holding or inside the input)")  # fmt: skip
    f.add_argument("--issues", default="label,junk,duplicate",
                   help=f"comma-separated filter rules: {', '.join(RULES.names())}")  # fmt: skip
    f.add_argument("--against", default=None,
                   help="a second set (e.g. the test images): flag training images that "
                        "duplicate one of its images (leakage)")  # fmt: skip
    f.add_argument("--dry-run", action="store_true", help="write the report only")
    f.add_argument("--max-removed", type=fraction, default=0.5, metavar="FRACTION",
                   help="refuse to write a filtered dataset that loses more than this share "
                        "of the images (1 accepts any)")  # fmt: skip
    f.add_argument("--relabel", action="store_true",
                   help="keep images flagged only for their label, under the suggested label")  # fmt: skip
    f.add_argument("--codec", default="auto", help="distance of the label neighbors")
    f.add_argument("--method", choices=["knn", "cleanlab"], default="knn",
                   help="label flags from the vote margin or from cleanlab")  # fmt: skip
    f.add_argument("--prior", choices=["labels", "images"], default="labels",
                   help="what the learned coder's prior learns from: the given labels, or the "
                        "images alone, which wrong labels cannot corrupt")  # fmt: skip
    _threshold_options(f)
    _link_option(f)
    f.add_argument("--n-jobs", type=n_jobs, default=-1, help="threads (-1: every core)")
    f.set_defaults(func=commands["filter"])

    fa = _sub(sub, "filter-apply", "also spelled `filter apply`: write the cleaned dataset "
              "from the review page's decisions",
              "Apply decisions.csv, exported from a filter report's review.html, to the "
              "dataset the report was made from (it must not have changed since), and write "
              "the cleaned copy in the input's form. Images without a decision are kept as "
              "they are. Seconds.",
              "ncdvision filter apply cleaned --decisions decisions.csv --out final")  # fmt: skip
    fa.add_argument("report", help="the --out folder of an `ncdvision filter` run")
    fa.add_argument("--decisions", required=True, help="decisions.csv from review.html")
    fa.add_argument("--out", required=True, help="folder for the cleaned dataset")
    _link_option(fa)
    fa.set_defaults(func=commands["filter apply"])


def build_parser(commands) -> argparse.ArgumentParser:
    """The parser; ``commands`` maps each subcommand to its function (:mod:`.cli`)."""
    p = argparse.ArgumentParser(prog="ncdvision", description=DESCRIPTION,
                                formatter_class=_Formatter)  # fmt: skip
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _datasets_commands(sub, commands)
    _classify_command(sub, commands)
    _baseline_command(sub, commands)
    _distances_command(sub, commands)
    _filter_commands(sub, commands)
    _study_commands(sub, commands["study"])

    for _, register in COMMANDS.items():
        register(sub)
    return p
