"""Few labels and an unlabelled pool: the label-free prior, auto's choices, label spreading."""

import numpy as np
import pytest

from ncdvision.datasets import load
from ncdvision.ncd import Compressor, NCDKNNClassifier, NCDLabelSpreading, get_codec
from ncdvision.ncd.context.pairs import neighbor_pairs
from ncdvision.ncd.neighbors import candidate_ks
from ncdvision.ncd.selection import preferred


def _shots(per_class: int, seed: int = 0):
    """``per_class`` labelled digits per class, the other training digits as the pool, and
    a test set."""
    train, test = load("digits").split(test_size=0.3, seed=0)
    rng = np.random.default_rng(seed)
    idx = np.concatenate([rng.choice(np.flatnonzero(train.labels == c), per_class, replace=False)
                          for c in range(10)])  # fmt: skip
    pool = np.setdiff1d(np.arange(len(train)), idx)
    return train.subset(idx), train.subset(pool), test


def test_neighbor_pairs_link_each_image_to_its_nearest_others():
    sym = (load("digits").subset(n=60, seed=0).images > 64).astype(np.uint8)
    refs, coded = neighbor_pairs(sym, 3, seed=0)
    assert len(refs) == len(coded) == 60 * 3
    assert not np.any(refs == coded)
    np.testing.assert_array_equal(np.bincount(coded, minlength=60), np.full(60, 3))
    # the nearest other image by Hamming distance is the first reference of each
    flat = sym.reshape(60, -1).astype(int)
    d = (flat[:, None, :] != flat[None, :, :]).sum(-1)
    np.fill_diagonal(d, 10**6)
    first = refs.reshape(60, 3)[:, 0]
    np.testing.assert_array_equal(d[np.arange(60), first], d.min(1))
    # a cap draws a seeded subset, and every pair stays inside it
    refs, coded = neighbor_pairs(sym, 3, seed=0, max_images=20)
    assert len(np.union1d(refs, coded)) <= 20 and len(coded) == 60


def test_a_label_free_prior_round_trips_and_pays_off():
    _, pool, _ = _shots(5)
    sym = (pool.images > 64).astype(np.uint8)
    coder = get_codec("ctx-ref-learned").fit(sym[1:], 2)  # no labels at all
    fresh = get_codec({"id": "ctx-ref", "family": "wide"})
    x, ref = sym[0], sym[1 + int(np.argmin(np.abs(sym[1:].astype(int) - sym[0]).sum((1, 2))))]
    blob, bits = coder.encode(x, ref, 2)
    np.testing.assert_array_equal(coder.decode(blob, ref, 2), x)
    assert bits <= 8 * len(blob) <= bits + 2 + 8 + 1e-6
    dx, dy = coder.prepare(ref[None], 2), coder.prepare(x[None], 2)
    assert coder.conditional_block(dx, dy)[0, 0] == pytest.approx(bits, abs=1e-9)
    assert bits < 0.7 * fresh.encode(x, ref, 2)[1]


def test_fitting_with_a_pool_reads_no_label():
    shots, pool, test = _shots(5)
    lengths = []
    for labels in (shots.labels, np.random.default_rng(1).permutation(shots.labels)):
        model = NCDKNNClassifier("ctx-ref-learned", "binary", k=1).fit(
            shots.images, labels, X_unlabeled=pool.images
        )
        comp = model.compressor_
        dx, dy = comp.prepare(test.images[:20]), comp.prepare(shots.images)
        lengths.append(comp.codec.conditional_block(dy, dx))
    np.testing.assert_array_equal(lengths[0], lengths[1])
    # the same prior as a Compressor fitted on shots and pool with no labels given
    comp = Compressor("ctx-ref-learned", "binary").fit(shots.images, unlabeled=pool.images)
    dx, dy = comp.prepare(test.images[:20]), comp.prepare(shots.images)
    np.testing.assert_array_equal(comp.codec.conditional_block(dy, dx), lengths[0])


def test_a_pool_of_other_images_is_refused_before_any_work():
    shots, pool, _ = _shots(2)
    with pytest.raises(ValueError, match="X_unlabeled images are"):
        NCDKNNClassifier().fit(shots.images, shots.labels, X_unlabeled=pool.images[:, :4])


@pytest.mark.parametrize(("per_class", "ks"), [(2, [1]), (5, [1, 3]), (10, [1, 3, 5, 7])])
def test_auto_scores_only_k_below_the_class_size(per_class, ks):
    labels = np.repeat(np.arange(10), per_class)
    assert candidate_ks("auto", len(labels) - 1, labels=labels) == ks
    shots, pool, _ = _shots(per_class)
    model = NCDKNNClassifier(loo_size=200).fit(shots.images, shots.labels,
                                               X_unlabeled=pool.images)  # fmt: skip
    assert {row["k"] for row in model.selection_} == set(ks)
    assert model.k_ in ks


def test_a_lead_within_two_standard_errors_keeps_the_preferred_setting():
    q = np.arange(25)
    first = np.r_[np.ones(15, bool), np.zeros(10, bool)]
    close = first.copy()
    close[15:17] = True  # two more right of 25: noise at this size
    clear = np.r_[np.ones(24, bool), False]
    assert preferred([("first", q, first), ("close", q, close)], z=2)[0] == "first"
    assert preferred([("first", q, first), ("close", q, close)], z=0)[0] == "close"
    assert preferred([("first", q, first), ("clear", q, clear)], z=2) == ("clear", 0.96)
    # compared only on the queries both were scored on
    assert preferred([("first", q, first), ("clear", q[:5], clear[:5])], z=2)[0] == "first"


def test_label_spreading_over_the_pool_beats_the_shots_alone():
    shots, pool, test = _shots(5)
    alone = NCDKNNClassifier().fit(shots.images, shots.labels).score(test.images, test.labels)
    model = NCDLabelSpreading().fit(shots.images, shots.labels, pool.images)
    spread = model.score(test.images, test.labels)
    assert model.alpha_ in model.alpha_scores_
    np.testing.assert_array_equal(model.labels_[: len(shots)], shots.labels)
    # the pool's spread labels are mostly right, and they carry the test accuracy up
    assert np.mean(model.labels_[len(shots) :] == pool.labels) > 0.8
    assert spread > alone + 0.03, (spread, alone)
    # the graph's rows are the shots, then the pool: each shot's nearest graph image is itself
    nearest = model.kneighbors(shots.images, n_neighbors=2)
    assert nearest.shape == (len(shots), 2)
    np.testing.assert_array_equal(nearest[:, 0], np.arange(len(shots)))
