"""Compression distances and pairwise matrices (top-k neighbors: :mod:`.search`).

Distances from header-corrected lengths C(x), C(y) and the joint C(xy) (all in bits):

- ``ncd`` (default), Normalized Compression Distance (Li, Vitanyi et al. 2004):
  ``(C(xy) - min(C(x), C(y))) / max(C(x), C(y))``
- ``cdm``, Compression-based Dissimilarity Measure (Keogh et al. 2004): ``C(xy) / (C(x) + C(y))``
- ``clm``, Chen-Li Metric: ``1 - (C(x) + C(y) - C(xy)) / C(xy)``

The joint C(xy) is always compression of the concatenation: bytes one after the other for byte
codecs, images side by side for PNG/WebP, x then y through one adaptive model for ``ctx``, and
C(x) + C(y|x) for ``ctx-ref``. ``pairwise(X, Y)`` puts X first in every pair.

Every distance is clipped at 0. A codec can code a near-identical pair in fewer bits than
the smaller image alone (zstd, brotli and PNG do; the context coders cannot), which would make
NCD slightly negative. The raw lengths stay available: :func:`.compressor.compressed_lengths` gives C(x),
and :meth:`.Compressor.prepare` with the codec's ``joint_block`` gives C(xy).

The default codec is ``ctx-ref`` on binary planes, the one that serves images (zstd on raw
bytes is near chance on mnist-5k); ``NCDKNNClassifier(codec="auto")`` chooses among several
where labels exist.
"""

from __future__ import annotations

import numpy as np

from ncdvision.datasets.limits import format_size, parse_size

from .coder import get_codec
from .compressor import Compressor
from .formulas import get_distance
from .serialize import get_serializer
from .validation import check_block_rows, check_images

#: pairwise() refuses an in-memory result larger than this (bytes) unless the environment
#: variable NCDVISION_MAX_MATRIX_BYTES says otherwise; pass out= or use kneighbors.
MAX_MATRIX_BYTES = 4 << 30


def max_matrix_bytes() -> int:
    """The in-memory matrix limit: ``$NCDVISION_MAX_MATRIX_BYTES`` (bytes, or with a binary
    unit: ``512M``, ``4G``, ``4GiB``), else :data:`MAX_MATRIX_BYTES`."""
    return parse_size("NCDVISION_MAX_MATRIX_BYTES", MAX_MATRIX_BYTES)


_BLOCK_BYTES = 32 << 20  # working memory per block of the distance matrix


def check_pair(X, Y):
    if X.shape[1:] != Y.shape[1:]:
        raise ValueError(f"X and Y images differ in shape: {X.shape[1:]} vs {Y.shape[1:]}")


def check_backend(backend: str) -> None:
    if backend not in ("local", "dask"):
        raise ValueError(f"backend must be 'local' or 'dask', got {backend!r}")


# ------------------------------------------------------------------------------ matrices


