import numpy as np
import pytest

from ncdvision.datasets import synthetic
from ncdvision.ncd.classcond import ClassCompressionClassifier


# zstd sees ~15-byte codes of whole images, so it is far coarser than the context model
@pytest.mark.parametrize(("codec", "min_accuracy"), [("zstd", 0.4), ("ctx", 0.9)])
def test_class_corpus_compresses_its_own_textures_best(codec, min_accuracy):
    # textures are classes defined by image statistics: exactly what a class corpus captures
    ds = synthetic.textures(n_per_class=20, seed=0)
    tr, te = ds.split(test_size=0.25, seed=0)
    clf = ClassCompressionClassifier(codec=codec).fit(tr.images, tr.labels)
    bits = clf.code_lengths(te.images)
    assert bits.shape == (len(te), len(clf.classes_)) and np.all(bits > 0)
    assert clf.score(te.images, te.labels) > min_accuracy  # chance: 1 / 8
    proba = clf.predict_proba(te.images)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(1)], clf.predict(te.images))


def test_small_classes_fall_back_to_a_raw_content_dictionary():
    ds = synthetic.shapes(n_per_class=3, n_classes=2, seed=0)
    clf = ClassCompressionClassifier().fit(ds.images, ds.labels)
    assert clf.dictionary_kind_ == ["raw", "raw"]
    assert clf.predict(ds.images).shape == (6,)


def test_unknown_codec_is_refused():
    ds = synthetic.shapes(n_per_class=3, n_classes=2, seed=0)
    with pytest.raises(ValueError, match="'codec' parameter of ClassCompressionClassifier"):
        ClassCompressionClassifier(codec="gzip").fit(ds.images, ds.labels)
