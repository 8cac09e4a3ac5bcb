"""The prequential code length of labels, checked by hand on a four-label case."""

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier

from ncdvision.ncd.study.prequential import prequential_code_length


def test_prequential_code_length_by_hand():
    X = np.zeros((4, 1))
    y = np.array([0, 0, 1, 0])
    res = prequential_code_length(X, y, lambda: DummyClassifier(strategy="prior"), (1, 3, 4))
    # y[0] uniform: 1 bit. After [0], one class seen: a point mass, mixed with one
    # pseudo-label per class: p(0) = (1 + 1) / 3, p(1) = (0 + 1) / 3.
    # After [0, 0, 1] the prior is (2/3, 1/3): p(0) = (3 * 2/3 + 1) / 5 = 3/5.
    bits = 1 + np.log2(3 / 2) + np.log2(3) + np.log2(5 / 3)
    assert res["bits"] == pytest.approx(bits)
    assert res["uniform_bits"] == 4 and res["share"] == pytest.approx(bits / 4)
    assert res["bits_per_label"] == pytest.approx(bits / 4) and res["n"] == 4


def test_prequential_code_refuses_bad_blocks():
    X, y = np.zeros((4, 1)), np.array([0, 1, 0, 1])
    prior = lambda: DummyClassifier(strategy="prior")  # noqa: E731
    with pytest.raises(ValueError, match="blocks must increase"):
        prequential_code_length(X, y, prior, (2, 2, 4))
    with pytest.raises(ValueError, match="blocks must increase"):
        prequential_code_length(X, y, prior, (2, 5))
    with pytest.raises(ValueError, match="at least 2 classes"):
        prequential_code_length(X, np.zeros(4), prior, (2, 4))
