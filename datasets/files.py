"""Readers for the files users have: NPZ, ImageFolder trees and flat folders of images (IDX
pairs and MNIST-style folders: :mod:`.idx`; CIFAR batches: :mod:`.cifar`).

Every reader opens files read-only, sizes what it allocates before allocating
(:mod:`.limits`), and raises :class:`DatasetError` naming the file and what was expected. No
user file ever runs code. Image files follow the pixel and colour rules of :mod:`.images`.
"""

from __future__ import annotations

import math
import os
import zipfile
from pathlib import Path

import numpy as np

from .core import Dataset, DatasetError
from .images import IMAGE_SUFFIXES, read_images, scan_folder, shown
from .limits import check_dataset_bytes


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
