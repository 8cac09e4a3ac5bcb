"""Argument types of the ``ncdvision`` command: each value is checked as it is parsed, so a
bad one is refused with one message, naming the option, before any work or output folder."""

from __future__ import annotations

import argparse
import math


def int_at_least(lo: int):
    """An integer of at least ``lo``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < lo:
            raise argparse.ArgumentTypeError(f"expected an integer of at least {lo}, got {value}")
        return value

    parse.__name__ = f"integer >= {lo}"
    return parse


def fraction(text: str) -> float:
    """A number in (0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and 0 < value <= 1):
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text}")
    return value


def k_or_auto(text: str):
    """``auto`` or a positive integer."""
    return text if text == "auto" else int_at_least(1)(text)


def n_jobs(text: str) -> int:
    """scikit-learn's ``n_jobs``: a non-zero integer, -1 for every core."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value == 0:
        raise argparse.ArgumentTypeError("expected a non-zero integer (-1: every core), got 0")
    return value
