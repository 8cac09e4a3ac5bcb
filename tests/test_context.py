import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import gammaln

from ncdvision.ncd import ContextCoder, RefContextCoder, get_codec

LEVELS = st.sampled_from([2, 4, 8])


@st.composite
def symbol_images(draw, same_as=None):
    levels = draw(LEVELS)
    shape = same_as or (draw(st.integers(1, 12)), draw(st.integers(1, 12)))
    img = draw(arrays(np.uint8, shape, elements=st.integers(0, levels - 1)))
    return img, levels


@settings(max_examples=60, deadline=None)
@given(symbol_images())
def test_ctx_round_trip_and_size_matches_model_length(case):
    img, levels = case
    coder = ContextCoder()
    blob, bits = coder.encode(img, levels)
    np.testing.assert_array_equal(coder.decode(blob, img.shape, levels), img)
    # the arithmetic coder adds at most 2 termination bits plus byte padding to the model length
    assert bits <= 8 * len(blob) <= bits + 2 + 8 + 1e-6
    assert bits == pytest.approx(coder.prepare(img[None], levels).lengths[0], abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_ctx_ref_round_trip_given_the_reference(data):
    levels = data.draw(LEVELS)
    h, w = data.draw(st.integers(1, 12)), data.draw(st.integers(1, 12))
    x = data.draw(arrays(np.uint8, (h, w), elements=st.integers(0, levels - 1)))
    y = data.draw(arrays(np.uint8, (h, w), elements=st.integers(0, levels - 1)))
    coder = RefContextCoder(symmetric=False)
    blob, bits = coder.encode(y, x, levels)
    np.testing.assert_array_equal(coder.decode(blob, x, levels), y)
    assert bits <= 8 * len(blob) <= bits + 2 + 8 + 1e-6
    dx, dy = coder.prepare(x[None], levels), coder.prepare(y[None], levels)
    assert coder.conditional_block(dx, dy)[0, 0] == pytest.approx(bits, abs=1e-9)


def test_round_trip_on_real_digits_and_colour_planes():
    from ncdvision.datasets import load

    imgs = load("digits").images[:3]
    coder = RefContextCoder()
    sym = (imgs >> 6).astype(np.uint8)  # q2
    blob, bits = coder.encode(sym[1], sym[0], 4)
    np.testing.assert_array_equal(coder.decode(blob, sym[0], 4), sym[1])
    rgb = np.stack([sym[0], sym[1], sym[2]], axis=-1)
    ctx = ContextCoder()
    blob, _ = ctx.encode(rgb, 4)
    np.testing.assert_array_equal(ctx.decode(blob, rgb.shape, 4), rgb)


def test_counts_are_halved_at_the_cap_identically_in_model_and_coder():
    rng = np.random.default_rng(0)
    img = (rng.random((64, 64)) < 0.2).astype(np.uint8)
    coder = ContextCoder(cap=16)
    blob, bits = coder.encode(img, 2)
    np.testing.assert_array_equal(coder.decode(blob, img.shape, 2), img)
    assert bits == pytest.approx(coder.prepare(img[None], 2).lengths[0])
    assert bits != pytest.approx(ContextCoder().prepare(img[None], 2).lengths[0])


@pytest.mark.parametrize("cap", [64, 70_000])  # uint16 count tables, and int64 ones
def test_each_pair_of_a_block_starts_from_fresh_counts(cap):
    # the kernels restore the counts a pair touched before the next pair: every entry of a
    # block must equal that pair coded alone by the arithmetic coder
    rng = np.random.default_rng(3)
    imgs = (rng.random((4, 10, 9)) < 0.4).astype(np.uint8)
    coder = RefContextCoder(symmetric=False, cap=cap)
    d = coder.prepare(imgs, 2)
    block = coder.conditional_block(d, d)
    for i in range(4):
        for j in range(4):
            assert block[i, j] == pytest.approx(coder.encode(imgs[j], imgs[i], 2)[1], abs=1e-9)


def test_reference_makes_a_similar_image_cheap():
    rng = np.random.default_rng(0)
    x = (rng.random((28, 28)) < 0.3).astype(np.uint8)
    y = x.copy()
    y[5, 5] ^= 1
    coder = RefContextCoder(symmetric=False)
    d = coder.prepare(np.stack([x, y, 1 - x]), 2)
    cond = coder.conditional_block(d, d)
    assert cond[0, 1] < 0.5 * d.lengths[1]  # y given its near copy x
    assert cond[2, 1] > cond[0, 1]


def _kt_bits(images, template, levels):
    """A plain-Python statement of the ctx model: KT estimator, counts shared across images."""
    counts, bits = {}, 0.0
    for img in images:
        h, w = img.shape
        for y in range(h):
            for x in range(w):
                ctx = tuple(
                    img[y + dy, x + dx] if 0 <= y + dy < h and 0 <= x + dx < w else 0
                    for dy, dx in template
                )
                c = counts.setdefault(ctx, [0] * levels)
                bits -= np.log2((2 * c[img[y, x]] + 1) / (2 * sum(c) + levels))
                c[img[y, x]] += 1
    return bits


def test_ctx_lengths_equal_a_plain_python_model():
    rng = np.random.default_rng(2)
    x = rng.integers(0, 4, (9, 11), dtype=np.uint8)
    y = rng.integers(0, 4, (9, 11), dtype=np.uint8)
    coder = ContextCoder()
    template = coder.templates(4)["uncond"].tolist()
    d = coder.prepare(np.stack([x, y]), 4)
    assert d.lengths[0] == pytest.approx(_kt_bits([x], template, 4))
    # joint C(xy): x then y through one adaptive model
    joint = coder.joint_block(d.take([0]), d.take([1]))[0, 0]
    assert joint == pytest.approx(_kt_bits([x, y], template, 4))
    assert coder.joint_block(d.take([0]), d.take([0]))[0, 0] < 2 * d.lengths[0]


def test_context_coders_refuse_too_many_levels_and_non_causal_templates():
    with pytest.raises(ValueError, match="2..16 symbol levels"):
        get_codec("ctx").prepare(np.zeros((1, 4, 4), np.uint8), 256)
    with pytest.raises(ValueError, match="not causal"):
        ContextCoder(uncond=[(0, 1)]).prepare(np.zeros((1, 4, 4), np.uint8), 2)


def _binary_digits(n=120):
    from ncdvision.datasets import load

    ds = load("digits").subset(n=n, seed=0)
    return (ds.images > 64).astype(np.uint8), ds.labels


def test_learned_prior_round_trips_and_shortens_same_class_codes():
    sym, labels = _binary_digits()
    fresh = RefContextCoder(family="wide")
    learned = get_codec("ctx-ref-learned").fit(sym[1:], 2, labels[1:])
    x = sym[0]
    same = sym[1:][labels[1:] == labels[0]][0]
    for coder in (fresh, learned):
        blob, bits = coder.encode(x, same, 2)
        np.testing.assert_array_equal(coder.decode(blob, same, 2), x)
        assert bits <= 8 * len(blob) <= bits + 2 + 8 + 1e-6
        dx, dy = coder.prepare(same[None], 2), coder.prepare(x[None], 2)
        assert coder.conditional_block(dx, dy)[0, 0] == pytest.approx(bits, abs=1e-9)
    # the prior is what an 8x8 image cannot learn on its own: it must pay off
    assert learned.encode(x, same, 2)[1] < 0.7 * fresh.encode(x, same, 2)[1]


def test_learned_coder_needs_a_fit_and_matching_labels():
    sym, labels = _binary_digits(20)
    coder = get_codec("ctx-ref-learned")
    with pytest.raises(RuntimeError, match="fit"):
        coder.prepare(sym, 2)
    with pytest.raises(ValueError, match="20 images but 19 labels"):
        coder.fit(sym, 2, labels[1:])
    with pytest.raises(ValueError, match="for binary images"):
        coder.fit(sym, 4, labels)


def test_a_conditional_length_depends_only_on_each_contexts_counts():
    # with no halving, the Krichevsky-Trofimov length of a context's symbols is a ratio of
    # Gamma functions of its counts, whatever their order: the exact search relies on this
    # to code a pair's active pixels first (ncd/context/topk.py)
    rng = np.random.default_rng(5)
    imgs = (rng.random((6, 14, 14)) < 0.3).astype(np.uint8)
    coder = RefContextCoder(family="wide", learned=True, strength=40).fit(
        imgs, 2, [0, 0, 0, 1, 1, 1]
    )
    d = coder.prepare(imgs, 2)
    prior = coder._prior("cond", 2).reshape(-1, 2).astype(np.float64)
    block = coder.conditional_block(d, d)
    for i, j in [(0, 1), (4, 2), (3, 3)]:
        ctx = (d.cs[j].astype(np.int64) >> 1) + d.ref[i].astype(np.int64) * d.mult
        counts = np.zeros_like(prior)
        np.add.at(counts, (ctx, d.symbols[j]), 1)
        a, n = prior[counts.sum(1) > 0], counts[counts.sum(1) > 0]
        nats = (gammaln(a.sum(1) + n.sum(1) + 1) - gammaln(a.sum(1) + 1)
                - (gammaln(a + n + 0.5) - gammaln(a + 0.5)).sum(1))  # fmt: skip
        assert block[i, j] == pytest.approx(nats.sum() / np.log(2), rel=1e-9)
