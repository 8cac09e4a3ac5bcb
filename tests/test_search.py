"""Exact search with early abandoning returns what the full matrix returns; the cascade's
candidate count is chosen on training queries and its recall is what it says."""

import numpy as np
import pytest

import ncdvision.ncd.knn as knn_module
from ncdvision.datasets import load
from ncdvision.ncd import (
    Compressor,
    NCDKNNClassifier,
    RefContextCoder,
    choose_candidates,
    kneighbors,
    pairwise,
    top_k,
)
from ncdvision.ncd.cascade import choose_cascade
from ncdvision.ncd.knn import EXACT_PAIRS
from ncdvision.ncd.search import pixel_order


@pytest.fixture(scope="module")
def mnist():
    train, test = load("mnist-5k").split(test_size=1000, seed=0)
    return train.subset(n=300, seed=0), test.subset(n=40, seed=0)


@pytest.mark.parametrize(
    "codec,serializer,distance",
    [
        ("ctx-ref-learned", "thermo:3", "ncd"),
        ("ctx-ref-learned", "binary", "cdm"),
        ("ctx-ref", "q2", "ncd"),  # four symbol levels: the generic kernel
        ("ctx-ref-asym", "binary", "clm"),
    ],
)
@pytest.mark.parametrize("k", [1, 5])
def test_early_abandoning_equals_the_full_matrix(mnist, codec, serializer, distance, k):
    train, test = mnist
    comp = Compressor(codec, serializer, distance).fit(train.images, train.labels)
    D = pairwise(test.images, train.images, compressor=comp)
    stats = {}
    dist, idx = kneighbors(test.images, train.images, k, compressor=comp, stats=stats)
    expected_d, expected_i = top_k(D, k)
    np.testing.assert_array_equal(idx, expected_i)
    np.testing.assert_array_equal(dist, expected_d)
    assert 0 < stats["coded_fraction"] < 1  # it did abandon some pairs, and coded some


def test_active_pixels_first_gives_the_same_neighbours_for_less_work(mnist, monkeypatch):
    # the active-first bound only decides which pairs cannot enter the top k; turning it off
    # (the raster-order partial sums alone) must give bit-identical neighbors and distances
    train, test = mnist
    comp = Compressor("ctx-ref-learned", "thermo:3").fit(train.images, train.labels)
    with_bound, without = {}, {}
    got = kneighbors(test.images, train.images, 3, compressor=comp, stats=with_bound)
    comp.codec.active_first = False
    want = kneighbors(test.images, train.images, 3, compressor=comp, stats=without)
    np.testing.assert_array_equal(got[1], want[1])
    np.testing.assert_array_equal(got[0], want[0])
    assert with_bound["coded_fraction"] < 0.8 * without["coded_fraction"]


def test_counts_halved_within_a_pair_still_search_exactly(mnist):
    # at cap 64 a context's counts are halved during a pair, so its length depends on the
    # pixel order and the active-first bound must not be used
    train, test = mnist
    coder = RefContextCoder(cap=64)
    comp = Compressor(coder, "binary").fit(train.images)
    assert not comp.codec._no_halving(comp.prepare(test.images[:1], "X"))
    D = pairwise(test.images, train.images, compressor=comp)
    np.testing.assert_array_equal(kneighbors(test.images, train.images, 3, compressor=comp)[1],
                                  top_k(D, 3)[1])  # fmt: skip


def test_leave_one_out_and_a_cascade_of_every_image_are_exact(mnist):
    train, _ = mnist
    X = train.images[:120]
    comp = Compressor("ctx-ref", "binary").fit(X)
    D = pairwise(X, compressor=comp)
    np.fill_diagonal(D, np.inf)
    expected = top_k(D, 3)[1]
    np.testing.assert_array_equal(kneighbors(X, k=3, compressor=comp)[1], expected)
    np.testing.assert_array_equal(kneighbors(X, k=3, compressor=comp, candidates=119)[1], expected)


def test_cascade_ranks_exactly_among_its_pixel_nearest_candidates(mnist):
    train, test = mnist
    comp = Compressor("zlib", "raw").fit(train.images)
    cand = pixel_order(test.images, train.images, 30)
    D = pairwise(test.images, train.images, compressor=comp)
    dist, idx = kneighbors(test.images, train.images, 4, compressor=comp, candidates=30)
    for r in range(len(idx)):
        assert set(idx[r]) <= set(cand[r])
        sub = D[r, cand[r]]
        order = np.lexsort((cand[r], sub))[:4]
        np.testing.assert_array_equal(idx[r], cand[r][order])
        np.testing.assert_array_equal(dist[r], sub[order])


def test_candidate_count_is_the_smallest_reaching_the_target_recall(mnist):
    train, _ = mnist
    comp = Compressor("ctx-ref-learned", "binary").fit(train.images, train.labels)
    recalls = choose_cascade(comp, train.images, 3, n_queries=60).recalls
    assert list(recalls) == [10, 20, 30, 50, 75, 100, 150, 200]  # below 299 neighbors
    assert all(0 <= r <= 1 for r in recalls.values())
    assert list(recalls.values()) == sorted(recalls.values())  # more candidates, more recall
    m, same = choose_candidates(comp, train.images, 3, target=0.9, n_queries=60)
    assert same == recalls and recalls[m] >= 0.9
    assert all(r < 0.9 for mm, r in recalls.items() if mm < m)
    assert choose_candidates(comp, train.images, 3, target=1.01, n_queries=60)[0] is None


