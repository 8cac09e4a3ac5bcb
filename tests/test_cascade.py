"""The two-level cascade: pixels pick candidates, the same codec on binary planes reranks them
by rank fusion, and the setting ranks the shortlist exactly. Its sizes are chosen on training
queries only."""

import numpy as np
import pytest

import ncdvision.ncd.cascade as cascade_module
from ncdvision.datasets import load
from ncdvision.ncd import Compressor, NCDKNNClassifier, kneighbors, pairwise
from ncdvision.ncd.cascade import SecondStage, choose_cascade, fused_order
from ncdvision.ncd.search import pixel_order
from ncdvision.ncd.stopping import STOP_SHARE, stop_positions


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
    # with no second level (and no stopping rule) the one-level plan is what it was
    alone = choose_cascade(comp, train.images, 3, 0.95, n_queries=60, stopping=False)
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


def _walk(D_row, order_row, k):
    """Where candidates enter the top k walking ``order_row`` (ties to the lower index)."""
    best, entered = [], []
    for p, j in enumerate(order_row):
        if len(best) < k or (D_row[j], j) < max(best):
            best = sorted([*best, (D_row[j], j)])[:k]
            entered.append(p)
    return entered


def test_the_search_records_where_candidates_enter_the_top_k_and_stops_by_the_rule(mnist):
    train, _, comp, _ = mnist
    X = train.images
    q = np.arange(0, 300, 10)
    D = pairwise(X[q], X, compressor=comp)
    D[np.arange(len(q)), q] = np.inf
    order = pixel_order(X[q], X, len(X) - 1, exclude=q)
    stats = {}
    kneighbors(X[q], X, 3, compressor=comp, exclude=q, stats=stats, trace=64)
    for r in range(len(q)):
        recorded = stats["entered"][r]
        assert list(recorded[recorded >= 0]) == _walk(D[r], order[r], 3)
    # the rule (m0 = 20, g = 2): each query's top 3 is exact among the candidates it walked,
    # and it walked as far as the rule says from where candidates entered
    stats = {}
    _, idx = kneighbors(X[q], X, 3, compressor=comp, exclude=q, candidates=200, stop=(20, 2.0),
                        stats=stats)  # fmt: skip
    for r in range(len(q)):
        walked = stats["walked"][r]
        prefix = order[r, :walked]
        np.testing.assert_array_equal(idx[r], prefix[np.lexsort((prefix, D[r, prefix]))[:3]])
        last = max(p for p in _walk(D[r], order[r, :walked], 3))
        assert walked == min(200, max(20, int(np.ceil(2 * (last + 1)))))
    assert stats["walked"].mean() < 200 and stats["pairs"] == stats["walked"].sum()


def test_stop_positions_follow_the_rule_from_the_record():
    entered = np.array([[0, 1, 2, 5, 9, 15, 29, 90],  # entries 9, 15, 29 -> walks 20, 32, 60
                        [0, 1, 2, -1, -1, -1, -1, -1],  # nothing after m0 = 10: stops there
                        [0, 1, 2, 3, 4, 5, 6, -2]])  # overflowed: walks every candidate  # fmt: skip
    np.testing.assert_array_equal(stop_positions(entered, 10, 2.0, 500),
                                  [60, 10, 500])  # fmt: skip
    np.testing.assert_array_equal(stop_positions(entered, 10, 2.0, 50),
                                  [50, 10, 50])  # fmt: skip


def test_the_stopping_rule_is_chosen_on_training_queries_where_it_walks_less(mnist):
    train, _, comp, _ = mnist
    fixed = choose_cascade(comp, train.images, 3, 0.95, n_queries=60, stopping=False)
    plan = choose_cascade(comp, train.images, 3, 0.95, n_queries=60, stopping=True)
    assert plan.recalls == fixed.recalls  # the same exact search, the same fixed recalls
    assert plan.stop_recalls  # every rule tried is kept, with its recall and mean walk
    if plan.stop is None:
        assert all(r < 0.95 or w > STOP_SHARE * fixed.m
                   for r, w in plan.stop_recalls.values())  # fmt: skip
    else:
        assert plan.m == max(plan.recalls) and plan.walked <= STOP_SHARE * fixed.m
        assert (plan.recall, plan.walked) == plan.stop_recalls[plan.stop] and plan.recall >= 0.95
        assert plan.describe().startswith(f"cascade M<={plan.m}, stop at")


def test_an_adaptive_classifier_searches_with_the_rule_it_chose(mnist):
    train, test, _, _ = mnist
    kw = {"codec": "ctx-ref-learned", "serializer": "thermo:3", "k": 3, "recall": 0.95,
          "exact_pairs": 0}  # fmt: skip
    adaptive = NCDKNNClassifier(search="adaptive", **kw).fit(train.images, train.labels)
    fixed = NCDKNNClassifier(**kw).fit(train.images, train.labels)
    plan = adaptive.cascade_plan()
    assert plan.recalls == fixed.cascade_plan().recalls and fixed.cascade_plan().stop is None
    stats = {}
    _, want = kneighbors(test.images, train.images, 3, compressor=adaptive.compressor_,
                         candidates=plan.m, stop=plan.stop, stats=stats)  # fmt: skip
    np.testing.assert_array_equal(adaptive.kneighbors(test.images, return_distance=False), want)
    assert adaptive.settings()["cascade"] == plan.describe()


def test_a_recall_record_corrects_the_walked_top_k_by_the_exhaustive_subsample():
    from ncdvision.ncd.recall import RecallRecord

    # four queries, k = 1, candidates 0..9 in order; queries 1 and 2 also walked everything
    rec = RecallRecord(walked=np.array([[0], [5], [60], [2]]), tail=np.array([1, 2]),
                       truth=np.array([[7], [61]]))  # fmt: skip
    rec.locate(slice(0, 4), np.tile(np.arange(10), (4, 1)))
    np.testing.assert_array_equal(rec.pos[:, 0], [0, 5, 10, 2])  # 60 is beyond the order
    np.testing.assert_array_equal(rec.pos_tail[:, 0], [7, 10])
    # M = 8: walked 3/4, minus the subsample's walked 1/2, plus its exact 1/2
    assert rec.recall(8) == 0.75
    assert rec.recall(6) == 0.25  # query 1's true neighbor is 7th: the subsample loses it
    assert rec.recall(np.array([1, 6, 1, 3])) == 0.75 - 0.5 + 0.0  # one limit per query


def test_the_recall_measurement_walks_the_largest_size_on_a_large_set(mnist, monkeypatch):
    train, _, comp, _ = mnist
    grid = (10, 20, 50)  # 50 of 299 candidates: the walk stops there
    every = choose_cascade(comp, train.images, 3, 0.95, n_queries=60, grid=grid, tail_queries=None)
    calls = []
    real = cascade_module.kneighbors

    def spy(X, *args, **kw):
        calls.append((len(X), kw.get("candidates")))
        return real(X, *args, **kw)

    monkeypatch.setattr(cascade_module, "kneighbors", spy)
    # with every query in the subsample, the estimate is the exhaustive measurement
    same = choose_cascade(comp, train.images, 3, 0.95, n_queries=60, grid=grid, tail_queries=60)
    assert calls == [(60, None)] and same.recalls == every.recalls
    calls.clear()
    split = choose_cascade(comp, train.images, 3, 0.95, n_queries=60, grid=grid, tail_queries=20)
    assert calls == [(60, 50), (20, None)]
    assert all(abs(split.recalls[m] - every.recalls[m]) <= 0.1 for m in grid)
