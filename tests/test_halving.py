"""Successive halving: every setting scored on a few queries, the better half on more,
until one leads by more than its standard error."""

import numpy as np

from ncdvision.datasets import load
from ncdvision.ncd import NCDKNNClassifier
from ncdvision.ncd.selection import select_setting


def test_halving_picks_the_planted_best_setting_and_drops_the_others_early():
    ds = load("digits").subset(n=700, seed=0)
    # binary:255 leaves nothing of a digit (every pixel 0): a chance-level setting; binary
    # and q2 keep the strokes and contend; zlib on 8x8 bytes is far behind
    candidates = [("ctx-ref", "binary:255"), ("ctx-ref", "q2"), ("ctx-ref", "binary"),
                  ("zlib", "raw")]  # fmt: skip
    kw = dict(n_classes=10, loo_size=600, search="exact", distance="ncd", n_jobs=1,
              random_state=0)  # fmt: skip
    best, acc, rows = select_setting(ds.images, ds.labels, candidates, [1, 3], halving=True, **kw)
    assert best[:2] == ("ctx-ref", "binary") and acc > 0.5  # chance: 0.1
    queries = {(r["codec"], r["serializer"]): r["n_queries"] for r in rows}
    # the contenders go on to twice the queries, the others stop after the first round, and
    # the winner's k is chosen on its whole budget (loo_size)
    assert queries[("ctx-ref", "q2")] == 500 and queries[("ctx-ref", "binary")] == 600
    assert queries[("ctx-ref", "binary:255")] == 250
    # the full selection, every setting on every query, agrees
    full, full_acc, full_rows = select_setting(ds.images, ds.labels, candidates, [1, 3], **kw)
    assert (full, full_acc) == (best, acc)  # k too: chosen on the same 600 queries
    assert sum(r["n_queries"] for r in rows) < sum(r["n_queries"] for r in full_rows)


def test_the_classifier_selects_by_halving_by_default():
    train, test = load("digits").subset(n=400, seed=1).split(test_size=100, seed=0)
    clf = NCDKNNClassifier(serializer="binary", n_jobs=1).fit(train.images, train.labels)
    assert clf.settings()["serializer"] == "binary"
    assert max(r["round"] for r in clf.selection_) >= 0
    assert np.mean(clf.predict(test.images) == test.labels) > 0.8
