import numpy as np
import pytest

import ncdvision.ncd.distance as distance_mod
from ncdvision.datasets import load
from ncdvision.ncd import compressed_lengths, kneighbors, pairwise, pairwise_naive, top_k


@pytest.fixture(scope="module")
def digits():
    ds = load("digits")
    return ds.images[:12], ds.images[12:30]


@pytest.mark.parametrize(
    "codec", ["zlib", "gzip", "bz2", "lzma", "zstd", "brotli", "png", "webp", "jpegxl", "jpegls"]
)
@pytest.mark.parametrize("distance", ["ncd", "cdm", "clm"])
def test_fast_paths_equal_the_naive_loop_exactly(digits, codec, distance):
    X, Y = digits
    fast = pairwise(X[:4], Y[:6], codec=codec, distance=distance, n_jobs=2, progress=False)
    naive = pairwise_naive(X[:4], Y[:6], codec=codec, distance=distance)
    np.testing.assert_array_equal(fast, naive)


@pytest.mark.parametrize("serializer", ["q2", "binary"])
def test_serializers_are_shared_by_the_fast_and_naive_paths(digits, serializer):
    X, Y = digits
    np.testing.assert_array_equal(
        pairwise(X, Y, codec="zlib", serializer=serializer, progress=False),
        pairwise_naive(X, Y, codec="zlib", serializer=serializer),
    )


@pytest.mark.parametrize("codec", ["zstd", "ctx", "ctx-ref", "ctx-ref-asym"])
def test_self_matrix_is_symmetric_with_small_diagonal(codec):
    X = load("mnist-5k").subset(n=20, seed=0).images  # 28x28: room for adaptive models to learn
    D = pairwise(
        X, codec=codec, serializer="binary" if codec.startswith("ctx") else "raw", block_rows=5
    )
    np.testing.assert_array_equal(D, D.T)
    off = np.where(np.eye(len(X), dtype=bool), np.inf, D)
    assert np.all(np.diag(D) < off.min(axis=1))  # every image is its own nearest neighbor
    if codec != "ctx":  # codecs that can copy make NCD(x, x) small; ctx only re-learns statistics
        assert np.diag(D).mean() < 0.5 * off[np.isfinite(off)].mean()


def test_context_matrix_blocks_do_not_change_results(digits):
    X, Y = digits
    a = pairwise(X, Y, codec="ctx-ref", serializer="binary", block_rows=1, n_jobs=1)
    b = pairwise(X, Y, codec="ctx-ref", serializer="binary", n_jobs=2)
    np.testing.assert_array_equal(a, b)


def test_ctx_ref_ncd_follows_its_documented_joint(digits):
    from ncdvision.ncd import RefContextCoder, get_serializer

    X, Y = digits
    ser = get_serializer("binary").fit(Y)
    coder = RefContextCoder()
    dx, dy = coder.prepare(ser.transform(X[:1]), 2), coder.prepare(ser.transform(Y[:1]), 2)
    cx, cy = dx.lengths[0], dy.lengths[0]
    c_y_x = coder.conditional_block(dx, dy)[0, 0]
    c_x_y = coder.conditional_block(dy, dx)[0, 0]
    joint = 0.5 * (cx + c_y_x + cy + c_x_y)
    expected = (joint - min(cx, cy)) / max(cx, cy)
    got = pairwise(X[:1], Y[:1], codec="ctx-ref", serializer="binary")[0, 0]
    assert got == pytest.approx(expected, rel=1e-6)


def test_out_accepts_a_memory_mapped_array(tmp_path, digits):
    X, Y = digits
    out = np.lib.format.open_memmap(tmp_path / "D.npy", mode="w+", dtype=np.float32, shape=(12, 18))
    pairwise(X, Y, codec="zlib", out=out)
    out.flush()
    np.testing.assert_array_equal(np.load(tmp_path / "D.npy"), pairwise(X, Y, codec="zlib"))


