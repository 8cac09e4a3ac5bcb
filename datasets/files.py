"""Readers for the files users have: IDX pairs and MNIST-style folders, NPZ, ImageFolder trees
and flat folders of images (CIFAR batches: :mod:`.cifar`).

Every reader opens files read-only, sizes what it allocates before allocating
(:mod:`.limits`), and raises :class:`DatasetError` naming the file and what was expected. No
user file ever runs code. Image files follow the pixel and colour rules of :mod:`.images`.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import zipfile
from pathlib import Path

import numpy as np

from .core import Dataset, DatasetError
from .images import IMAGE_SUFFIXES, check_regular, read_images, scan_folder, shown
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


def load_npz(path: str | os.PathLike, name: str | None = None) -> Dataset:
    """Load an ``.npz`` holding ``images`` (uint8, (N,H,W) or (N,H,W,C)) and ``labels`` (N,)
    integers, optionally ``class_names``.

    Without ``class_names`` the classes are the distinct label values, sorted, and the labels
    are encoded as their positions (nothing is sized by a label's value). The archive is read
    without pickles, and its members' sizes are checked before they are decompressed.

    Parameters
    ----------
    path : str or path-like
        The ``.npz`` file.
    name : str, optional
        The dataset's name; default the file's.

    Returns
    -------
    Dataset
        With a ``test_mask`` when the archive has one.
    """
    path = Path(path)
    what = "an .npz archive with arrays `images` (uint8, (N,H,W) or (N,H,W,C)) and `labels` (N,)"
    try:
        npz = np.load(path, allow_pickle=False)
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise DatasetError(f"{path}: is a single .npy array, not {what}")
        with npz:
            missing = {"images", "labels"} - set(npz.files)
            if missing:
                raise DatasetError(
                    f"{path}: missing arrays {sorted(missing)}; it has {npz.files}; expected {what}"
                )
            total = sum(_npz_member_bytes(npz, key, path) for key in npz.files
                        if key in ("images", "labels", "class_names"))  # fmt: skip
            check_dataset_bytes(total, str(path), "arrays images, labels and class_names")
            images, labels = npz["images"], npz["labels"]
            class_names = (
                [str(c) for c in npz["class_names"]] if "class_names" in npz.files else None
            )
    except DatasetError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DatasetError(f"{path}: cannot read as {what} ({exc})") from exc
    if images.dtype != np.uint8:
        raise DatasetError(f"{path}: `images` must be uint8 (0-255), got {images.dtype}")
    if images.ndim not in (3, 4):
        raise DatasetError(
            f"{path}: `images` has shape {images.shape}; expected (N,H,W) or (N,H,W,C) "
            "(flattened rows must be reshaped to images first)"
        )
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise DatasetError(
            f"{path}: `labels` has shape {labels.shape}, expected ({images.shape[0]},) to match `images`"
        )
    if labels.size and not np.issubdtype(labels.dtype, np.integer):
        raise DatasetError(f"{path}: `labels` must be integers, got {labels.dtype}")
    if class_names is None:
        values, labels = np.unique(labels, return_inverse=True)
        class_names = [str(v) for v in values]
    try:
        return Dataset(
            images,
            labels.astype(np.int64),
            tuple(class_names),
            name or path.stem,
            {"source": f"npz file {path}", "licence": "as given by the user"},
        )
    except DatasetError as exc:
        raise DatasetError(f"{path}: {exc}") from exc


def _npz_member_bytes(npz, key: str, path: Path) -> int:
    """The bytes member ``key`` of an open ``.npz`` will take, from its ``.npy`` header alone."""
    fmt = np.lib.format
    with npz.zip.open(f"{key}.npy") as fh:
        version = fmt.read_magic(fh)
        read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
        shape, _, dtype = read(fh)
    if dtype.hasobject:
        raise DatasetError(f"{path}: `{key}` holds Python objects; expected a numeric array")
    return math.prod(shape) * dtype.itemsize


def image_folder_files(root: str | os.PathLike) -> tuple[list[Path], list[int], list[str], list]:
    """The files an ImageFolder tree holds, in reading order: (paths, labels, class names,
    ignored (path, reason) entries). :func:`load_image_folder` reads exactly these."""
    root = Path(root)
    loose, other = scan_folder(root)
    class_dirs = [p for p, why in other if why == "a folder"]
    ignored = [(p, why if why == "hidden" else "not inside a class folder")
               for p, why in [(p, "") for p in loose] + other if why != "a folder"]  # fmt: skip
    if not class_dirs:
        raise DatasetError(f"{shown(root)}: expected one subfolder per class, found none")
    paths, labels = [], []
    for label, d in enumerate(class_dirs):
        files, skipped = scan_folder(d)
        ignored += skipped
        if not files:
            raise DatasetError(
                f"{shown(d)}: class folder has no images (expected files ending in "
                f"{', '.join(IMAGE_SUFFIXES)})"
            )
        paths += files
        labels += [label] * len(files)
    return paths, labels, [d.name for d in class_dirs], ignored


def load_image_folder(
    root: str | os.PathLike,
    *,
    color: str = "auto",
    resize: tuple[int, int] | str | None = None,
    name: str | None = None,
) -> Dataset:
    """Load an ImageFolder tree: ``root/<class name>/<image files>``; classes sorted by name.

    Entries that are not read (hidden files, other suffixes, nested folders, loose files in
    ``root``) are listed in ``provenance["ignored"]``.

    Parameters
    ----------
    root : str or path-like
        The folder.
    color : {"auto", "gray", "rgb"}, default="auto"
        ``auto`` keeps grayscale when every image is gray, else converts all to RGB.
    resize : (height, width), "most-common" or None, default=None
        None refuses mixed sizes, listing the files that differ from the most common size.
    name : str, optional
        The dataset's name; default the folder's.

    Returns
    -------
    Dataset
        One class per subfolder, in name order.
    """
    root = Path(root)
    paths, labels, class_names, ignored = image_folder_files(root)
    images, _, _ = read_images(paths, color=color, resize=resize)
    return Dataset(
        images=images,
        labels=np.asarray(labels, dtype=np.int64),
        class_names=tuple(class_names),
        name=name or root.name,
        provenance={
            "source": f"image folder {shown(root)}",
            "licence": "as given by the user",
            "files": [shown(p) for p in paths],
            "ignored": [(shown(p), why) for p, why in ignored],
        },
    )


def load_flat_folder(root: str | os.PathLike, *, color: str = "auto",
                     resize: tuple[int, int] | str | None = None,
                     name: str | None = None) -> Dataset:  # fmt: skip
    """Load a flat folder of images (no class subfolders) as an unlabelled dataset.

    Images are in file name order. Entries that are not read are listed in
    ``provenance["ignored"]``.

    Parameters
    ----------
    root : str or path-like
        The folder.
    color : {"auto", "gray", "rgb"}, default="auto"
        ``auto`` keeps grayscale when every image is gray, else converts all to RGB.
    resize : (height, width), "most-common" or None, default=None
        None refuses mixed sizes, listing the files that differ from the most common size.
    name : str, optional
        The dataset's name; default the folder's.

    Returns
    -------
    Dataset
        Labels -1 and no class names (:attr:`Dataset.labelled` is False).
    """
    root = Path(root)
    paths, ignored = scan_folder(root)
    if not paths:
        raise DatasetError(f"{shown(root)}: no images (expected image files, or one subfolder "
                           "per class)")  # fmt: skip
    images, _, _ = read_images(paths, color=color, resize=resize)
    return Dataset(
        images=images,
        labels=np.full(len(paths), -1, np.int64),
        class_names=(),
        name=name or root.name,
        provenance={
            "source": f"flat image folder {shown(root)} (unlabelled)",
            "licence": "as given by the user",
            "files": [shown(p) for p in paths],
            "ignored": [(shown(p), why) for p, why in ignored],
        },  # fmt: skip
        labelled=False,
    )
