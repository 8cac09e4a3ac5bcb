"""The built-in studies as :class:`~.base.Study` plug-ins: ``ncdvision study learnability``,
``ncdvision study noise`` and ``ncdvision study forecast``."""

from __future__ import annotations

import argparse
from pathlib import Path

from .base import Study, register_study
from .forecast_report import write_forecast_report
from .forecast_run import run_forecast
from .learnability import run_learnability
from .learnability_report import write_learnability_report
from .noise import BASELINE, grid_splits, run_noise
from .noise_report import write_noise_report
from .predictors import PRIMARY


@register_study
class LearnabilityStudy(Study):
    """Does compressibility predict learnability? (:func:`.learnability.run_learnability`)"""

    name = "learnability"
    summary = "does compressibility predict learnability?"
    description = ("Learning curves of three learners on 49 (quick) or 98 (full) tasks in 7 "
                   "families, fitted power laws, rank correlations with compressibility and "
                   "label-aware predictors "
                   "across tasks and within families, and a leave-one-family-out test of the "
                   "forecast of a curve from its pilot. quick (up to 400 training images per "
                   "task): about 20 minutes; full (up to 1,000): about an hour. tiny is a smoke "
                   "test of the machinery, not a result.")  # fmt: skip
    panels = ("quick", "full", "tiny")
    panel_help = "the tasks' sizes: quick, full, or tiny (a smoke test, not a result)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """``--add PATH``: a dataset to add to the panel (repeatable).

        Parameters
        ----------
        parser : argparse.ArgumentParser
            The command's parser.
        """
        parser.add_argument("--add", action="append", default=[], help="a dataset path to add")

    def run(self, args: argparse.Namespace, out: Path) -> dict:
        """Run the panel's cells (see :meth:`.base.Study.run`).

        Parameters
        ----------
        args : argparse.Namespace
            The parsed command line.
        out : Path
            The report folder.

        Returns
        -------
        dict
        """
        return run_learnability(args.panel, args.learners, out=out, extra=args.add,
                                seeds=args.seeds, predictors=args.predictors)  # fmt: skip

    def write_report(self, out: Path, res: dict, args: argparse.Namespace) -> dict:
        """Curves, fits, correlations and verdicts (:mod:`.learnability_report`).

        Parameters
        ----------
        out : Path
            The report folder.
        res : dict
            The results.
        args : argparse.Namespace
            The parsed command line.

        Returns
        -------
        dict
        """
        return write_learnability_report(out, res, PRIMARY)


@register_study
class NoiseStudy(Study):
    """Pixel and label noise: compressibility, accuracy and corruption error
    (:func:`.noise.run_noise`)."""

    name = "noise"
    summary = "pixel and label noise: compressibility, accuracy, mCE"
    description = ("Accuracy and compressibility under pixel corruptions and label noise, "
                   "with the corruption error against L2 kNN. quick: about 10 minutes.")  # fmt: skip
    panels = ("quick", "tiny", "full")
    panel_help = ("the grid: quick = mnist-5k, 3 corruptions x 5 severities + 3 label rates; "
                  "full = every corruption, both label-noise kinds")  # fmt: skip

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """``--dataset``: a dataset instead of the grid's.

        Parameters
        ----------
        parser : argparse.ArgumentParser
            The command's parser.
        """
        parser.add_argument("--dataset", default=None,
                            help="a dataset name or path instead of the grid's (mnist-5k)")  # fmt: skip

    def check(self, args: argparse.Namespace) -> None:
        """The CE baseline among the learners, and a real ``--dataset``, before any work.

        Parameters
        ----------
        args : argparse.Namespace
            The parsed command line.
        """
        if BASELINE not in args.learners:
            raise ValueError(f"the learners must include the CE baseline {BASELINE!r}")
        args.test_split = grid_splits(args.panel, args.dataset)[1]

    def run(self, args: argparse.Namespace, out: Path) -> dict:
        """Run the grid's cells (see :meth:`.base.Study.run`).

        Parameters
        ----------
        args : argparse.Namespace
            The parsed command line.
        out : Path
            The report folder.

        Returns
        -------
        dict
        """
        return run_noise(args.panel, args.learners, out=out, seeds=args.seeds,
                         dataset=args.dataset, predictors=args.predictors)  # fmt: skip

    def write_report(self, out: Path, res: dict, args: argparse.Namespace) -> dict:
        """Severity curves, the corruption error, correlations and verdicts
        (:mod:`.noise_report`).

        Parameters
        ----------
        out : Path
            The report folder.
        res : dict
            The results.
        args : argparse.Namespace
            The parsed command line.

        Returns
        -------
        dict
        """
        return write_noise_report(out, res, args.test_split)


@register_study
class ForecastStudy(Study):
    """How many labelled images does a dataset need? (:func:`.forecast_run.run_forecast`)"""

    name = "forecast"
    summary = "how many labels to reach a target error? (a pilot, in minutes)"
    description = ("Measure each learner's test error on 25, 50 and 100 labelled images of "
                   "DATASET and two label-aware compression measures, then forecast the "
                   "learning curve with 80% and 90% intervals from a calibration fitted on "
                   "the learnability panel, and the number of labels that reaches "
                   "--target-error. Warns when the dataset lies outside the panel's range. "
                   "Under a minute for a 5,000-image dataset.")  # fmt: skip
    panels = ("full", "quick")
    panel_help = ("the learnability panel whose calibration is used: full (fitted up to 1,000 "
                  "training images) or quick (up to 400)")  # fmt: skip
    example = "ncdvision study forecast ./my-images --target-error 0.05 --out forecast"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """``DATASET`` and ``--target-error``.

        Parameters
        ----------
        parser : argparse.ArgumentParser
            The command's parser.
        """
        parser.add_argument("dataset", help="a built-in name or a path (ImageFolder, .npz, ...)")
        parser.add_argument("--target-error", type=float, default=0.05,
                            help="the test error whose number of labels is forecast")  # fmt: skip

    def check(self, args: argparse.Namespace) -> None:
        """The target between 0 and 1 and no ``--predictors`` (the calibration fixes them),
        before any work.

        Parameters
        ----------
        args : argparse.Namespace
            The parsed command line.
        """
        if not 0 < args.target_error < 1:
            raise ValueError(f"--target-error must lie between 0 and 1, got {args.target_error}")
        if args.predictors:
            raise ValueError("--predictors: the forecast's calibration fixes its measures; "
                             f"got {', '.join(args.predictors)}")  # fmt: skip

    def run(self, args: argparse.Namespace, out: Path) -> dict:
        """The pilot and the forecast (see :meth:`.base.Study.run`).

        Parameters
        ----------
        args : argparse.Namespace
            The parsed command line.
        out : Path
            The report folder.

        Returns
        -------
        dict
        """
        return run_forecast(args.dataset, args.learners, args.target_error, args.panel,
                            args.seeds, out=out)  # fmt: skip

    def write_report(self, out: Path, res: dict, args: argparse.Namespace) -> dict:
        """The forecast's report (:func:`.forecast_report.write_forecast_report`).

        Parameters
        ----------
        out : Path
            The report folder.
        res : dict
            The results.
        args : argparse.Namespace
            The parsed command line.

        Returns
        -------
        dict
        """
        return write_forecast_report(out, res)
