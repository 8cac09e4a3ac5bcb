"""Cross-fitted leave-one-out scores for a learned coder on a small training set."""

import numpy as np
import pytest

from ncdvision.datasets import load
from ncdvision.ncd import Compressor, NCDKNNClassifier
from ncdvision.ncd.crossfit import CROSS_FIT_FOLDS, FoldedCoder, use_cross_fit


def _shots(per_class: int):
    train, _ = load("digits").split(test_size=0.3, seed=0)
    rng = np.random.default_rng(0)
    idx = np.concatenate([rng.choice(np.flatnonzero(train.labels == c), per_class, replace=False)
                          for c in range(10)])  # fmt: skip
    return train.subset(np.sort(idx))


def test_no_query_is_in_the_prior_that_scores_it():
    shots = _shots(5)
    order = np.random.default_rng(0).permutation(len(shots))
    folds = FoldedCoder(lambda: Compressor("ctx-ref-learned", "binary"), shots.images,
                        shots.labels, order)  # fmt: skip
    n = len(shots)
    for fold in range(CROSS_FIT_FOLDS):
        held = order[fold * folds.fold_size : (fold + 1) * folds.fold_size]
        rows = folds.fold_rows(fold)
        assert not np.isin(held, rows).any()
        assert len(rows) >= 0.9 * n
    idx = folds.kneighbors(0, n, 3, None, progress=False)
    assert idx.shape == (n, 3)
    assert not (idx == order[:, None]).any()  # a query never finds itself
    assert len(folds._fitted) == CROSS_FIT_FOLDS


def test_a_later_slice_of_queries_gives_the_same_neighbors():
    shots = _shots(3)
    order = np.random.default_rng(1).permutation(len(shots))

    def make():
        return FoldedCoder(lambda: Compressor("ctx-ref-learned", "binary"), shots.images,
                           shots.labels, order)  # fmt: skip

    whole = make().kneighbors(0, len(shots), 2, None, progress=False)
    part = make()
    pieces = [part.kneighbors(a, b, 2, None, progress=False) for a, b in ((0, 7), (7, len(shots)))]
    np.testing.assert_array_equal(np.concatenate(pieces), whole)


@pytest.mark.parametrize("selection", ["halving", "full"])
def test_among_several_settings_a_learned_coder_is_scored_on_every_shot(selection):
    shots = _shots(5)
    clf = NCDKNNClassifier(serializer="binary", selection=selection).fit(shots.images, shots.labels)
    rows = {r["codec"]: r for r in clf.selection_}
    assert rows["ctx-ref-learned"]["n_queries"] == len(shots)  # not half of them
    assert rows["ctx-ref"]["n_queries"] == len(shots)


def test_choosing_k_alone_keeps_one_prior_fitted_without_the_queries():
    shots = _shots(5)
    clf = NCDKNNClassifier("ctx-ref-learned", "binary").fit(shots.images, shots.labels)
    assert {r["n_queries"] for r in clf.selection_} == {len(shots) // 2}
    comp = Compressor("ctx-ref-learned", "binary")
    assert not use_cross_fit(comp, len(shots), 2000, n_settings=1)
    assert use_cross_fit(comp, len(shots), 2000, n_settings=2)
    assert not use_cross_fit(comp, 4000, 2000, n_settings=2)  # a prior from half is enough
    assert not use_cross_fit(Compressor("ctx-ref", "binary"), len(shots), 2000, n_settings=2)


def test_with_an_unlabelled_pool_one_prior_serves():
    train, _ = load("digits").split(test_size=0.3, seed=0)
    shots, pool = _shots(5), train.subset(n=300, seed=1)
    clf = NCDKNNClassifier(serializer="binary").fit(shots.images, shots.labels,
                                                    X_unlabeled=pool.images)  # fmt: skip
    rows = {r["codec"]: r for r in clf.selection_}
    assert rows["ctx-ref-learned"]["n_queries"] == len(shots) // 2
    assert not use_cross_fit(Compressor("ctx-ref-learned"), 50, 2000, 2, pooled=True)
