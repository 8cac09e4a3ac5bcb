import gzip
import pickle
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def write_idx(
    path: Path, array: np.ndarray, *, gz: bool = False, magic: bytes | None = None
) -> Path:
    header = magic or bytes([0, 0, 0x08, array.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    (gzip.open if gz else open)(path, "wb").write(data)
    return path


def write_cifar10(root: Path, n_per_batch: int = 4, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {
            b"data": rng.integers(0, 256, (n_per_batch, 3072), dtype=np.uint8),
            b"labels": list(rng.integers(0, 10, n_per_batch)),
        }
        with open(root / name, "wb") as fh:
            pickle.dump(batch, fh)
    with open(root / "batches.meta", "wb") as fh:
        pickle.dump({b"label_names": [f"c{i}".encode() for i in range(10)]}, fh)
    return root


def write_image_folder(
    root: Path, classes=("cat", "dog"), n=3, size=(12, 10), mode="L", seed=0
) -> Path:
    rng = np.random.default_rng(seed)
    for c in classes:
        (root / c).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            shape = size + ((3,) if mode == "RGB" else ())
            Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(
                root / c / f"{c}{i}.png"
            )
    return root


@pytest.fixture
def image_folder(tmp_path):
    return write_image_folder(tmp_path / "folder")
