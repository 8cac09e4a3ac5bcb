"""Studies as plug-ins: a :class:`Study` runs its cells and writes its report, and the
``ncdvision study NAME`` commands are generated from :data:`STUDIES`.

Every study command has ``--panel`` (its choices), ``--learners``, ``--seeds``,
``--predictors`` and ``--out`` (finished cells are cached there, so a rerun resumes); a
study adds its own options in :meth:`Study.add_arguments`. Third-party packages register
studies in the ``ncdvision.studies`` entry-point group.
"""

from __future__ import annotations

import argparse
from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

from ..plugins import Registry


class Study(ABC):
    """A measurement study: what it asks, its panels, how it runs and reports.

    Subclasses set the class attributes and implement :meth:`run` and :meth:`write_report`.
    """

    #: The command's name: ``ncdvision study NAME``.
    name: ClassVar[str]
    #: One line for ``ncdvision study --help``.
    summary: ClassVar[str]
    #: What the study measures and how long it takes.
    description: ClassVar[str]
    #: The panels or grids ``--panel`` chooses among; the first is the default.
    panels: ClassVar[tuple[str, ...]] = ("tiny", "quick", "full")
    #: Help of ``--panel``.
    panel_help: ClassVar[str] = "the datasets and sizes"
    #: The example ``--help`` shows (default: the study on its first panel).
    example: ClassVar[str | None] = None
    #: Default ``--learners``.
    learners: ClassVar[str] = "l2-knn,ncd-knn,logreg"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add the study's own options (none by default).

        Parameters
        ----------
        parser : argparse.ArgumentParser
            The study command's parser.
        """
        return None

    def check(self, args: argparse.Namespace) -> None:
        """Refuse bad arguments before any work (nothing by default).

        Parameters
        ----------
        args : argparse.Namespace
            The parsed command line.
        """
        return None

    @abstractmethod
    def run(self, args: argparse.Namespace, out: Path) -> dict:
        """Run (or resume) the study's cells.

        Parameters
        ----------
        args : argparse.Namespace
            The parsed command line: ``panel``, ``learners`` (a tuple), ``seeds`` (a
            tuple), ``predictors`` (a tuple) and the study's own options.
        out : Path
            The report folder (it exists); cells are cached in ``out/cells``.

        Returns
        -------
        dict
            The results, with ``verdicts`` (a list of dicts with ``claim``, ``learner``,
            ``verdict`` and ``evidence``) and ``cells_computed``.
        """

    @abstractmethod
    def write_report(self, out: Path, res: dict, args: argparse.Namespace) -> dict:
        """Write the report.

        Parameters
        ----------
        out : Path
            The report folder.
        res : dict
            What :meth:`run` returned.
        args : argparse.Namespace
            The parsed command line.

        Returns
        -------
        dict
            Paths written, with ``md``: the report's Markdown file.
        """


def _check_study(study) -> None:
    if not (isinstance(study, type) and issubclass(study, Study)):
        raise TypeError(f"a study must be a Study subclass, got {study!r}")


STUDIES: Registry[type[Study]] = Registry(
    "study", "ncdvision.studies", check=_check_study,
    builtins=("ncdvision.ncd.study.commands",),
)  # fmt: skip
#: Register a :class:`Study` subclass (a class decorator).
register_study = STUDIES.register
