"""Readers for the files users have: IDX pairs, NPZ, ImageFolder trees, CIFAR batches.

Every reader opens files read-only and raises :class:`DatasetError` naming the file and what
was expected. Images of different sizes are refused (the offending files are listed) unless
the caller passes ``resize``; colour follows ``color``:

- ``"auto"``: grayscale (N,H,W) when every image is single-channel, else RGB (N,H,W,3);
- ``"gray"``: convert everything to 8-bit luminance (PIL's ITU-R 601-2 rule);
- ``"rgb"``: convert everything to RGB.
"""

from __future__ import annotations

import gzip
import os
import pickle
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .core import Dataset, DatasetError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm")
_GRAY_MODES = {"1", "L", "LA", "I", "I;16", "F"}


def _open_maybe_gzip(path: Path):
    with open(path, "rb") as fh:
        magic = fh.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (raw or gzipped) of unsigned bytes, as used by MNIST and Fashion-MNIST."""
    path = Path(path)
    try:
        with _open_maybe_gzip(path) as fh:
            data = fh.read()
    except (OSError, EOFError) as exc:
        raise DatasetError(f"{path}: cannot read IDX file ({exc})") from exc
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DatasetError(
            f"{path}: not an IDX file (expected magic 0x0000 08 0N, got {data[:4].hex()})"
        )
    dtype_code, ndim = data[2], data[3]
    if dtype_code != 0x08:
        raise DatasetError(
            f"{path}: IDX data type 0x{dtype_code:02x} is not supported (expected 0x08, unsigned byte)"
        )
    if ndim == 0 or len(data) < 4 + 4 * ndim:
        raise DatasetError(f"{path}: IDX header truncated or has 0 dimensions")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape))
    body = data[4 + 4 * ndim :]
    if len(body) != expected:
        raise DatasetError(
            f"{path}: IDX file truncated or padded: header says shape {shape} "
            f"({expected} bytes of data), file has {len(body)}"
        )
    return np.frombuffer(body, dtype=np.uint8).reshape(shape).copy()


def load_idx_pair(
    images_path: str | os.PathLike, labels_path: str | os.PathLike, name: str | None = None
) -> Dataset:
    """Load an images IDX file (N,H,W) and a labels IDX file (N,)."""
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


def load_npz(path: str | os.PathLike, name: str | None = None) -> Dataset:
    """Load an ``.npz`` holding ``images`` (uint8) and ``labels`` (ints), optionally ``class_names``."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = {"images", "labels"} - set(npz.files)
            if missing:
                raise DatasetError(f"{path}: missing arrays {sorted(missing)}; it has {npz.files}")
            images, labels = npz["images"], npz["labels"]
            class_names = (
                [str(c) for c in npz["class_names"]] if "class_names" in npz.files else None
            )
    except (OSError, ValueError) as exc:
        if isinstance(exc, DatasetError):
            raise
        raise DatasetError(f"{path}: cannot read as .npz ({exc})") from exc
    if images.dtype != np.uint8:
        raise DatasetError(f"{path}: `images` must be uint8 (0-255), got {images.dtype}")
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise DatasetError(
            f"{path}: `labels` has shape {labels.shape}, expected ({images.shape[0]},) to match `images`"
        )
    if not np.issubdtype(labels.dtype, np.integer):
        raise DatasetError(f"{path}: `labels` must be integers, got {labels.dtype}")
    if class_names is None:
        class_names = [str(i) for i in range(int(labels.max()) + 1 if labels.size else 0)]
    try:
        return Dataset(
            images,
            labels,
            tuple(class_names),
            name or path.stem,
            {"source": f"npz file {path}", "licence": "as given by the user"},
        )
    except DatasetError as exc:
        raise DatasetError(f"{path}: {exc}") from exc


