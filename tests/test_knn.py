import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline

from ncdvision.datasets import load, synthetic
from ncdvision.ncd.classcond import ClassCompressionClassifier
from ncdvision.ncd.knn import NCDKNNClassifier, PixelKNNClassifier, vote
from ncdvision.ncd.selection import AUTO_CANDIDATES


def test_vote_majority_then_nearest_tied_class():
    # nearest first: [2, 1, 1, 2] -> classes 1 and 2 tie with two votes; 2 has the nearest member
    assert vote(np.array([[2, 1, 1, 2]]), 3)[0] == 2
    assert vote(np.array([[1, 2, 2, 1]]), 3)[0] == 1
    assert vote(np.array([[0, 1, 1]]), 3)[0] == 1  # a plain majority beats the nearest


def test_tie_is_one_label_not_a_hit_for_any_tied_label():
    # k=2 with neighbors of classes [3, 5] and true label 5: counting "true label among the
    # tied labels" as correct would score this 1.0; the single prediction is 3, so it is wrong.
    rng = np.random.default_rng(0)
    X = rng.integers(0, 4, (4, 8, 8), dtype=np.uint8) * 60
    X[3] = X[1]  # the query is a copy of the class-3 training image
    clf = NCDKNNClassifier(codec="zlib", serializer="raw", k=2).fit(X[1:3], [3, 5])
    dist, idx = clf.kneighbors(X[3:4])
    assert dist[0, 0] < dist[0, 1] and idx[0, 0] == 0  # the class-3 image is nearer
    assert clf.predict(X[3:4])[0] == 3
    assert clf.score(X[3:4], [5]) == 0.0


def test_fit_predict_score_proba_on_shapes():
    ds = synthetic.shapes(n_per_class=15, seed=0)
    tr, te = ds.split(test_size=40, seed=0)
    clf = NCDKNNClassifier(codec="ctx-ref", serializer="binary", k=3).fit(tr.images, tr.labels)
    assert clf.score(te.images, te.labels) > 0.4  # 8 classes, 10 training images each: chance 0.125
    proba = clf.predict_proba(te.images)
    assert proba.shape == (40, 8) and np.allclose(proba.sum(axis=1), 1)
    assert np.all(clf.classes_[proba.argmax(axis=1)] is not None)
    dist, idx = clf.kneighbors(te.images[:3], n_neighbors=4)
    assert dist.shape == idx.shape == (3, 4) and np.all(np.diff(dist, axis=1) >= 0)


def test_string_labels_are_returned_as_given():
    ds = synthetic.shapes(n_per_class=6, n_classes=2, seed=0)
    names = np.array(ds.class_names)[ds.labels]
    clf = NCDKNNClassifier(codec="ctx-ref", k=1).fit(ds.images, names)
    assert set(clf.predict(ds.images[:4])) <= {"circle", "square"}


def test_auto_picks_well_on_aligned_shapes_and_on_textures():
    from sklearn.neighbors import KNeighborsClassifier

    shapes = synthetic.shapes(n_per_class=25, seed=0, noise=0.1)  # aligned shapes, noisy pixels
    textures = synthetic.textures(n_per_class=25, seed=0)  # classes defined by image statistics
    held_out = {}
    for ds in (shapes, textures):
        tr, te = ds.split(test_size=0.3, seed=0)
        clf = NCDKNNClassifier(loo_size=200).fit(tr.images, tr.labels)
        assert clf.k_ in (1, 3, 5, 7) and 0 < clf.loo_accuracy_ <= 1
        assert clf.loo_accuracy_ == max(r["loo_accuracy"] for r in clf.selection_)
        scores = {
            (c, s): NCDKNNClassifier(codec=c, serializer=s, k=1)
            .fit(tr.images, tr.labels)
            .score(te.images, te.labels)
            for c, s in AUTO_CANDIDATES
        }
        # the training-only choice is (nearly) the best candidate on held-out images
        assert clf.score(te.images, te.labels) >= max(scores.values()) - 0.1
        l2 = KNeighborsClassifier(1).fit(tr.images.reshape(len(tr), -1), tr.labels)
        scores["l2"] = l2.score(te.images.reshape(len(te), -1), te.labels)
        held_out[ds.name] = scores
    # aligned shapes favour the reference coders, textures the byte codecs over fresh ctx-ref
    assert held_out["shapes"][("ctx-ref", "binary")] > held_out["shapes"][("bz2", "raw")]
    assert held_out["textures"][("bz2", "raw")] > held_out["textures"][("ctx-ref", "binary")]
    assert held_out["textures"][("bz2", "raw")] > held_out["textures"]["l2"]


