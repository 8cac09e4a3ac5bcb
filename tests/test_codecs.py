import gzip
import zlib

import numpy as np
import pytest

from ncdvision.ncd import available_codecs, get_codec, get_serializer, otsu_threshold

BYTE_CODECS = ["zlib", "gzip", "bz2", "lzma", "zstd", "brotli"]


@pytest.mark.parametrize("name", BYTE_CODECS)
def test_byte_codecs_round_trip_and_subtract_their_header(name):
    codec = get_codec(name)
    data = bytes(range(256)) * 3
    assert codec.decompress(codec.compress(data)) == data
    assert codec.length(b"") == 0
    assert codec.header_bits == 8 * len(codec.compress(b""))
    assert codec.length(data) == 8 * len(codec.compress(data)) - codec.header_bits


@pytest.mark.parametrize("name", BYTE_CODECS)
def test_joint_lengths_equal_compressing_the_concatenation(name):
    codec = get_codec(name)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, 700, dtype=np.uint8).tobytes()
    ys = [rng.integers(0, 4, n, dtype=np.uint8).tobytes() for n in (0, 1, 300, 700, 2000)]
    expected = [codec.length(x + y) for y in ys]
    np.testing.assert_array_equal(codec.joint_lengths(x, ys), expected)


def test_gzip_lengths_match_the_standard_library():
    data = b"abracadabra" * 50
    assert get_codec("gzip:9").length(data) == 8 * (
        len(gzip.compress(data, 9)) - len(gzip.compress(b"", 9))
    )
    assert get_codec("zlib").length(data) == 8 * (
        len(zlib.compress(data, 9)) - len(zlib.compress(b"", 9))
    )


@pytest.mark.parametrize("name", ["png", "webp", "jpegxl", "jpegls"])
def test_image_codecs_are_lossless_and_join_side_by_side(name):
    codec = get_codec(name)
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (9, 7), dtype=np.uint8)
    np.testing.assert_array_equal(codec.decompress(codec.compress(img), gray=True), img)
    joint = codec.concat(img, img[::-1])
    assert joint.shape == (9, 14)
    assert codec.joint_lengths(img, [img[::-1]])[0] == codec.length(joint)
    assert codec.length(np.zeros((1, 1), np.uint8)) == 0


def test_registry_parameters_and_unknown_names():
    assert get_codec("zstd:3").level == 3
    assert get_codec("brotli", quality=5).quality == 5
    assert set(BYTE_CODECS + ["png", "webp", "ctx", "ctx-ref", "ctx-ref-asym"]) <= set(
        available_codecs()
    )
    with pytest.raises(ValueError, match=r"unknown codec 'snappy'; known codecs: zlib, gzip"):
        get_codec("snappy")
    with pytest.raises(ValueError, match="level must be an integer in"):
        get_codec("zlib:12")


def test_serializers():
    img = np.array([[[0, 63, 64, 255]]], np.uint8)
    np.testing.assert_array_equal(get_serializer("q2").transform(img), [[[0, 0, 1, 3]]])
    np.testing.assert_array_equal(get_serializer("binary:63").transform(img), [[[0, 0, 1, 1]]])
    assert get_serializer("raw").levels == 256 and get_serializer("q3").levels == 8
    thermo = get_serializer("thermo:3")  # 1 where x > 64, 128, 192: planes become channels
    np.testing.assert_array_equal(
        thermo.transform(img)[0, 0], [[0, 0, 0], [0, 0, 0], [0, 0, 0], [1, 1, 1]]
    )
    assert thermo.levels == 2 and thermo.transform(np.zeros((2, 3, 3, 3), np.uint8)).shape[-1] == 9
    with pytest.raises(ValueError, match="unknown serializer 'jpeg'"):
        get_serializer("jpeg")
    with pytest.raises(RuntimeError, match="fit"):
        get_serializer("binary").transform(img)


def test_otsu_threshold_separates_two_modes_and_is_fitted_on_training_only():
    rng = np.random.default_rng(0)
    train = (
        np.concatenate([rng.normal(40, 5, 500), rng.normal(200, 5, 500)])
        .clip(0, 255)
        .astype(np.uint8)
    )
    t = otsu_threshold(train)
    assert 60 < t < 180
    ser = get_serializer("binary").fit(train[None, None])
    ser.transform(np.full((1, 2, 2), 255, np.uint8))
    assert ser.threshold == t  # transforming other images does not refit