def test_classifier_cascade_reports_its_recall_and_exact_search_matches(mnist):
    train, test = mnist
    kw = {"codec": "ctx-ref", "serializer": "binary", "k": 3}
    # this job is small enough to search exactly: exact_pairs=0 keeps the cascade
    auto = NCDKNNClassifier(**kw, search="auto", recall=0.95, exact_pairs=0).fit(
        train.images, train.labels
    )
    exact = NCDKNNClassifier(**kw, search="exact").fit(train.images, train.labels)
    assert exact.n_candidates_ is None
    m = auto.n_candidates_
    assert m is not None and auto.cascade_recall_[m] >= 0.95
    assert auto.settings()["n_candidates"] == m
    # the recall measured on training queries holds on test queries, within sampling error
    # (40 queries x 3 neighbors)
    got = auto.kneighbors(test.images, return_distance=False)
    want = exact.kneighbors(test.images, return_distance=False)
    recall = np.mean([len(np.intersect1d(g, w)) / 3 for g, w in zip(got, want, strict=True)])
    assert recall >= 0.85
    assert auto.candidates_for(len(test)) == m


def test_small_jobs_are_searched_exactly_even_with_a_cascade_chosen(mnist):
    train, test = mnist
    kw = {"codec": "ctx-ref", "serializer": "binary", "k": 3}
    pairs = len(test) * len(train)
    auto = NCDKNNClassifier(**kw, search="auto", recall=0.95, exact_pairs=pairs).fit(
        train.images, train.labels
    )
    exact = NCDKNNClassifier(**kw, search="exact").fit(train.images, train.labels)
    assert auto.n_candidates_ is not None  # chosen, kept for larger calls
    assert NCDKNNClassifier().exact_pairs == EXACT_PAIRS and pairs < EXACT_PAIRS
    assert auto.candidates_for(len(test)) is None
    assert auto.candidates_for(len(test) + 1) == auto.n_candidates_
    np.testing.assert_array_equal(
        auto.kneighbors(test.images, return_distance=False),
        exact.kneighbors(test.images, return_distance=False),
    )


def test_cascade_is_measured_only_when_a_call_needs_it(mnist, monkeypatch):
    train, test = mnist
    calls = []

    def counting(*args, **kw):
        calls.append(args[2])  # k
        return choose_cascade(*args, **kw)

    monkeypatch.setattr(knn_module, "choose_cascade", counting)
    kw = {"codec": "ctx-ref", "serializer": "binary", "k": 3, "recall": 0.95}
    small = NCDKNNClassifier(**kw).fit(train.images, train.labels)
    small.predict(test.images)  # 40 x 300 pairs: searched exactly, nothing to measure
    assert calls == [] and small.settings()["n_candidates"] is None
    big = NCDKNNClassifier(**kw, exact_pairs=0).fit(train.images, train.labels)
    big.predict(test.images)
    big.predict(test.images)
    assert calls == [3]  # once, at k_, and kept
    assert big.n_candidates_ is not None
    assert big.settings()["n_candidates"] == big.n_candidates_
    big.kneighbors(test.images, n_neighbors=5)
    assert calls == [3, 5]  # another k is measured at that k


def test_kneighbors_without_queries_is_leave_one_out_over_the_training_set(mnist):
    train, _ = mnist
    clf = NCDKNNClassifier(codec="ctx-ref", serializer="binary", k=3, search="exact")
    clf.fit(train.images, train.labels)
    dist, idx = clf.kneighbors(n_neighbors=4)
    want_d, want_i = kneighbors(train.images, None, 4, compressor=clf.compressor_)
    np.testing.assert_array_equal(idx, want_i)
    np.testing.assert_array_equal(dist, want_d)
    assert not (idx == np.arange(len(train))[:, None]).any()  # never itself


def test_the_kernels_number_and_compute_the_distances_as_python_does():
    # the early-abandoning kernel gets a distance by its position in DISTANCES
    from ncdvision.ncd.context.topk import _distance
    from ncdvision.ncd.formulas import DISTANCES

    cx, cy, cxy = 700.0, 820.0, 1100.0
    for kind, (name, formula) in enumerate(DISTANCES.items()):
        assert _distance(kind, cx, cy, cxy) == pytest.approx(float(formula(cx, cy, cxy))), name


def test_the_first_stage_breaks_ties_at_its_cut_by_the_lower_index():
    from ncdvision.ncd.search import l2_order

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, (500, 6)).astype(np.float32)  # few values: many tied distances
    x = y[:300]
    order = l2_order(x, y, 40, exclude=np.arange(300))
    d2 = ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1)
    d2[np.arange(300), np.arange(300)] = np.inf
    for r in range(300):  # nearest first, ties by the lower index, never the query itself
        np.testing.assert_array_equal(order[r], np.lexsort((np.arange(500), d2[r]))[:40])