def test_auto_selection_never_touches_test_labels(monkeypatch):
    ds = synthetic.shapes(n_per_class=10, seed=1)
    tr, te = ds.split(test_size=20, seed=0)
    a = NCDKNNClassifier(loo_size=100).fit(tr.images, tr.labels)
    # fit sees only training data; scoring on shuffled test labels cannot change the choice
    b = NCDKNNClassifier(loo_size=100).fit(tr.images, tr.labels)
    b.score(te.images, np.random.default_rng(0).permutation(te.labels))

    def scores(clf):
        return [(r["codec"], r["serializer"], r["k"], r["loo_accuracy"]) for r in clf.selection_]

    assert a.settings() == b.settings() and scores(a) == scores(b)


def test_the_full_selection_scores_every_setting_on_the_same_queries(monkeypatch):
    import ncdvision.ncd.selection as knn

    ds = synthetic.shapes(n_per_class=20, seed=2)
    seen = []

    def recording(X, Y=None, k=5, **kw):
        seen.append(np.sort(kw["exclude"]))  # a query's own index is its exclusion
        return search_kneighbors(X, Y, k, **kw)

    search_kneighbors = knn.kneighbors
    monkeypatch.setattr(knn, "kneighbors", recording)
    clf = NCDKNNClassifier(loo_size=40, selection="full").fit(ds.images, ds.labels)
    n = {r["codec"] + "/" + r["serializer"]: r["n_queries"] for r in clf.selection_}
    assert len(seen) == len(n) == len(AUTO_CANDIDATES)
    # a paired comparison: every setting's queries are the first of one draw
    longest = max(seen, key=len)
    for q in seen:
        assert np.isin(q, longest).all()
    assert sorted(len(q) for q in seen) == sorted(n.values())


