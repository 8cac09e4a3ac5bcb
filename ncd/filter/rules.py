"""Filter rules as plug-ins, after cleanlab's issue managers and their registry.

A rule is a :class:`Rule` subclass registered with :func:`register_rule`. It has a ``name``
(what ``issues=`` and ``--issues`` ask for), the ``reasons`` it flags images for, a
thresholds dataclass (a :class:`RuleThresholds` whose fields are declared with
:func:`threshold`), what it ``needs`` from the shared stages, and :meth:`Rule.find`, which
reads a :class:`~.context.Context` and returns one boolean array per reason.
Everything else comes from the registry: ``find_issues`` loops over the rules asked for, the
command line's ``--issues`` choices and threshold flags, the columns of ``issues.csv``, the
counts in ``summary.json``, the galleries and the review page's scores.

>>> import numpy as np
>>> from dataclasses import dataclass
>>> @dataclass
... class DarkThresholds(RuleThresholds):
...     dark_mean: float = threshold(20.0, 0.0, 255.0, "a mean pixel value")
>>> @register_rule
... class Dark(Rule):
...     name, reasons, thresholds = "dark", ("dark",), DarkThresholds
...     ranking = {"dark": ("mean_value", 1)}
...     def find(self, ctx):
...         mean = ctx.images.reshape(len(ctx.images), -1).mean(axis=1)
...         ctx.table["mean_value"] = mean
...         return {"dark": mean < ctx.thresholds.dark_mean}
>>> "dark" in RULES
True
>>> RULES.unregister("dark")

Third-party packages register rules in the ``ncdvision.filter_rules`` entry-point group.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any, ClassVar

import numpy as np

from ..plugins import Registry


def threshold(default, lo, hi=None, what: str = "", *, flag: str | None = None,
              below: bool = False, none: str = ""):  # fmt: skip
    """A threshold field: its default, its range and what it means.

    Parameters
    ----------
    default : int, float or None
        The default value (None: computed from the data, as ``none`` says).
    lo, hi : int or float
        The lowest and highest accepted values (``hi`` None: no upper bound).
    what : str
        What the value means, for errors and the command line's help.
    flag : str, optional
        The command-line flag (default: ``--`` and the field's name with dashes).
    below : bool, default=False
        Whether ``hi`` itself is refused.
    none : str, default=""
        What None means, when it is the default.

    Returns
    -------
    dataclasses.Field
    """
    meta = {"range": (lo, hi), "what": what, "flag": flag, "below": below, "none": none}
    return field(default=default, metadata=meta)


@dataclass
class RuleThresholds:
    """Base of a rule's thresholds: checks each field against its :func:`threshold` range."""

    def __post_init__(self):
        for f in fields(self):
            check_threshold(f, getattr(self, f.name))


def is_integral(f) -> bool:
    """Whether threshold field ``f`` holds an integer (``int`` or ``int | None``)."""
    return "int" in str(f.type) and "float" not in str(f.type)


def check_threshold(f, v) -> None:
    """Refuse value ``v`` of threshold field ``f`` outside its range, naming both."""
    if v is None and f.default is None:
        return
    lo, hi = f.metadata["range"]
    integral = is_integral(f)
    ok = isinstance(v, (int, np.integer) if integral else (int, float, np.number))
    ok = ok and not isinstance(v, bool) and bool(np.isfinite(v))
    below = f.metadata["below"]
    if ok and v >= lo and (hi is None or (v < hi if below else v <= hi)):
        return
    top = "" if hi is None else f" and below {hi}" if below else f" and at most {hi}"
    raise ValueError(f"threshold {f.name} must be {'an integer' if integral else 'a number'} "
                     f"of at least {lo}{top} ({f.metadata['what']}); got {v!r}")  # fmt: skip


class Rule(ABC):
    """A filter rule: the reasons it flags, its thresholds, and how it finds them.

    Subclasses set the class attributes and implement :meth:`find`; an instance is made per
    ``find_issues`` run.
    """

    #: What ``issues=`` and ``--issues`` ask for.
    name: ClassVar[str]
    #: The reasons it flags, in the order of the report's columns.
    reasons: ClassVar[tuple[str, ...]]
    #: Its thresholds: a :class:`RuleThresholds` dataclass.
    thresholds: ClassVar[type[RuleThresholds]]
    #: Shared stages it reads (``"neighbors"``: the leave-one-out label neighbors; they need
    #: more images than ``label_k``).
    needs: ClassVar[tuple[str, ...]] = ()
    #: Reasons judged only in classes large enough to fill ``label_k`` neighbors
    #: (:func:`~.find.judged_rows`); they are skipped, with a warning, for the others.
    judged: ClassVar[tuple[str, ...]] = ()
    #: Per reason, the table column that orders its gallery and the sign (1: ascending).
    ranking: ClassVar[dict[str, tuple[str, int]]] = {}
    #: Table columns the review page shows on a card, with their captions.
    scores: ClassVar[dict[str, str]] = {}

    @abstractmethod
    def find(self, ctx) -> dict[str, np.ndarray]:
        """Flag images; add score columns to ``ctx.table``.

        Parameters
        ----------
        ctx : Context
            The dataset, the shared stages and the thresholds of one run.

        Returns
        -------
        dict of str to ndarray of bool
            One flag array per reason in :attr:`reasons`.
        """

    def caption(self, reason: str, table: dict, i: int, class_names) -> str:
        """A gallery caption's second line for image ``i`` flagged for ``reason``.

        Parameters
        ----------
        reason : str
            One of :attr:`reasons`.
        table : dict of str to ndarray
            The report's columns.
        i : int
            The image's index.
        class_names : sequence of str
            The class names.

        Returns
        -------
        str
            The line, or empty.
        """
        return ""


def _check_rule(rule) -> None:
    if not (isinstance(rule, type) and issubclass(rule, Rule)):
        raise TypeError(f"a filter rule must be a Rule subclass, got {rule!r}")
    for attr in ("name", "reasons", "thresholds"):
        if not hasattr(rule, attr):
            raise TypeError(f"filter rule {rule.__name__} has no {attr!r}")


RULES: Registry[type[Rule]] = Registry(
    "filter rule", "ncdvision.filter_rules", check=_check_rule,
    builtins=("ncdvision.ncd.filter.labels", "ncdvision.ncd.filter.junk",
              "ncdvision.ncd.filter.duplicates"),
)  # fmt: skip
#: Register a :class:`Rule` subclass (a class decorator).
register_rule = RULES.register


def rule_of(reason: str) -> type[Rule]:
    """The registered rule that flags ``reason``.

    Parameters
    ----------
    reason : str
        A reason, e.g. ``"outlier"``.

    Returns
    -------
    type
        The :class:`Rule` subclass.
    """
    for _, rule in RULES.items():
        if reason in rule.reasons:
            return rule
    raise ValueError(f"no filter rule flags {reason!r}")


class Thresholds:
    """Every registered rule's thresholds by name, checked: ``Thresholds(label_margin=-0.4)``.

    Unset names take their rule's default. Attributes read the values
    (``Thresholds().label_k``).

    Parameters
    ----------
    **values
        Threshold names (fields of the rules' thresholds dataclasses) and values.
    """

    def __init__(self, **values: Any) -> None:
        self._parts: dict[str, RuleThresholds] = {}
        known: set[str] = set()
        for name, rule in RULES.items():
            names = {f.name for f in fields(rule.thresholds)}
            known |= names
            self._parts[name] = rule.thresholds(**{k: v for k, v in values.items() if k in names})
        if unknown := sorted(set(values) - known):
            raise TypeError(f"unknown threshold(s) {', '.join(unknown)}; known: "
                            f"{', '.join(sorted(known))}")  # fmt: skip

    def __getattr__(self, name: str):
        for part in self.__dict__.get("_parts", {}).values():
            if hasattr(part, name):
                return getattr(part, name)
        raise AttributeError(name)

    def of(self, rule: str) -> RuleThresholds:
        """The thresholds of one rule.

        Parameters
        ----------
        rule : str
            A rule's name.

        Returns
        -------
        RuleThresholds
        """
        return self._parts[rule]

    def asdict(self) -> dict[str, Any]:
        """Every threshold by name.

        Returns
        -------
        dict
        """
        return {k: v for part in self._parts.values() for k, v in asdict(part).items()}

    def __repr__(self) -> str:
        return "Thresholds(" + ", ".join(f"{k}={v!r}" for k, v in self.asdict().items()) + ")"


def threshold_fields() -> list:
    """Every registered rule's threshold fields, in rule order (for the command line).

    Returns
    -------
    list of dataclasses.Field
    """
    out = []
    for _, rule in RULES.items():
        out += [f for f in fields(rule.thresholds) if f.default is not MISSING]
    return out
