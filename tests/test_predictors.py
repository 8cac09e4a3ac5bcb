"""Compressibility predictors: random labels carry no label information, shapes do; noise is
incompressible, shapes are not."""

import pytest

from ncdvision.datasets import load
from ncdvision.ncd.study.predictors import (
    codec_bpp,
    context_bpp,
    intrinsic_dimension,
    label_information,  # fmt: skip
    pixel_variance,
    stream_bpp,
)


@pytest.fixture(scope="module")
def sets():
    return {"shapes": load("shapes", n_per_class=50, seed=0), "noise": load("noise", n=400, seed=0)}


def test_label_information_is_zero_for_random_labels_and_positive_for_shapes(sets):
    noise = label_information(sets["noise"].images, sets["noise"].labels)
    shapes = label_information(sets["shapes"].images, sets["shapes"].labels)
    per_pixel = 28 * 28
    assert abs(noise) < 0.01 * per_pixel * 4  # under 1% of the image's q4 bits
    assert shapes > 10 and shapes > 20 * abs(noise)


def test_noise_is_incompressible_and_shapes_are_not(sets):
    n, s = sets["noise"].images, sets["shapes"].images
    assert codec_bpp(n, "zlib") > 7.9 and codec_bpp(s, "zlib") < 2
    assert stream_bpp(n, "zstd") > 7.9 and stream_bpp(s, "zstd") < codec_bpp(s, "zstd")
    assert context_bpp(n) > 3.9  # q4: 4 bits per value at most, plus adaptation
    assert context_bpp(s, trained=True) < context_bpp(s)
    assert pixel_variance(n) == pytest.approx(255**2 / 12 * (1 + 2 / 255), rel=0.02)
    assert intrinsic_dimension(s, max_images=400) < intrinsic_dimension(n, max_images=400)


def test_stream_needs_a_byte_codec(sets):
    with pytest.raises(ValueError, match="byte codec"):
        stream_bpp(sets["shapes"].images, "png")