def test_works_with_sklearn_model_selection():
    ds = load("mnist-5k").subset(n=60, seed=0)
    scores = cross_val_score(NCDKNNClassifier(codec="ctx-ref", k=1), ds.images, ds.labels, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.5
    grid = GridSearchCV(NCDKNNClassifier(codec="ctx-ref"), {"k": [1, 3]}, cv=2).fit(
        ds.images, ds.labels
    )
    assert grid.best_params_["k"] in (1, 3)
    pipe = Pipeline([("knn", NCDKNNClassifier(codec="zstd", k=1))]).fit(ds.images, ds.labels)
    assert pipe.score(ds.images, ds.labels) == 1.0


# The scikit-learn checks that do not feed data run as they are. Excluded: every check that
# fits on generated 2-D float feature tables (check_fit2d_*, check_classifiers_train,
# check_n_features_in_after_fitting, check_fit_check_is_fitted, ...): these estimators take
# uint8 image batches and refuse flattened or float input on purpose (see test_bad_inputs).
# Their image-array counterparts (clone-and-refit, idempotent fit, unfitted errors) follow.
PROTOCOL_CHECKS = [
    "check_no_attributes_set_in_init",
    "check_get_params_invariance",
    "check_set_params",
    "check_parameters_default_constructible",
    "check_estimator_repr",
    "check_estimator_cloneable",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_mixin_order",
    "check_valid_tag_types",
    "check_estimators_unfitted",
]


@pytest.mark.parametrize("check", PROTOCOL_CHECKS)
@pytest.mark.parametrize("make", [lambda: NCDKNNClassifier(codec="zlib", k=1),
                                  lambda: ClassCompressionClassifier()])  # fmt: skip
def test_sklearn_estimator_checks_that_apply(check, make):
    from sklearn.utils import estimator_checks

    est = make()
    getattr(estimator_checks, check)(type(est).__name__, est)


@pytest.mark.parametrize("make", [lambda: NCDKNNClassifier(codec="ctx-ref", k=3),
                                  lambda: ClassCompressionClassifier(codec="ctx")])  # fmt: skip
def test_image_array_counterparts_of_the_fitting_checks(make):
    from sklearn.base import clone

    ds = synthetic.shapes(n_per_class=8, seed=0)
    tr, te = ds.split(test_size=16, seed=0)
    est = make().fit(tr.images, tr.labels)
    first = est.predict(te.images)
    np.testing.assert_array_equal(est.fit(tr.images, tr.labels).predict(te.images), first)
    np.testing.assert_array_equal(clone(est).fit(tr.images, tr.labels).predict(te.images), first)
    np.testing.assert_array_equal(est.classes_, np.unique(tr.labels))


def test_bad_inputs():
    X = np.zeros((5, 4, 4), np.uint8)
    with pytest.raises(ValueError, match="k=9 is larger than the training set"):
        NCDKNNClassifier(codec="zlib", k=9).fit(X, [0, 1, 0, 1, 0])
    with pytest.raises(ValueError, match="5 images but y has 4 labels"):
        NCDKNNClassifier(codec="zlib", k=1).fit(X, [0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"flattened 4x4 image: X.reshape\(-1, 4, 4\)"):
        NCDKNNClassifier(codec="zlib", k=1).fit(X.reshape(5, -1), [0, 1, 0, 1, 0])
    with pytest.raises(ValueError, match="float images are ambiguous"):
        NCDKNNClassifier(codec="zlib", k=1).fit(X / 2.0, [0, 1, 0, 1, 0])
    with pytest.raises(ValueError, match="Unknown label type"):
        NCDKNNClassifier(codec="zlib", k=1).fit(X, [0.5, 1.5, 0.5, 1.5, 0.2])


def test_leave_one_out_helpers_drop_the_query_and_break_ties_towards_small_k():
    from ncdvision.ncd.neighbors import VectorKNN, best_k, loo_accuracies

    # points 0 and 2 are duplicates: leave-one-out must drop the query, not its twin
    F = np.array([[0.0], [1.0], [0.0]])
    y = np.array([0, 1, 1])
    knn = VectorKNN(k="auto").fit(F, y, 2)
    _, loo = knn.nn_.kneighbors(n_neighbors=2)
    assert loo[0, 0] == 2 and loo[2, 0] == 0 and all(i not in row for i, row in enumerate(loo))
    accs = loo_accuracies(np.array([[2, 1], [0, 2], [0, 1]]), y, y, (1, 2), 2)
    # point 0's nearest is its twin (class 1): wrong; point 1 sees point 0 first, and at k=2
    # the tie between classes 0 and 1 goes to point 0's class: wrong; point 2 likewise
    assert accs == {1: 0.0, 2: 0.0}
    assert best_k(accs) == 1 and best_k({1: 0.5, 3: 0.9, 5: 0.9}) == 3


def test_leave_one_out_on_a_sample_of_a_large_set_matches_every_query(monkeypatch):
    import ncdvision.ncd.neighbors as neighbors

    rng = np.random.default_rng(0)
    F = rng.normal(size=(300, 4))
    F[1] = F[0]  # twins: each must drop itself, not the other
    y = rng.integers(0, 3, 300)
    full = neighbors.VectorKNN(k="auto").fit(F, y, 3)
    every = full.nn_.kneighbors(n_neighbors=7, return_distance=False)
    monkeypatch.setattr(neighbors, "LOO_QUERIES", 100)
    q = np.sort(np.random.default_rng(0).choice(300, 100, replace=False))
    sampled = neighbors.VectorKNN(k="auto").fit(F, y, 3)
    np.testing.assert_array_equal(sampled._loo(F, np.array([0, 1, 5]), 7), every[[0, 1, 5]])
    accs = neighbors.loo_accuracies(every[q], y, y[q], (1, 3, 5, 7), 3)
    assert sampled.k_ == neighbors.best_k(accs) and sampled.loo_accuracy_ == accs[sampled.k_]


def test_predict_is_the_argmax_of_predict_proba_on_ties():
    from ncdvision.ncd.neighbors import vote, vote_proba

    labels = np.array([[2, 1, 1, 2], [0, 1, 2, 3], [3, 3, 1, 1]])
    assert list(vote(labels, 4)) == [2, 0, 3]
    proba = vote_proba(labels, 4)
    assert list(proba.argmax(axis=1)) == [2, 0, 3]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert abs(proba[0, 2] - 0.5) < 1e-5 and abs(proba[0, 1] - 0.5) < 1e-5

    rng = np.random.default_rng(3)
    X = rng.integers(0, 256, (30, 8, 8), dtype=np.uint8)
    y = rng.integers(0, 3, 30)
    clf = NCDKNNClassifier(codec="zlib", k=4).fit(X, y)
    Xq = rng.integers(0, 256, (20, 8, 8), dtype=np.uint8)
    np.testing.assert_array_equal(clf.predict(Xq), clf.classes_[clf.predict_proba(Xq).argmax(1)])


def test_pixel_knn_is_scikit_learns_knn_with_the_same_tie_rule():
    from sklearn.neighbors import KNeighborsClassifier

    tr, te = load("digits").split(test_size=100, seed=0)
    clf = PixelKNNClassifier().fit(tr.images, tr.labels)
    assert clf.k_ in (1, 3, 5, 7)
    idx = clf.kneighbors(te.images, n_neighbors=7, return_distance=False)
    assert clf.predict(te.images).tolist() == vote(tr.labels[idx[:, : clf.k_]], 10).tolist()
    flat = tr.images.reshape(len(tr), -1).astype(np.float32)
    sk = KNeighborsClassifier(clf.k_).fit(flat, tr.labels)
    # scikit-learn breaks a tied vote by the lower class; ours by the nearer member: they
    # agree wherever the vote has one winner
    votes = np.stack([np.bincount(r, minlength=10) for r in tr.labels[idx[:, : clf.k_]]])
    single = (votes == votes.max(axis=1, keepdims=True)).sum(axis=1) == 1
    pred_sk = sk.predict(te.images.reshape(len(te), -1).astype(np.float32))
    assert single.mean() > 0.9 and (clf.predict(te.images) == pred_sk)[single].all()
    loo = clf.kneighbors(n_neighbors=3, return_distance=False)  # leave-one-out
    assert loo.shape == (len(tr), 3) and not (loo == np.arange(len(tr))[:, None]).any()
