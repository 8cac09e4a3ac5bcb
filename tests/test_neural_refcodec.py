"""The neural conditional coder ``pixelcnn-ref``: C(y | x) from a PixelCNN that sees x."""

import numpy as np
import pytest
import torch

from ncdvision.datasets import load
from ncdvision.ncd import Compressor, NCDKNNClassifier, get_codec, kneighbors, pairwise
from ncdvision.neural import coding
from ncdvision.neural.pixelcnn import GatedPixelCNN
from ncdvision.neural.refcodec import PixelCNNRefCodec

SMALL = {"id": "pixelcnn-ref", "channels": 8, "layers": 3, "epochs": 12}


@pytest.fixture(scope="module")
def digits():
    return load("digits").split(test_size=60, seed=0)


@pytest.fixture(scope="module")
def fitted(digits, tmp_path_factory):
    """A small conditional coder fitted on 400 binarized digits, without their labels."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NCDVISION_CACHE", str(tmp_path_factory.mktemp("cache")))
        train, _ = digits
        return Compressor(SMALL, serializer="binary").fit(train.images[:400])


def test_the_model_is_causal_in_the_image_but_not_in_the_reference():
    torch.manual_seed(0)
    model = GatedPixelCNN(levels=2, channels=8, layers=3, reference=True).eval()
    x, ref = torch.randint(0, 2, (1, 8, 8)), torch.randint(0, 2, (1, 8, 8))
    with torch.no_grad():
        base = model(x, ref).flatten(2)
        later = x.clone()
        later.view(-1)[30:] = 1 - later.view(-1)[30:]
        torch.testing.assert_close(model(later, ref).flatten(2)[..., :31], base[..., :31])
        # reference pixels below and right of a pixel, not yet coded in the image, reach it
        moved = ref.clone()
        moved[0, 1, 1] = 1 - moved[0, 1, 1]
        assert not torch.allclose(model(x, moved).flatten(2)[..., 0], base[..., 0])
        # "no reference" is its own input, not the all-zero reference
        blank = model(x, torch.zeros_like(ref), torch.tensor([False])).flatten(2)
        assert torch.allclose(model(x).flatten(2), blank)
        assert not torch.allclose(model(x, torch.zeros_like(ref)).flatten(2), blank)


def test_conditional_range_code_round_trips_within_one_percent_of_its_likelihood(fitted, digits):
    codec, levels = fitted.codec, fitted.serializer.levels
    _, test = digits
    y, x = fitted.serializer.transform(test.images[:2])
    for reference in (x, None):
        words, ideal = codec.encode(y, reference, levels)
        np.testing.assert_array_equal(codec.decode(words, reference, levels), y)
        # the 4-word header and the range coder's last word on top of the likelihood
        assert ideal <= 32 * len(words) <= 1.01 * ideal + 32 * coding.HEADER_WORDS + 64
    # a decode with another reference does not give the image back
    assert not np.array_equal(codec.decode(codec.encode(y, x, levels)[0], y, levels), y)


def test_joint_length_is_c_of_x_plus_c_of_y_given_x(fitted, digits):
    _, test = digits
    dx, dy = fitted.prepare(test.images[:3]), fitted.prepare(test.images[3:7])
    symbols = fitted.serializer.transform(test.images[:7])
    joint = fitted.codec.joint_block(dx, dy)
    cond = coding.likelihood_bits(fitted.codec.model_, symbols[3:7], references=symbols[[1] * 4])
    np.testing.assert_allclose(joint[1], dx.lengths[1] + cond, rtol=1e-6)
    cand = np.array([[3, 0], [1, 2], [0, 0]])
    np.testing.assert_allclose(fitted.codec.joint_pairs(dx, dy, cand),
                               np.take_along_axis(joint, cand, 1), rtol=1e-6)  # fmt: skip


def test_a_trained_coder_codes_an_image_shorter_given_a_similar_one(fitted, digits):
    train, test = digits
    symbols = fitted.serializer.transform(test.images)
    alone = coding.likelihood_bits(fitted.codec.model_, symbols)
    itself = coding.likelihood_bits(fitted.codec.model_, symbols, references=symbols)
    assert np.median(itself) < 0.8 * np.median(alone)


def test_registered_as_a_codec_and_taken_by_the_distance_api(digits, tmp_path, monkeypatch):
    monkeypatch.setenv("NCDVISION_CACHE", str(tmp_path))
    codec = get_codec(SMALL)
    assert isinstance(codec, PixelCNNRefCodec) and codec.learned
    assert get_codec(codec.get_config()) == codec
    train, test = digits
    d = pairwise(test.images[:5], train.images[:40], codec=SMALL)  # fitted on Y, no labels
    assert d.shape == (5, 40) and np.all(np.isfinite(d))
    dist, idx = kneighbors(test.images[:5], train.images[:40], k=3, codec=SMALL, candidates=10)
    assert idx.shape == (5, 3) and np.all(np.diff(dist, axis=1) >= 0)
    clf = NCDKNNClassifier(codec=SMALL, serializer="binary", k=1).fit(train.images[:300],
                                                                      train.labels[:300])  # fmt: skip
    assert clf.score(test.images, test.labels) > 0.5  # ten classes: chance is 0.1


def test_bad_use_gets_a_clear_error(digits):
    train, _ = digits
    codec = get_codec(SMALL)
    with pytest.raises(ValueError, match="call fit"):
        codec.prepare(np.zeros((2, 8, 8), np.uint8), 2)
    with pytest.raises(ValueError, match="'binary' or 'q<bits>'"):
        codec.fit(np.zeros((4, 8, 8, 3), np.uint8), 2)
    with pytest.raises(ValueError, match="channels"):
        PixelCNNRefCodec(channels=0)
