"""The built-in studies as :class:`~.base.Study` plug-ins: ``ncdvision study learnability``
and ``ncdvision study noise``."""

from __future__ import annotations

import argparse
from pathlib import Path

from .base import Study, register_study
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
    description = ("Learning curves of several learners on a panel of datasets, fitted power "
                   "laws, and rank correlations with compressibility predictors. quick: about "
                   "10 minutes; full: hours.")  # fmt: skip
    panels = ("quick", "tiny", "full")

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
