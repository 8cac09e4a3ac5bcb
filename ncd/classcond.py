"""Class-conditional compression classifier: which class's corpus compresses an image best.

For each class c, the length of x given everything seen of class c, C(corpus_c + x) -
C(corpus_c), is realised by a compressor primed with the class:

``codec="zstd"``
    a zstd dictionary trained on the class's serialized training images
    (``zstandard.train_dictionary``); the length is that of x compressed with the dictionary,
    minus the length of compressing empty input with it (the frame header). If a class is too
    small for dictionary training, its images are used as a raw-content dictionary (the corpus
    itself as a prefix).
``codec="ctx"``
    the ``ctx`` context model whose counts start from the class's counts over all its training
    images (the model state after coding the corpus), then adapts on x as usual.

Prediction is the class with the shortest code; a tie goes to the class listed first in
``classes_``. ``predict_proba`` reads code lengths as log-likelihoods with equal class priors:
p(c | x) proportional to 2^-L_c(x). Work per test image is O(classes), against O(training set)
for kNN.
"""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from .context import TEMPLATES, ContextCoder
from .params import Interval, Options, validate_params
from .serialize import Serializer, get_serializer
from .validation import check_images, check_X_y, n_jobs_count

CODECS = ("zstd", "ctx")


class ClassCompressionClassifier(ClassifierMixin, BaseEstimator):
    """Assign each image to the class whose training corpus compresses it into fewest bits.

    Parameters
    ----------
    codec : {"zstd", "ctx"}, default="zstd"
    serializer : str, default="auto"
        ``raw`` for zstd and ``binary`` for ctx when ``"auto"``.
    level : int, default=19
        zstd level.
    dict_size : int, default=65536
        Bytes of each class's zstd dictionary.
    family : str, default="wide"
        Template family of the ``ctx`` model (:data:`ncdvision.ncd.context.TEMPLATES`).
    n_jobs : int, default=-1

    Attributes
    ----------
    classes_ : ndarray
    serializer_ : the fitted serializer
    dictionary_kind_ : list of str
        ``"trained"`` or ``"raw"`` per class (zstd).
    """

    def __init__(self, codec="zstd", serializer="auto", level=19, dict_size=65536,
                 family="wide", n_jobs=-1):  # fmt: skip
        self.codec = codec
        self.serializer = serializer
        self.level = level
        self.dict_size = dict_size
        self.family = family
        self.n_jobs = n_jobs

    _constraints: dict = {
        "codec": [Options(set(CODECS))],
        "serializer": [str, Serializer],
        "level": [Interval(Integral, 1, 22, closed="both")],
        "dict_size": [Interval(Integral, 256, None, closed="left")],
        "family": [Options(set(TEMPLATES))],
        "n_jobs": [Integral, None],
    }

    def fit(self, X, y) -> ClassCompressionClassifier:
        validate_params(self, self._constraints)
        X, self.classes_, y_enc = check_X_y(X, y)
        ser = self.serializer
        if isinstance(ser, str) and ser == "auto":
            ser = "raw" if self.codec == "zstd" else "binary"
        self.serializer_ = copy.deepcopy(get_serializer(ser)).fit(X)
        sym = self.serializer_.transform(X)
        groups = [sym[y_enc == c] for c in range(len(self.classes_))]
        if self.codec == "zstd":
            self._fit_zstd(groups)
        else:
            self._ctx = ContextCoder(family=self.family)
            self._counts = [self._ctx.fit_counts(g, self.serializer_.levels) for g in groups]
        return self

    def _fit_zstd(self, groups) -> None:
        import zstandard

        self._dicts, self.dictionary_kind_ = [], []
        for g in groups:
            samples = [s.tobytes() for s in g]
            try:
                d = zstandard.train_dictionary(self.dict_size, samples, level=self.level)
                kind = "trained"
            except zstandard.ZstdError:  # too few samples to train on
                d = zstandard.ZstdCompressionDict(
                    b"".join(samples)[-self.dict_size :], dict_type=zstandard.DICT_TYPE_RAWCONTENT
                )
                kind = "raw"
            self._dicts.append(d)
            self.dictionary_kind_.append(kind)

    def code_lengths(self, X) -> np.ndarray:
        """Bits to code each image given each class's corpus: (n_images, n_classes)."""
        check_is_fitted(self, "serializer_")
        sym = self.serializer_.transform(check_images(X, "X"))
        if self.codec == "ctx":
            n = n_jobs_count(self.n_jobs)
            data = self._ctx.prepare(sym, self.serializer_.levels, n)
            return np.stack(
                [self._ctx.lengths_given_counts(data, c, n_jobs=n) for c in self._counts], 1
            )
        return self._zstd_lengths([s.tobytes() for s in sym])

    def _zstd_lengths(self, items: list[bytes]) -> np.ndarray:
        import zstandard

        def column(d):
            # one compressor per task: ZstdCompressor must not be shared between threads
            c = zstandard.ZstdCompressor(
                level=self.level, dict_data=d, write_checksum=False, write_content_size=False,
                write_dict_id=False,
            )  # fmt: skip
            header = len(c.compress(b""))
            return [8 * (len(c.compress(b)) - header) for b in items]

        with ThreadPoolExecutor(n_jobs_count(self.n_jobs)) as pool:
            cols = list(pool.map(column, self._dicts))
        return np.asarray(cols, np.float64).T

    def predict(self, X) -> np.ndarray:
        bits = self.code_lengths(X)
        return self.classes_[np.argmin(bits, axis=1)]

    def predict_proba(self, X) -> np.ndarray:
        bits = self.code_lengths(X)
        logp = -np.log(2.0) * (bits - bits.min(axis=1, keepdims=True))
        p = np.exp(logp)
        return p / p.sum(axis=1, keepdims=True)

    def settings(self) -> dict:
        check_is_fitted(self, "serializer_")
        return {"codec": self.codec, "serializer": self.serializer_.name}
