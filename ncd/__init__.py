"""Compression distances for images: codecs, serializers, context coders, matrices, kNN.

>>> from ncdvision.ncd import pairwise, kneighbors
>>> D = pairwise(test_images, train_images, codec="zstd")            # doctest: +SKIP
>>> dist, idx = kneighbors(test_images, train_images, k=5, codec="ctx-ref", serializer="binary")  # doctest: +SKIP
"""

from .codecs import Codec, available_codecs, get_codec
from .context import ContextCoder, RefContextCoder
from .distance import (
    DISTANCES,
    MAX_MATRIX_BYTES,
    Compressor,
    check_images,
    compressed_lengths,
    kneighbors,
    pairwise,
    pairwise_naive,
    top_k,
)
from .knn import NCDKNNClassifier
from .serialize import get_serializer, otsu_threshold

__all__ = [
    "DISTANCES",
    "MAX_MATRIX_BYTES",
    "NCDKNNClassifier",
    "Codec",
    "Compressor",
    "ContextCoder",
    "RefContextCoder",
    "available_codecs",
    "check_images",
    "compressed_lengths",
    "get_codec",
    "get_serializer",
    "kneighbors",
    "otsu_threshold",
    "pairwise",
    "pairwise_naive",
    "top_k",
]
