"""The two-level cascade: pixels pick candidates, the same codec on binary planes reranks them
by rank fusion, and the setting ranks the shortlist exactly. Its sizes are chosen on training
queries only."""

import numpy as np
import pytest

import ncdvision.ncd.cascade as cascade_module
from ncdvision.datasets import load
from ncdvision.ncd import Compressor, kneighbors, pairwise
from ncdvision.ncd.cascade import SecondStage, choose_cascade, fused_order
from ncdvision.ncd.search import pixel_order


@pytest.fixture(scope="module")
def mnist():
    train, test = load("mnist-5k").split(test_size=1000, seed=0)
    train, test = train.subset(n=300, seed=0), test.subset(n=40, seed=0)
    comp = Compressor("ctx-ref-learned", "thermo:3").fit(train.images, train.labels)
    return train, test, comp, SecondStage.fit(comp, train.images, train.labels)


def test_rank_fusion_puts_either_orders_favourite_first():
    cand = np.array([[10, 11, 12, 13, 14, 15]])  # pixel order, nearest first
    d = np.array([[0.9, 0.8, 0.7, 0.6, 0.5, 0.1]])  # the binary coder prefers the last
    # both ends score log(1) + log(6); a tie goes to the better pixel rank
    np.testing.assert_array_equal(fused_order(cand, d, 2), [[10, 15]])
    np.testing.assert_array_equal(fused_order(cand, d, 6)[0, :2], [10, 15])


def test_the_second_level_is_the_same_codec_on_binary_planes(mnist):
    train, _, comp, second = mnist
    assert second.name == "ctx-ref-learned/binary"
    binary = Compressor("ctx-ref", "binary").fit(train.images)
    assert SecondStage.fit(binary, train.images) is None  # nothing cheaper to rerank with
    assert SecondStage.fit(Compressor("zlib", "raw").fit(train.images), train.images) is None


def test_two_levels_rank_exactly_among_the_fused_candidates(mnist):
    train, test, comp, second = mnist
    second = SecondStage(second.compressor, second.prepared_y, 20)
    stats = {}
    dist, idx = kneighbors(test.images, train.images, 3, compressor=comp, candidates=60,
                           rerank=second, stats=stats)  # fmt: skip
    assert stats["pairs"] == 40 * 20 and stats["rerank_pairs"] == 40 * 60
    shortlist = second.order(test.images, pixel_order(test.images, train.images, 60))
    D = pairwise(test.images, train.images, compressor=comp)
    for r, cand in enumerate(shortlist):
        order = np.lexsort((cand, D[r, cand]))[:3]
        np.testing.assert_array_equal(idx[r], cand[order])
        np.testing.assert_array_equal(dist[r], D[r, cand[order]])
    with pytest.raises(ValueError, match="fewer than k=3"):
        kneighbors(test.images, train.images, 3, compressor=comp, candidates=60,
                   rerank=SecondStage(second.compressor, second.prepared_y, 2))  # fmt: skip


def test_the_plan_is_chosen_on_training_queries_and_is_faster(mnist, monkeypatch):
    train, _, comp, second = mnist
    searched = []

    def spy(X, Y, k, **kw):
        searched.append((X, kw["exclude"]))
        return kneighbors(X, Y, k, **kw)

    monkeypatch.setattr(cascade_module, "kneighbors", spy)
    # a second level three times as fast per candidate as the final ranking (given, so that
    # the choice does not depend on this machine's timings)
    rates = {"final": 3e-6, "second": 1e-6}
    plan = choose_cascade(comp, train.images, 3, 0.95, second=second, pair_seconds=rates,
                          n_queries=60)  # fmt: skip
    [(queries, exclude)] = searched  # one exact search, of left-out training images
    np.testing.assert_array_equal(queries, train.images[exclude])
    assert plan.pair_seconds == rates
    one_level = next(m for m, r in plan.recalls.items() if r >= 0.95)
    assert plan.second is not None and plan.m <= one_level
    assert plan.recall == plan.recalls2[(plan.m, plan.m2)] >= 0.95
    assert plan.m / 3 + plan.m2 <= cascade_module.TWO_LEVEL_SHARE * one_level
    assert plan.describe() == f"cascade M={plan.m} -> {plan.m2} (recall {plan.recall:.3f})"
    # with no second level the one-level plan is what it was
    alone = choose_cascade(comp, train.images, 3, 0.95, n_queries=60)
    assert (alone.m, alone.second, alone.recalls) == (one_level, None, plan.recalls)
    # a second level as slow as the final ranking is never worth it
    slow = choose_cascade(comp, train.images, 3, 0.95, second=second, n_queries=60,
                          pair_seconds={"final": 1e-6, "second": 1e-6})  # fmt: skip
    assert (slow.m, slow.second) == (one_level, None) and slow.recalls2


def test_the_second_level_is_timed_when_not_given(mnist):
    train, _, comp, second = mnist
    plan = choose_cascade(comp, train.images, 3, 0.95, second=second, n_queries=60)
    assert set(plan.pair_seconds) == {"final", "second"}
    assert all(0 < s < 1e-2 for s in plan.pair_seconds.values())
