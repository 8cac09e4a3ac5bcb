"""Compression distances, pairwise matrices and streamed top-k neighbours.

Distances from header-corrected lengths C(x), C(y) and the joint C(xy) (all in bits):

- ``ncd`` (default), Normalized Compression Distance (Li, Vitanyi et al. 2004):
  ``(C(xy) - min(C(x), C(y))) / max(C(x), C(y))``
- ``cdm``, Compression-based Dissimilarity Measure (Keogh et al. 2004): ``C(xy) / (C(x) + C(y))``
- ``clm``, Chen-Li Metric: ``1 - (C(x) + C(y) - C(xy)) / C(xy)``

The joint C(xy) is always compression of the concatenation: bytes one after the other for byte
codecs, images side by side for PNG/WebP, x then y through one adaptive model for ``ctx``, and
C(x) + C(y|x) for ``ctx-ref``. ``pairwise(X, Y)`` puts X first in every pair.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from .codecs import Codec, get_codec
from .context import ContextData, set_threads
from .serialize import Serializer, get_serializer

#: pairwise() refuses an in-memory result larger than this (bytes) unless the environment
#: variable NCDVISION_MAX_MATRIX_BYTES says otherwise; pass out= or use kneighbors.
MAX_MATRIX_BYTES = 4 << 30
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def max_matrix_bytes() -> int:
    """The in-memory matrix limit: ``$NCDVISION_MAX_MATRIX_BYTES`` (bytes, or with a binary
    unit: ``512M``, ``4G``, ``4GiB``), else :data:`MAX_MATRIX_BYTES`."""
    raw = os.environ.get("NCDVISION_MAX_MATRIX_BYTES")
    if raw is None or not raw.strip():
        return MAX_MATRIX_BYTES
    text = raw.strip().upper().removesuffix("B").removesuffix("I")
    number, unit = (text[:-1], text[-1]) if text[-1:] in _UNITS and text[-1:] else (text, "")
    try:
        value = int(float(number) * _UNITS[unit])
    except ValueError:
        value = -1
    if value <= 0:
        raise ValueError(
            f"NCDVISION_MAX_MATRIX_BYTES={raw!r}: expected a positive size in bytes, optionally "
            "with a unit K, M, G or T (powers of 1024), e.g. 4G or 4294967296"
        )
    return value


_BLOCK_BYTES = 32 << 20  # working memory per block of the distance matrix


def _ncd(cx, cy, cxy):
    return (cxy - np.minimum(cx, cy)) / np.maximum(np.maximum(cx, cy), 1e-12)


def _cdm(cx, cy, cxy):
    return cxy / np.maximum(cx + cy, 1e-12)


def _clm(cx, cy, cxy):
    return 1.0 - (cx + cy - cxy) / np.maximum(cxy, 1e-12)


DISTANCES: dict[str, Callable] = {"ncd": _ncd, "cdm": _cdm, "clm": _clm}


def get_distance(name: str) -> Callable:
    if name not in DISTANCES:
        raise ValueError(f"unknown distance {name!r}; known: {', '.join(DISTANCES)}")
    return DISTANCES[name]


# ---------------------------------------------------------------------------- input checks


def check_images(X, name: str = "X", allow_empty: bool = False) -> np.ndarray:
    """Validate an image batch: uint8 (N, H, W) or (N, H, W, C), all of one shape.

    Float images are refused: whether they are in [0, 1] or [0, 255] cannot be told safely.
    Integer arrays within 0..255 are converted; anything else names what was expected.
    """
    if isinstance(X, (list, tuple)):
        if not X:
            raise ValueError(f"{name} is empty; expected at least one image")
        shapes = [np.shape(x) for x in X]
        for i, s in enumerate(shapes):
            if s != shapes[0]:
                raise ValueError(
                    f"{name}: mixed image shapes: image {i} has shape {s}, image 0 has {shapes[0]}"
                )
        X = np.stack([np.asarray(x) for x in X])
    X = np.asarray(X)
    if X.dtype == object:
        raise ValueError(
            f"{name}: mixed image shapes or non-numeric data (object array); expected uint8 (N,H,W[,C])"
        )
    if X.ndim not in (3, 4) or (X.ndim == 4 and X.shape[3] not in (1, 3, 4)):
        raise ValueError(
            f"{name}: expected images of shape (N,H,W) or (N,H,W,C) with C in 1,3,4; got {X.shape}"
        )
    if X.shape[0] == 0 and not allow_empty:
        raise ValueError(f"{name} is empty; expected at least one image")
    if 0 in X.shape[1:3]:
        raise ValueError(f"{name}: images of shape {X.shape[1:]} have no pixels")
    if np.issubdtype(X.dtype, np.floating):
        if np.isnan(X).any():
            raise ValueError(f"{name} contains NaN; expected uint8 images")
        raise ValueError(
            f"{name} has dtype {X.dtype}: float images are ambiguous. Convert to uint8 first: "
            f"(X * 255).round().astype(np.uint8) for [0, 1] data, X.round().astype(np.uint8) for [0, 255]"
        )
    if X.dtype == np.bool_:
        raise ValueError(f"{name} is boolean; expected uint8 (use X.astype(np.uint8) * 255)")
    if X.dtype != np.uint8:
        if not np.issubdtype(X.dtype, np.integer):
            raise ValueError(f"{name} has dtype {X.dtype}; expected uint8 images")
        if X.size and (X.min() < 0 or X.max() > 255):
            raise ValueError(f"{name} ({X.dtype}) has values outside 0..255; expected uint8 images")
        X = X.astype(np.uint8)
    return np.ascontiguousarray(X)


def _check_pair(X, Y):
    if X.shape[1:] != Y.shape[1:]:
        raise ValueError(f"X and Y images differ in shape: {X.shape[1:]} vs {Y.shape[1:]}")


# -------------------------------------------------------------------------------- backends


@dataclass
class _ByteData:
    items: list  # bytes (byte codecs) or symbol images (image codecs)
    lengths: np.ndarray  # C(x) in bits

    def take(self, rows) -> _ByteData:
        idx = range(len(self.items))[rows] if isinstance(rows, slice) else rows
        return _ByteData([self.items[i] for i in idx], self.lengths[rows])


class _CodecBackend:
    """Runs a byte or image codec over a block, rows spread over a thread pool (zlib, bz2,
    lzma, zstd and brotli release the GIL while compressing)."""

    def __init__(self, codec: Codec, n_jobs: int):
        self.codec = codec
        self.n_jobs = n_jobs

    def prepare(self, symbols: np.ndarray, levels: int) -> _ByteData:
        if self.codec.kind == "bytes":
            items = [s.tobytes() for s in symbols]
        else:
            items = list(
                symbols[..., 0] if symbols.ndim == 4 and symbols.shape[3] == 1 else symbols
            )
        lengths = np.fromiter(self._map(self.codec.length, items), np.float64, len(items))
        return _ByteData(items, lengths)

    def _map(self, fn, items) -> Iterator:
        if self.n_jobs == 1 or len(items) < 2:
            return map(fn, items)
        with ThreadPoolExecutor(self.n_jobs) as pool:
            return iter(list(pool.map(fn, items)))

    def joint_block(self, dx: _ByteData, dy: _ByteData) -> np.ndarray:
        rows = self._map(lambda x: self.codec.joint_lengths(x, dy.items), dx.items)
        return np.stack(list(rows)) if dx.items else np.empty((0, len(dy.items)))


class _ContextBackend:
    def __init__(self, coder, n_jobs: int):
        self.coder = coder
        self.n_jobs = n_jobs

    def prepare(self, symbols: np.ndarray, levels: int) -> ContextData:
        set_threads(self.n_jobs)
        return self.coder.prepare(symbols, levels)

    def joint_block(self, dx: ContextData, dy: ContextData) -> np.ndarray:
        set_threads(self.n_jobs)
        return self.coder.joint_block(dx, dy)


def _n_jobs(n_jobs: int | None) -> int:
    if n_jobs is None:
        return 1
    return (os.cpu_count() or 1) if n_jobs < 0 else max(1, int(n_jobs))


class Compressor:
    """A codec and a serializer bound together, fitted on reference images.

    This is what :func:`pairwise`, :func:`kneighbors` and the classifiers share: the serializer
    is fitted once (on the training/reference images), each image's C(x) is computed once and
    reused, and :meth:`distances` gives a block of the distance matrix.
    """

    def __init__(self, codec="zstd", serializer="raw", distance="ncd", n_jobs: int | None = -1):
        self.codec = get_codec(codec)
        self.serializer: Serializer = get_serializer(serializer)
        self.distance = distance
        self._dist = get_distance(distance)
        self.n_jobs = _n_jobs(n_jobs)
        if getattr(self.codec, "kind", None) == "context":
            self.backend = _ContextBackend(self.codec, self.n_jobs)
        else:
            self.backend = _CodecBackend(self.codec, self.n_jobs)

    def fit(self, images: np.ndarray, labels=None) -> Compressor:
        """Fit the serializer (and a learned coder's prior counts, which need ``labels``)."""
        X = check_images(images, "reference images")
        self.serializer.fit(X)
        if getattr(self.codec, "learned", False):
            if labels is None:
                raise ValueError(
                    f"codec {self.codec.name!r} learns from labelled training images: pass "
                    "labels (NCDKNNClassifier does), or use 'ctx-ref'"
                )
            set_threads(self.n_jobs)
            self.codec.fit(self.serializer.transform(X), self.serializer.levels, labels)
        return self

    def prepare(self, images: np.ndarray, name: str = "X"):
        """Serialized images with their lengths C(x) (bits)."""
        X = check_images(images, name)
        return self.backend.prepare(self.serializer.transform(X), self.serializer.levels)

    def distances(self, dx, dy) -> np.ndarray:
        joint = self.backend.joint_block(dx, dy)
        return self._dist(dx.lengths[:, None], dy.lengths[None, :], joint).astype(np.float32)

    def __repr__(self) -> str:
        return f"Compressor(codec={self.codec!r}, serializer={self.serializer.name!r}, distance={self.distance!r})"


def compressed_lengths(
    X, codec="zstd", serializer="raw", n_jobs: int | None = -1, fit_on=None
) -> np.ndarray:
    """C(x) in bits, header-corrected, for each image (serializer fitted on ``fit_on`` or X)."""
    comp = Compressor(codec, serializer, n_jobs=n_jobs).fit(X if fit_on is None else fit_on)
    return comp.prepare(X).lengths.copy()


# ------------------------------------------------------------------------------ matrices


def check_block_rows(block_rows) -> None:
    if block_rows is not None and (
        isinstance(block_rows, bool) or not isinstance(block_rows, (int, np.integer))
        or block_rows < 1
    ):  # fmt: skip
        raise ValueError(f"block_rows must be a positive integer or None, got {block_rows!r}")


def _row_blocks(n_rows: int, n_cols: int, block_rows: int | None) -> list[slice]:
    if block_rows is None:
        block_rows = max(1, min(n_rows, _BLOCK_BYTES // max(8 * n_cols, 1), 512))
    return [slice(s, min(s + block_rows, n_rows)) for s in range(0, n_rows, block_rows)]


def _progress(total: int, enabled: bool | None, desc: str):
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        desc=desc,
        unit="pair",
        unit_scale=True,
        disable=not enabled if enabled is not None else total < 2_000_000,
        leave=False,
    )


def pairwise(
    X,
    Y=None,
    *,
    codec="zstd",
    serializer="raw",
    distance: str = "ncd",
    n_jobs: int | None = -1,
    out: np.ndarray | None = None,
    block_rows: int | None = None,
    progress: bool | None = None,
    compressor: Compressor | None = None,
) -> np.ndarray:
    """Distance matrix between images X and Y (float32, shape (n_x, n_y)).

    Parameters
    ----------
    X, Y : uint8 arrays (N, H, W[, C])
        With ``Y=None`` the matrix is X against itself; each unordered pair is compressed once
        (as x_i followed by x_j, i < j) and mirrored, so the result is exactly symmetric. The
        diagonal holds NCD(x, x), which is small but not zero.
    codec : str or codec object
        See :func:`~ncdvision.ncd.codecs.available_codecs`.
    serializer : str
        ``raw``, ``q1``..``q8``, ``binary`` (Otsu threshold fitted on Y, or X when Y is None).
    distance : {"ncd", "cdm", "clm"}
    n_jobs : int
        Threads for byte codecs, numba threads for context coders; -1 uses all cores.
    out : array, optional
        A float32 (n_x, n_y) array to fill, e.g. ``np.lib.format.open_memmap``; required when
        the matrix exceeds :data:`MAX_MATRIX_BYTES`.
    compressor : Compressor, optional
        A fitted one (instead of codec/serializer/distance), e.g. ``ctx-ref-learned`` fitted
        with training labels.
    """
    X = check_images(X, "X")
    sym = Y is None
    Y = X if sym else check_images(Y, "Y")
    _check_pair(X, Y)
    check_block_rows(block_rows)
    n_x, n_y = len(X), len(Y)
    if out is None:
        need, limit = 4 * n_x * n_y, max_matrix_bytes()
        if need > limit:
            raise MemoryError(
                f"a {n_x} x {n_y} float32 distance matrix needs {need / 2**30:.2f} GiB, above the "
                f"{limit / 2**30:.2f} GiB limit (NCDVISION_MAX_MATRIX_BYTES). Use "
                "kneighbors() for top-k neighbours, or pass out=np.lib.format.open_memmap(path, "
                f"mode='w+', dtype=np.float32, shape=({n_x}, {n_y}))"
            )
        out = np.empty((n_x, n_y), np.float32)
    elif out.shape != (n_x, n_y) or out.dtype != np.float32:
        raise ValueError(
            f"out must be float32 with shape ({n_x}, {n_y}), got {out.dtype} {out.shape}"
        )

    comp = compressor or Compressor(codec, serializer, distance, n_jobs).fit(Y)
    dy = comp.prepare(Y, "Y")
    dx = dy if sym else comp.prepare(X, "X")
    total = n_x * (n_x + 1) // 2 if sym else n_x * n_y
    with _progress(total, progress, f"pairwise {getattr(comp.codec, 'name', '')}") as bar:
        for rows in _row_blocks(n_x, n_y, block_rows):
            if sym:  # the upper triangle, row block against columns from its first row on
                cols = slice(rows.start, n_y)
                D = comp.distances(dx.take(rows), dy.take(cols))
                for r in range(rows.stop - rows.start):
                    i = rows.start + r
                    out[i, i:] = D[r, r:]
                    out[i:, i] = D[r, r:]
                bar.update(int(sum(n_y - i for i in range(rows.start, rows.stop))))
            else:
                out[rows] = comp.distances(dx.take(rows), dy)
                bar.update((rows.stop - rows.start) * n_y)
    return out


def kneighbors(
    X,
    Y=None,
    k: int = 5,
    *,
    codec="zstd",
    serializer="raw",
    distance: str = "ncd",
    n_jobs: int | None = -1,
    block_rows: int | None = None,
    progress: bool | None = None,
    compressor: Compressor | None = None,
    exclude: np.ndarray | None = None,
    prepared_y=None,
) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest Y images of each X image, without forming the full matrix.

    Rows of X are processed in blocks; only the k best of each row are kept, so memory is
    O(n_x * k + block_rows * n_y). With ``Y=None`` the neighbours come from X itself, leaving
    each point out (leave-one-out). ``exclude[i]`` is an index of Y that row i must not return
    (its own copy, when X is drawn from Y). Ties in distance are broken by the lower index.
    ``compressor`` and ``prepared_y`` let a caller reuse a fitted serializer and Y's C(y).

    Returns
    -------
    distances : float32 (n_x, k), ascending
    indices : int64 (n_x, k), into Y
    """
    X = check_images(X, "X")
    loo = Y is None
    Y = X if loo else check_images(Y, "Y")
    _check_pair(X, Y)
    n_x, n_y = len(X), len(Y)
    check_block_rows(block_rows)
    if loo:
        exclude = np.arange(n_x)
    n_avail = n_y - 1 if exclude is not None else n_y
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if k > n_avail:
        raise ValueError(f"k={k} is larger than the {n_avail} available neighbours in Y")
    comp = compressor or Compressor(codec, serializer, distance, n_jobs).fit(Y)
    dy = prepared_y if prepared_y is not None else comp.prepare(Y, "Y")
    dx = dy if loo else comp.prepare(X, "X")
    dist = np.empty((n_x, k), np.float32)
    idx = np.empty((n_x, k), np.int64)
    with _progress(n_x * n_y, progress, f"kneighbors {getattr(comp.codec, 'name', '')}") as bar:
        for rows in _row_blocks(n_x, n_y, block_rows):
            D = comp.distances(dx.take(rows), dy)
            if exclude is not None:
                D[np.arange(rows.stop - rows.start), exclude[rows]] = np.inf
            dist[rows], idx[rows] = top_k(D, k)
            bar.update(D.size)
    return dist, idx


def top_k(D: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise k smallest, ascending, ties broken by the lower column index."""
    if k < D.shape[1]:
        part = np.argpartition(D, k - 1, axis=1)[:, :k]
        # argpartition may cut a tie at the k-th value arbitrarily: take all columns that are
        # not worse than the k-th value, then sort by (distance, index)
        kth = np.take_along_axis(D, part, 1).max(axis=1, keepdims=True)
        out_d = np.empty((D.shape[0], k), D.dtype)
        out_i = np.empty((D.shape[0], k), np.int64)
        for r in range(D.shape[0]):
            cand = np.flatnonzero(D[r] <= kth[r])
            order = np.lexsort((cand, D[r, cand]))[:k]
            out_i[r] = cand[order]
            out_d[r] = D[r, out_i[r]]
        return out_d, out_i
    order = np.lexsort((np.broadcast_to(np.arange(D.shape[1]), D.shape), D), axis=1)[:, :k]
    return np.take_along_axis(D, order, 1), order.astype(np.int64)


def pairwise_naive(X, Y, *, codec="gzip", serializer="raw", distance: str = "ncd") -> np.ndarray:
    """The reference: a Python double loop that recompresses y and x+y for every pair, as
    published compression-kNN code does. Same distances as :func:`pairwise`; for tests and
    the speed baseline."""
    codec = get_codec(codec)
    ser = get_serializer(serializer).fit(Y)
    fn = get_distance(distance)
    xs = [s.tobytes() if codec.kind == "bytes" else s for s in ser.transform(check_images(X))]
    ys = [s.tobytes() if codec.kind == "bytes" else s for s in ser.transform(check_images(Y))]
    out = np.empty((len(xs), len(ys)), np.float32)
    for i, x in enumerate(xs):
        cx = codec.length(x)
        for j, y in enumerate(ys):
            cy = codec.length(y)
            cxy = codec.length(codec.concat(x, y))
            out[i, j] = fn(np.float64(cx), np.float64(cy), np.float64(cxy))
    return out
