"""Readers for IDX files (MNIST's format, plain or gzipped): one file, an images/labels pair,
and a folder of MNIST-style train and test pairs.

Every reader opens files read-only, sizes what it allocates before allocating
(:mod:`.limits`), and raises :class:`DatasetError` naming the file and what was expected.
A gzipped file is bounded by DEFLATE's largest expansion before it is decompressed.
"""

from __future__ import annotations

import gzip
import io
import math
import os
from pathlib import Path

import numpy as np

from .core import Dataset, DatasetError
from .images import check_regular
from .limits import check_dataset_bytes

#: A DEFLATE stream expands at most about 1032:1; a gzipped IDX whose header claims more
#: than this times the file size is refused before anything is decompressed.
GZIP_MAX_RATIO = 1032
_CHUNK = 1 << 20


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (raw or gzipped) of unsigned bytes, as used by MNIST and Fashion-MNIST.

    The header is checked against the file before the body is read: a raw file must hold
    exactly the bytes the header promises; a gzipped one must be able to (expansion ratio,
    and the size recorded in the gzip trailer); and the body must fit the dataset limit
    (:mod:`.limits`). The body is read in chunks into one array.

    Parameters
    ----------
    path : str or path-like
        An IDX file, raw or gzipped.

    Returns
    -------
    ndarray of uint8
        The array with the header's shape.

    Raises
    ------
    DatasetError
        Naming the file: not IDX, not unsigned bytes, truncated, or larger than the limits.
    """
    path = Path(path)
    check_regular(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            gz = fh.read(2) == b"\x1f\x8b"
            if gz and size >= 18:
                fh.seek(-4, io.SEEK_END)
                isize = int.from_bytes(fh.read(4), "little")
        with (gzip.open if gz else open)(path, "rb") as fh:
            return _read_idx_stream(fh, path, size, isize if gz and size >= 18 else None, gz)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DatasetError(f"{path}: cannot read IDX file ({exc})") from exc


def _read_idx_stream(fh, path: Path, size: int, isize: int | None, gz: bool) -> np.ndarray:
    head = fh.read(4)
    if len(head) < 4 or head[0] != 0 or head[1] != 0:
        raise DatasetError(
            f"{path}: not an IDX file (expected magic 0x0000 08 0N, got {head.hex()})"
        )
    dtype_code, ndim = head[2], head[3]
    if dtype_code != 0x08:
        raise DatasetError(
            f"{path}: IDX data type 0x{dtype_code:02x} is not supported (expected 0x08, unsigned byte)"
        )
    dims = fh.read(4 * ndim)
    if ndim == 0 or len(dims) < 4 * ndim:
        raise DatasetError(f"{path}: IDX header truncated or has 0 dimensions")
    shape = tuple(int.from_bytes(dims[4 * i : 4 * i + 4], "big") for i in range(ndim))
    expected = math.prod(shape)  # exact integer arithmetic: no overflow
    header = 4 + 4 * ndim
    if not gz and size - header != expected:
        raise DatasetError(
            f"{path}: IDX file truncated or padded: header says shape {shape} "
            f"({expected} bytes of data), file has {size - header}"
        )
    if gz and (expected > GZIP_MAX_RATIO * size or (
        isize is not None and (header + expected) % 2**32 != isize
    )):  # fmt: skip
        raise DatasetError(
            f"{path}: IDX header says shape {shape} ({expected} bytes of data), which this "
            f"{size}-byte gzip file cannot hold (truncated or corrupt)"
        )
    check_dataset_bytes(expected, str(path), f"IDX data of shape {shape}")
    body = np.empty(expected, np.uint8)
    view, n = memoryview(body), 0
    while n < expected:  # in chunks: one whole-body read through gzip holds two copies
        got = fh.readinto(view[n : n + _CHUNK])
        if not got:
            break
        n += got
    if n != expected or fh.read(1):
        raise DatasetError(
            f"{path}: IDX file truncated or padded: header says shape {shape} "
            f"({expected} bytes of data), file has {'more' if n == expected else n}"
        )
    return body.reshape(shape)


def load_idx_pair(
    images_path: str | os.PathLike, labels_path: str | os.PathLike, name: str | None = None
) -> Dataset:
    """Load an images IDX file (N,H,W) and a labels IDX file (N,).

    Parameters
    ----------
    images_path, labels_path : str or path-like
        The two IDX files.
    name : str, optional
        The dataset's name; default the images file's.

    Returns
    -------
    Dataset
        Classes named by their label values, ``0`` to the largest label.
    """
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3:
        raise DatasetError(
            f"{images_path}: expected a 3-D IDX image file (N,H,W), got shape {images.shape}"
        )
    if labels.ndim != 1:
        raise DatasetError(
            f"{labels_path}: expected a 1-D IDX label file, got shape {labels.shape}"
        )
    if labels.shape[0] != images.shape[0]:
        raise DatasetError(
            f"{labels_path}: {labels.shape[0]} labels do not match {images.shape[0]} images "
            f"in {images_path}"
        )
    n_classes = int(labels.max()) + 1 if labels.size else 0
    return Dataset(
        images=images,
        labels=labels.astype(np.int64),
        class_names=tuple(str(i) for i in range(n_classes)),
        name=name or Path(images_path).name,
        provenance={
            "source": f"IDX files {images_path}, {labels_path}",
            "licence": "as given by the user",
        },
    )


#: The four files of an MNIST-style folder with its official split, by part and kind.
IDX_SPLIT = {"train": ("train-images", "train-labels"), "test": ("t10k-images", "t10k-labels")}
_IDX_KIND = {"images": "idx3-ubyte", "labels": "idx1-ubyte"}


def idx_split_files(folder: str | os.PathLike) -> dict[str, tuple[Path, Path]] | None:
    """The four files of an MNIST-style split in a folder, if it holds them.

    Both spellings are read: the original ``train-images-idx3-ubyte`` and the
    ``train-images.idx3-ubyte`` of common mirrors, each raw or ``.gz``; nothing outside
    ``folder`` is looked at.

    Parameters
    ----------
    folder : str or path-like
        The folder to look in.

    Returns
    -------
    dict or None
        ``{"train": (images, labels), "test": (images, labels)}`` as paths, or None unless
        exactly one file of each is there.
    """
    folder = Path(folder)
    found = {}
    for part, stems in IDX_SPLIT.items():
        pair = []
        for stem in stems:
            kind = _IDX_KIND[stem.split("-")[1]]
            names = [f"{stem}{sep}{kind}{gz}" for sep in ("-", ".") for gz in ("", ".gz")]
            hits = [folder / n for n in names if (folder / n).is_file()]
            if len(hits) != 1:
                return None
            pair.append(hits[0])
        found[part] = tuple(pair)
    return found


def load_idx_split(folder: str | os.PathLike, name: str | None = None) -> Dataset:
    """Load an MNIST-style folder of four IDX files (:func:`idx_split_files`).

    Parameters
    ----------
    folder : str or path-like
        The folder.
    name : str, optional
        The dataset's name; default the folder's.

    Returns
    -------
    Dataset
        Train and test parts together, the official split in ``test_mask``, classes named by
        their label values.
    """
    folder = Path(folder)
    files = idx_split_files(folder)
    if files is None:
        raise DatasetError(
            f"{folder}: expected the four IDX files train-images-idx3-ubyte, "
            "train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte "
            "(or with '.idx3-ubyte' / '.idx1-ubyte', each optionally .gz), one of each"
        )
    train, test = (load_idx_pair(*files[part]) for part in ("train", "test"))
    if train.image_shape != test.image_shape:
        raise DatasetError(f"{files['test'][0]}: images of shape {test.image_shape}, but the "
                           f"training images are {train.image_shape}")  # fmt: skip
    n_classes = max(len(train.class_names), len(test.class_names))
    return Dataset(
        images=np.concatenate([train.images, test.images]),
        labels=np.concatenate([train.labels, test.labels]),
        class_names=tuple(str(i) for i in range(n_classes)),
        name=name or folder.name,
        provenance={"source": f"IDX files in {folder}", "licence": "as given by the user"},
        test_mask=np.r_[np.zeros(len(train), bool), np.ones(len(test), bool)],
    )
