"""Compression-based data filtering: likely mislabelled, junk and duplicate images.

>>> from ncdvision.datasets import load
>>> from ncdvision.ncd.filter import find_issues, filter_dataset
>>> report = find_issues(load("digits"))                             # doctest: +SKIP
>>> report.summary()["by_reason"]                                    # doctest: +SKIP
>>> filter_dataset("path/to/imagefolder", "cleaned/")                # doctest: +SKIP

The rules behind each score are in :mod:`.labels`, :mod:`.junk` and :mod:`.duplicates`; a new
rule is a :class:`Rule` registered with :func:`register_rule` (:mod:`.rules`).
"""

from .apply import apply_decisions, read_decisions
from .context import Context
from .find import ISSUE_KINDS, IssueReport, find_issues
from .rules import RULES, Rule, RuleThresholds, Thresholds, register_rule, threshold
from .run import filter_dataset
from .write import write_report

__all__ = [
    "ISSUE_KINDS",
    "RULES",
    "Context",
    "IssueReport",
    "Rule",
    "RuleThresholds",
    "Thresholds",
    "apply_decisions",
    "filter_dataset",
    "find_issues",
    "read_decisions",
    "register_rule",
    "threshold",
    "write_report",
]
