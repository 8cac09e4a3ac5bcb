"""Compression distances for images: codecs, serializers, context coders, matrices, kNN.

>>> from ncdvision.ncd import pairwise, kneighbors
>>> D = pairwise(test_images, train_images, codec="zstd")            # doctest: +SKIP
>>> dist, idx = kneighbors(test_images, train_images, k=5, codec="ctx-ref")  # doctest: +SKIP
"""

from .cascade import Cascade, SecondStage, choose_candidates, choose_cascade
from .codecs import ByteCodec
from .coder import Codec, available_codecs, get_codec, register_codec
from .compressor import Compressor, compressed_lengths
from .context import ContextCodec, ContextCoder, RefContextCoder
from .distance import MAX_MATRIX_BYTES, pairwise, pairwise_naive
from .formulas import DISTANCES
from .image_codecs import ImageCodec
from .knn import NCDKNNClassifier, PixelKNNClassifier
from .propagation import NCDLabelSpreading
from .search import kneighbors, top_k
from .serialize import Serializer, get_serializer, otsu_threshold
from .validation import check_images, check_X_y

__all__ = [
    "DISTANCES",
    "MAX_MATRIX_BYTES",
    "ByteCodec",
    "Cascade",
    "Codec",
    "Compressor",
    "ContextCodec",
    "ContextCoder",
    "ImageCodec",
    "NCDKNNClassifier",
    "NCDLabelSpreading",
    "PixelKNNClassifier",
    "RefContextCoder",
    "SecondStage",
    "Serializer",
    "available_codecs",
    "check_X_y",
    "check_images",
    "choose_candidates",
    "choose_cascade",
    "compressed_lengths",
    "get_codec",
    "get_serializer",
    "kneighbors",
    "otsu_threshold",
    "pairwise",
    "pairwise_naive",
    "register_codec",
    "top_k",
]