def row_blocks(n_rows: int, n_cols: int, block_rows: int | None) -> list[slice]:
    if block_rows is None:
        block_rows = max(1, min(n_rows, _BLOCK_BYTES // max(8 * n_cols, 1), 512))
    return [slice(s, min(s + block_rows, n_rows)) for s in range(0, n_rows, block_rows)]


def checked_inputs(X, Y, block_rows, backend) -> tuple[np.ndarray, np.ndarray, bool]:
    """The checks every search entry point (:func:`pairwise`, :func:`~.search.kneighbors`)
    makes before any work: the images, their pairing, the block size and the backend.

    Parameters
    ----------
    X, Y : array-like or None
        The query images and the images searched (None: ``X`` itself).
    block_rows : int or None
        Rows per block.
    backend : str
        ``"local"`` or ``"dask"``.

    Returns
    -------
    X, Y : ndarray of uint8
        Checked; ``Y`` is ``X`` when it was None.
    same : bool
        Whether ``Y`` was None.
    """
    X = check_images(X, "X")
    same = Y is None
    Y = X if same else check_images(Y, "Y")
    check_pair(X, Y)
    check_block_rows(block_rows)
    check_backend(backend)
    return X, Y, same


def map_row_blocks(fn, comp: Compressor, shared: tuple, block_args, n_x: int, n_y: int,
                   block_rows: int | None, backend: str, scheduler=None):  # fmt: skip
    """The one row-block engine: ``(rows, fn(comp, *shared, *block_args(rows)))`` for every
    block of rows of X, computed here in order or on a Dask cluster as tasks finish (the
    results are identical; :mod:`.distributed` ships ``comp`` and ``shared`` once per worker).

    Parameters
    ----------
    fn : callable
        The block function.
    comp : Compressor
        The fitted compressor.
    shared : tuple
        Arguments every block shares (the prepared Y, ...).
    block_args : callable
        ``rows -> tuple`` of the block's own arguments.
    n_x, n_y : int
        Rows of X and Y.
    block_rows : int or None
        Rows per block (None: about 32 MB of work per block, or the cluster's share).
    backend : {"local", "dask"}
        Where the blocks run.
    scheduler : optional
        The Dask scheduler.

    Returns
    -------
    iterator of (slice, object)
    """
    if backend == "local":
        return ((rows, fn(comp, *shared, *block_args(rows)))
                for rows in row_blocks(n_x, n_y, block_rows))  # fmt: skip
    from .distributed import map_blocks, task_rows

    def make_blocks(n_workers):
        size = block_rows or task_rows(n_x, n_workers)
        return [(rows, block_args(rows)) for rows in row_blocks(n_x, n_y, size)]

    return map_blocks(fn, comp, shared, make_blocks, scheduler=scheduler)


def progress_bar(total: int, enabled: bool | None, desc: str):
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
    codec="ctx-ref",
    serializer="auto",
    distance: str = "ncd",
    n_jobs: int | None = -1,
    out: np.ndarray | None = None,
    block_rows: int | None = None,
    progress: bool | None = None,
    compressor: Compressor | None = None,
    backend: str = "local",
    scheduler=None,
) -> np.ndarray:
    """Distance matrix between images X and Y (float32, shape (n_x, n_y)).

    Parameters
    ----------
    X, Y : uint8 arrays (N, H, W[, C])
        With ``Y=None`` the matrix is X against itself; each unordered pair is compressed once
        (as x_i followed by x_j, i < j) and mirrored, so the result is exactly symmetric. The
        diagonal holds NCD(x, x), which is small but not zero.
    codec : str or codec object, default="ctx-ref"
        See :func:`~ncdvision.ncd.available_codecs`.
    serializer : str or Serializer, default="auto"
        ``auto`` (``binary`` for context coders, ``raw`` otherwise), ``raw``, ``q1`` to ``q8``,
        ``binary`` (Otsu threshold fitted on Y, or X when Y is None), ``binary:T``,
        ``thermo:K``.
    distance : {"ncd", "cdm", "clm"}, default="ncd"
    n_jobs : int, default=-1
        Threads for byte codecs, numba threads for context coders; -1 uses all cores.
    out : array, optional
        A float32 (n_x, n_y) array to fill, e.g. ``np.lib.format.open_memmap``; required when
        the matrix exceeds :data:`MAX_MATRIX_BYTES`.
    block_rows : int, optional
        Rows of X per block (default: about 32 MB of working memory per block).
    progress : bool, optional
        A progress bar; None shows one only for large matrices.
    compressor : Compressor, optional
        A fitted one (instead of codec/serializer/distance), e.g. ``ctx-ref-learned`` fitted
        with training labels.
    backend : {"local", "dask"}, default="local"
        ``"dask"`` computes row blocks on a Dask cluster (``scheduler``: an address or a
        ``distributed.Client``; see :mod:`.distributed`); the result is identical.
    scheduler : str or distributed.Client, optional
        The Dask cluster for ``backend="dask"``.

    Returns
    -------
    ndarray of float32, shape (n_x, n_y)
        ``out`` when given. Every distance is clipped at 0.

    Raises
    ------
    MemoryError
        When the matrix is larger than :func:`max_matrix_bytes` and ``out`` is not given.
    ValueError
        For images or arguments that are not what is expected (named in the message).

    Examples
    --------
    >>> from ncdvision.datasets import load
    >>> X = load("digits").images[:20]
    >>> D = pairwise(X)
    >>> D.shape, bool((D == D.T).all())
    ((20, 20), True)
    """
    X, Y, sym = checked_inputs(X, Y, block_rows, backend)
    n_x, n_y = len(X), len(Y)
    if out is None:
        need, limit = 4 * n_x * n_y, max_matrix_bytes()
        if need > limit:
            raise MemoryError(
                f"a {n_x} x {n_y} float32 distance matrix needs {format_size(need)}, above the "
                f"{format_size(limit)} limit (NCDVISION_MAX_MATRIX_BYTES). Use "
                "kneighbors() for top-k neighbors, or pass out=np.lib.format.open_memmap(path, "
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
    results = map_row_blocks(_distance_block, comp, (dy,),
                             lambda rows: (dx.take(rows), rows.start if sym else None),
                             n_x, n_y, block_rows, backend, scheduler)  # fmt: skip
    with progress_bar(total, progress, f"pairwise {comp.codec.name}") as bar:
        for rows, D in results:
            if sym:  # the upper triangle, row block against columns from its first row on
                for r in range(rows.stop - rows.start):
                    i = rows.start + r
                    out[i, i:] = D[r, r:]
                    out[i:, i] = D[r, r:]
                bar.update(int(sum(n_y - i for i in range(rows.start, rows.stop))))
            else:
                out[rows] = D
                bar.update(D.size)
    return out


def _distance_block(comp: Compressor, dy, dx_rows, col_start: int | None) -> np.ndarray:
    """One row block of a matrix: against every column, or from ``col_start`` on (the upper
    triangle of X against itself)."""
    return comp.distances(dx_rows, dy if col_start is None else dy.take(slice(col_start, None)))


def pairwise_naive(X, Y, *, codec="gzip", serializer="raw", distance: str = "ncd") -> np.ndarray:
    """The reference: a Python double loop that recompresses y and x+y for every pair, as
    published compression-kNN code does.

    It gives the same distances as :func:`pairwise`, and serves the tests and the speed
    baseline.

    Parameters
    ----------
    X, Y : uint8 arrays (N, H, W[, C])
        Two image batches.
    codec : str or Codec, default="gzip"
        See :func:`~ncdvision.ncd.get_codec`.
    serializer : str or Serializer, default="raw"
        See :func:`~ncdvision.ncd.get_serializer`.
    distance : {"ncd", "cdm", "clm"}, default="ncd"

    Returns
    -------
    ndarray of float32, shape (len(X), len(Y))
    """
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