def test_too_large_matrix_is_refused_with_its_size(monkeypatch, digits):
    X, Y = digits
    monkeypatch.setattr(distance_mod, "MAX_MATRIX_BYTES", 100)
    with pytest.raises(
        MemoryError,
        match=r"12 x 18 float32 distance matrix needs 864 B, above the 100 B limit.*kneighbors\(\).*open_memmap",
    ):
        pairwise(X, Y, codec="zlib")


@pytest.mark.parametrize("codec,serializer", [("zlib", "raw"), ("ctx-ref", "binary")])
def test_kneighbors_matches_the_full_matrix(digits, codec, serializer):
    X, Y = digits
    D = pairwise(X, Y, codec=codec, serializer=serializer)
    dist, idx = kneighbors(X, Y, k=4, codec=codec, serializer=serializer, block_rows=5)
    order = np.lexsort((np.broadcast_to(np.arange(D.shape[1]), D.shape), D), axis=1)[:, :4]
    np.testing.assert_array_equal(idx, order)
    np.testing.assert_array_equal(dist, np.take_along_axis(D, order, 1))


def test_kneighbors_leave_one_out_never_returns_self(digits):
    X, _ = digits
    dist, idx = kneighbors(X, k=3, codec="zstd", block_rows=4)
    assert not np.any(idx == np.arange(len(X))[:, None])
    D = pairwise(X, X, codec="zstd")
    np.fill_diagonal(D, np.inf)
    np.testing.assert_array_equal(dist[:, 0], D.min(axis=1))


def test_top_k_breaks_ties_by_lower_index():
    D = np.array([[0.5, 0.2, 0.2, 0.2, 0.9]], np.float32)
    d, i = top_k(D, 2)
    np.testing.assert_array_equal(i, [[1, 2]])
    np.testing.assert_array_equal(top_k(D, 5)[1], [[1, 2, 3, 0, 4]])


def test_compressed_lengths_are_header_corrected_bits(digits):
    import zlib

    X, _ = digits
    got = compressed_lengths(X[:3], codec="zlib")
    expected = [
        8 * (len(zlib.compress(x.tobytes(), 9)) - len(zlib.compress(b"", 9))) for x in X[:3]
    ]
    np.testing.assert_array_equal(got, expected)


def test_bad_inputs_name_what_was_expected(digits):
    X, Y = digits
    with pytest.raises(ValueError, match=r"X: mixed image shapes: image 1 has shape \(3, 3\)"):
        pairwise([np.zeros((2, 2), np.uint8), np.zeros((3, 3), np.uint8)])
    with pytest.raises(ValueError, match="float images are ambiguous"):
        pairwise(X / 255.0, Y)
    with pytest.raises(ValueError, match="contains NaN"):
        pairwise(np.full((2, 4, 4), np.nan), Y)
    with pytest.raises(ValueError, match="X is empty"):
        pairwise(np.zeros((0, 8, 8), np.uint8), Y)
    with pytest.raises(ValueError, match="values outside 0..255"):
        pairwise(X.astype(np.int32) * 10, Y)
    with pytest.raises(ValueError, match=r"differ in shape: \(8, 8\) vs \(4, 4\)"):
        pairwise(X, np.zeros((3, 4, 4), np.uint8))
    with pytest.raises(ValueError, match="k=19 is larger than the 18 available"):
        kneighbors(X, Y, k=19)
    with pytest.raises(ValueError, match="k=12 is larger than the 11 available"):
        kneighbors(X, k=12)
    with pytest.raises(ValueError, match="unknown codec 'zip'"):
        pairwise(X, Y, codec="zip")
    with pytest.raises(ValueError, match="unknown serializer 'gray'"):
        pairwise(X, Y, serializer="gray")
    with pytest.raises(ValueError, match="unknown distance 'l2'"):
        pairwise(X, Y, distance="l2")
    with pytest.raises(ValueError, match="2..16 symbol levels"):
        pairwise(X, Y, codec="ctx-ref", serializer="raw")
