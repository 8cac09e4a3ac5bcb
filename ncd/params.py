"""Parameter constraints of the estimators, checked once at the start of ``fit``.

The project's own small version of what scikit-learn keeps in a private module: a constraint
is a type, ``None``, ``"boolean"``, ``"random_state"``, an :class:`Interval` or an
:class:`Options`. :func:`validate_params` checks an estimator's parameters against a dict of
them and names the parameter, the estimator and what was expected.

>>> from numbers import Integral
>>> class Knn:
...     k = 0
>>> validate_params(Knn(), {"k": [Interval(Integral, 1, None), Options({"auto"})]})
Traceback (most recent call last):
...
ValueError: The 'k' parameter of Knn must be an int in the range [1, inf) or a str among {'auto'}. Got 0 instead.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np


class Interval:
    """Numbers of one kind between two bounds; booleans are never numbers here.

    Parameters
    ----------
    kind : type
        :class:`numbers.Integral` or :class:`numbers.Real`.
    lo, hi : int or float or None
        The bounds (None: unbounded on that side).
    closed : {"left", "right", "both", "neither"}, default="left"
        Which bounds are included.
    """

    def __init__(self, kind: type, lo, hi, closed: str = "left") -> None:
        if closed not in ("left", "right", "both", "neither"):
            raise ValueError(f"closed must be left, right, both or neither, got {closed!r}")
        self.kind, self.lo, self.hi, self.closed = kind, lo, hi, closed

    def accepts(self, v) -> bool:
        """Whether ``v`` is a number of this kind within the bounds.

        Parameters
        ----------
        v : object
            A parameter value.

        Returns
        -------
        bool
        """
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, self.kind):
            return False
        if isinstance(v, Real) and not np.isfinite(v) and self.kind is Integral:
            return False
        left = self.lo is None or (v >= self.lo if self.closed in ("left", "both") else v > self.lo)
        right = self.hi is None or (
            v <= self.hi if self.closed in ("right", "both") else v < self.hi
        )
        return bool(left and right)

    def __str__(self) -> str:
        what = "an int" if self.kind is Integral else "a float"
        lo = "-inf" if self.lo is None else self.lo
        hi = "inf" if self.hi is None else self.hi
        left = "[" if self.closed in ("left", "both") and self.lo is not None else "("
        right = "]" if self.closed in ("right", "both") and self.hi is not None else ")"
        return f"{what} in the range {left}{lo}, {hi}{right}"


class Options:
    """One of a set of strings.

    Parameters
    ----------
    values : set of str
        The accepted strings.
    """

    def __init__(self, values) -> None:
        self.values = set(values)

    def accepts(self, v) -> bool:
        """Whether ``v`` is one of the strings.

        Parameters
        ----------
        v : object
            A parameter value.

        Returns
        -------
        bool
        """
        return isinstance(v, str) and v in self.values

    def __str__(self) -> str:
        return "a str among {" + ", ".join(repr(v) for v in sorted(self.values)) + "}"


def _accepts(constraint, v) -> bool:
    if constraint is None:
        return v is None
    if constraint == "boolean":
        return isinstance(v, (bool, np.bool_))
    if constraint == "random_state":
        return v is None or isinstance(v, np.random.RandomState) or (
            isinstance(v, Integral) and not isinstance(v, bool) and 0 <= v < 2**32)  # fmt: skip
    if isinstance(constraint, type):
        return isinstance(v, constraint) and not (
            isinstance(v, (bool, np.bool_)) and constraint in (Integral, Real, int, float))  # fmt: skip
    return constraint.accepts(v)


def _describe(constraint) -> str:
    if constraint is None:
        return "None"
    if constraint == "boolean":
        return "a bool"
    if constraint == "random_state":
        return "None, an int in [0, 2**32) or a numpy RandomState"
    if isinstance(constraint, type):
        return f"an instance of {constraint.__name__}"
    return str(constraint)


def validate_params(estimator, constraints: dict[str, list]) -> None:
    """Check each of ``estimator``'s parameters named in ``constraints``.

    Parameters
    ----------
    estimator : object
        Has the parameters as attributes.
    constraints : dict of str to list
        For each parameter, the constraints of which one must hold.

    Raises
    ------
    ValueError
        Naming the first parameter that meets none, what was expected and what was given.
    """
    for name, allowed in constraints.items():
        v = getattr(estimator, name)
        if any(_accepts(c, v) for c in allowed):
            continue
        expected = [_describe(c) for c in allowed]
        expected = (
            ", ".join(expected[:-1]) + " or " + expected[-1] if len(expected) > 1 else expected[0]
        )
        raise ValueError(f"The {name!r} parameter of {type(estimator).__name__} must be "
                         f"{expected}. Got {v!r} instead.")  # fmt: skip
