"""Learners the studies find through the ``ncdvision.learners`` entry-point group (importing
this module does not import torch; making a learner without the extra says how to install)."""

from __future__ import annotations


def cnn():
    """The small supervised CNN (:class:`~ncdvision.neural.cnn.CNNClassifier`, fixed recipe)."""
    from . import require_torch

    require_torch()
    from .cnn import CNNClassifier

    return CNNClassifier()
