"""Learning curves: cells cached as they finish, a rerun resumes without recomputing."""

import numpy as np
import pytest

from ncdvision.datasets import load
from ncdvision.ncd.cache import ResultCache
from ncdvision.ncd.study.curves import learning_curves, log_sizes
from ncdvision.ncd.study.learners import available_learners, make_learner


@pytest.fixture(scope="module")
def digits_split():
    return load("digits").split(test_size=300, seed=0)


def test_curves_fall_with_size_and_resume_from_the_cache(digits_split, tmp_path):
    train, test = digits_split
    first = ResultCache(tmp_path)
    rows = learning_curves(train, test, ["l2-knn", "logreg"], [40, 160], seeds=(0, 1),
                           cache=first, progress=False)  # fmt: skip
    assert first.computed == 8 and len(rows) == 8
    err = {(r["learner"], r["size"]): [] for r in rows}
    for r in rows:
        err[r["learner"], r["size"]].append(r["error"])
    for learner in ("l2-knn", "logreg"):
        assert np.mean(err[learner, 160]) < np.mean(err[learner, 40])
    # a larger run (as after a kill) computes only the cells that are new
    again = ResultCache(tmp_path)
    more = learning_curves(train, test, ["l2-knn", "logreg"], [40, 160, 640], seeds=(0, 1),
                           cache=again, progress=False)  # fmt: skip
    assert again.computed == 4
    assert [r["error"] for r in more if r["size"] < 640] == [r["error"] for r in rows]


def test_learners_are_found_by_name_including_the_neural_one():
    assert {"l2-knn", "ncd-knn", "logreg", "cnn"} <= set(available_learners())
    assert type(make_learner("cnn")).__name__ == "CNNClassifier"
    with pytest.raises(ValueError, match="unknown learner"):
        make_learner("svm")


def test_log_sizes_and_size_checks(digits_split):
    assert log_sizes(4000) == [125, 250, 500, 1000, 2000, 4000]
    train, test = digits_split
    with pytest.raises(ValueError, match="larger than"):
        learning_curves(train, test, ["l2-knn"], [len(train) + 1], progress=False)