def list_images(folder: str | os.PathLike) -> list[Path]:
    """Image files directly inside ``folder``, sorted by name (hidden files ignored)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not a directory")
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES
    )


def read_images(
    paths: Sequence[str | os.PathLike],
    *,
    color: str = "auto",
    resize: tuple[int, int] | str | None = None,
    skip_bad: bool = False,
) -> tuple[np.ndarray, list[Path], list[tuple[Path, str]]]:
    """Read image files into one uint8 array.

    Parameters
    ----------
    paths : image files.
    color : {"auto", "gray", "rgb"}
    resize : (height, width), ``"most-common"`` or None
        None refuses mixed sizes, listing the files that differ from the most common size.
    skip_bad : bool
        Leave unreadable files out (they are returned) instead of raising.

    Returns
    -------
    images : ndarray (N,H,W) or (N,H,W,3)
    kept : the paths that were read, in order
    bad : (path, reason) of each unreadable file that was skipped
    """
    from PIL import Image, UnidentifiedImageError

    if color not in ("auto", "gray", "rgb"):
        raise ValueError(f"color must be 'auto', 'gray' or 'rgb', got {color!r}")
    pil, kept, bad = [], [], []
    for p in map(Path, paths):
        try:
            with Image.open(p) as im:
                im.load()
                pil.append(im.copy())
            kept.append(p)
        except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as exc:
            bad.append((p, f"{type(exc).__name__}: {exc}"))
    if bad and not skip_bad:
        listing = "\n  ".join(f"{p}: {why}" for p, why in bad)
        raise DatasetError(
            f"{len(bad)} unreadable image file(s) (expected a PNG/JPEG/...):\n  {listing}"
        )
    if not pil:
        raise DatasetError("no readable images")

    sizes = Counter(im.size for im in pil)
    common_wh = sizes.most_common(1)[0][0]
    if resize is None and len(sizes) > 1:
        odd = [
            f"{p} ({im.size[1]}x{im.size[0]})"
            for p, im in zip(kept, pil, strict=True)
            if im.size != common_wh
        ]
        listing = "\n  ".join(odd[:20]) + (
            f"\n  ... and {len(odd) - 20} more" if len(odd) > 20 else ""
        )
        raise DatasetError(
            f"images differ in size; the most common is {common_wh[1]}x{common_wh[0]} (HxW). "
            f"Pass resize=(H, W) or resize='most-common'. Files of other sizes:\n  {listing}"
        )
    if isinstance(resize, str):
        if resize != "most-common":
            raise ValueError(f"resize must be (H, W), 'most-common' or None, got {resize!r}")
        target_wh = common_wh
    elif resize is not None:
        target_wh = (int(resize[1]), int(resize[0]))
    else:
        target_wh = common_wh

    if color == "auto":
        color = "gray" if all(_is_gray(im) for im in pil) else "rgb"
    mode = "L" if color == "gray" else "RGB"
    out = []
    for im in pil:
        if im.mode in ("I", "I;16", "F") and mode == "L":
            im = Image.fromarray(_to_uint8(np.asarray(im)))
        im = im.convert(mode)
        if im.size != target_wh:
            im = im.resize(target_wh, Image.Resampling.BILINEAR)
        out.append(np.asarray(im, dtype=np.uint8))
    return np.stack(out), kept, bad


def _is_gray(im) -> bool:
    if im.mode in _GRAY_MODES:
        return True
    if im.mode == "P":
        pal = np.asarray(im.convert("RGB"))
        return bool(np.all(pal[..., 0] == pal[..., 1]) and np.all(pal[..., 1] == pal[..., 2]))
    return False


def _to_uint8(a: np.ndarray) -> np.ndarray:
    a = a.astype(np.float64)
    hi = a.max() if a.size else 1.0
    return np.clip(np.round(a * (255.0 / (65535.0 if hi > 255 else 255.0))), 0, 255).astype(
        np.uint8
    )


def load_image_folder(
    root: str | os.PathLike,
    *,
    color: str = "auto",
    resize: tuple[int, int] | str | None = None,
    name: str | None = None,
) -> Dataset:
    """Load an ImageFolder tree: ``root/<class name>/<image files>``; classes sorted by name."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: not a directory")
    class_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not class_dirs:
        raise DatasetError(f"{root}: expected one subfolder per class, found none")
    paths, labels = [], []
    for label, d in enumerate(class_dirs):
        files = list_images(d)
        if not files:
            raise DatasetError(
                f"{d}: class folder has no images (expected files ending in {', '.join(IMAGE_SUFFIXES)})"
            )
        paths += files
        labels += [label] * len(files)
    images, _, _ = read_images(paths, color=color, resize=resize)
    return Dataset(
        images=images,
        labels=np.asarray(labels, dtype=np.int64),
        class_names=tuple(d.name for d in class_dirs),
        name=name or root.name,
        provenance={
            "source": f"image folder {root}",
            "licence": "as given by the user",
            "files": [str(p) for p in paths],
        },
    )


def load_cifar(root: str | os.PathLike, name: str | None = None) -> Dataset:
    """Load a CIFAR-10 or CIFAR-100 "python version" directory; train and test batches together,
    with the official split in ``test_mask``."""
    root = Path(root)
    if (root / "data_batch_1").exists():
        train_files = sorted(root.glob("data_batch_*"))
        test_files = [root / "test_batch"]
        meta_file, label_key, names_key = root / "batches.meta", b"labels", b"label_names"
    elif (root / "train").exists():
        train_files, test_files = [root / "train"], [root / "test"]
        meta_file, label_key, names_key = root / "meta", b"fine_labels", b"fine_label_names"
    else:
        raise DatasetError(
            f"{root}: not a CIFAR python directory (expected data_batch_1..5 and test_batch for "
            "CIFAR-10, or train and test for CIFAR-100)"
        )
    images, labels, is_test = [], [], []
    for f, test in [(f, False) for f in train_files] + [(f, True) for f in test_files]:
        batch = _unpickle(f)
        if b"data" not in batch or label_key not in batch:
            raise DatasetError(f"{f}: CIFAR batch lacks {b'data'!r} or {label_key!r}")
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        if data.ndim != 2 or data.shape[1] != 3072:
            raise DatasetError(f"{f}: expected data of shape (N, 3072), got {data.shape}")
        lab = np.asarray(batch[label_key], dtype=np.int64)
        if lab.shape[0] != data.shape[0]:
            raise DatasetError(f"{f}: {lab.shape[0]} labels for {data.shape[0]} images")
        images.append(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        labels.append(lab)
        is_test.append(np.full(lab.shape[0], test))
    labels_all = np.concatenate(labels)
    if meta_file.exists():
        class_names = [
            n.decode() if isinstance(n, bytes) else str(n) for n in _unpickle(meta_file)[names_key]
        ]
    else:
        class_names = [str(i) for i in range(int(labels_all.max()) + 1)]
    return Dataset(
        images=np.ascontiguousarray(np.concatenate(images)),
        labels=labels_all,
        class_names=tuple(class_names),
        name=name or root.name,
        provenance={"source": f"CIFAR python batches {root}", "licence": "as given by the user"},
        test_mask=np.concatenate(is_test),
    )


def _unpickle(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh, encoding="bytes")
    except (OSError, pickle.UnpicklingError, EOFError, ValueError) as exc:
        raise DatasetError(
            f"{path}: cannot read CIFAR batch ({type(exc).__name__}: {exc})"
        ) from exc
