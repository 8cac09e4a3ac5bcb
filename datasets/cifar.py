"""CIFAR-10 and CIFAR-100 "python version" folders, read without running any code.

The batches are pickles. They are read with a restricted unpickler that knows only plain
containers and numpy arrays, so a pickle that names any other global (the way a payload runs
code) is refused before anything is called. Every array is checked for type, shape and range
before it is converted, so a few kilobytes of shared pickle references cannot expand into
gigabytes.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np

from .core import Dataset, DatasetError
from .images import check_regular
from .limits import check_dataset_bytes

#: The python-version layouts: (name, metadata file, label key, label-names key).
CIFAR_LAYOUTS = (
    ("CIFAR-10", "batches.meta", b"labels", b"label_names"),
    ("CIFAR-100", "meta", b"fine_labels", b"fine_label_names"),
)


def cifar_layout(root: Path) -> tuple[str, list[Path], list[Path], Path] | None:
    """The files of a CIFAR python layout in a folder, if it has one.

    CIFAR-10's layout is ``batches.meta``, ``data_batch_1``.. and ``test_batch``; CIFAR-100's
    is ``meta``, ``train`` and ``test``; all regular files.

    Parameters
    ----------
    root : Path
        The folder.

    Returns
    -------
    tuple or None
        (name, training batches, test batches, metadata file), or None.
    """
    ten = root / "batches.meta", root / "test_batch"
    if all(p.is_file() for p in ten) and (root / "data_batch_1").is_file():
        train = sorted(p for p in root.glob("data_batch_*") if p.is_file())
        return "CIFAR-10", train, [ten[1]], ten[0]
    hundred = root / "meta", root / "train", root / "test"
    if all(p.is_file() for p in hundred):
        return "CIFAR-100", [hundred[1]], [hundred[2]], hundred[0]
    return None


def load_cifar(root: str | os.PathLike, name: str | None = None) -> Dataset:
    """Load a CIFAR-10 or CIFAR-100 "python version" directory.

    The batches are pickles; they are read by an unpickler that builds only plain data
    (lists, dicts, bytes and NumPy arrays), so a file can never run code.

    Parameters
    ----------
    root : str or path-like
        The directory.
    name : str, optional
        The dataset's name; default ``CIFAR-10`` or ``CIFAR-100``.

    Returns
    -------
    Dataset
        Train and test batches together, with the official split in ``test_mask``.
    """
    root = Path(root)
    layout = cifar_layout(root)
    if layout is None:
        raise DatasetError(
            f"{root}: not a CIFAR python directory (expected batches.meta, data_batch_1..5 and "
            "test_batch for CIFAR-10, or meta, train and test for CIFAR-100)"
        )
    kind, train_files, test_files, meta_file = layout
    _, _, label_key, names_key = next(x for x in CIFAR_LAYOUTS if x[0] == kind)
    meta = _unpickle(meta_file)
    names = meta.get(names_key) if isinstance(meta, dict) else None
    if not isinstance(names, list):
        raise DatasetError(f"{meta_file}: expected a dict with a list {names_key!r} of class names")
    class_names = [n.decode() if isinstance(n, bytes) else str(n) for n in names]
    check_dataset_bytes(sum(p.stat().st_size for p in train_files + test_files), str(root),
                        "batches")  # fmt: skip
    images, labels, is_test = [], [], []
    for f, test in [(f, False) for f in train_files] + [(f, True) for f in test_files]:
        data, lab = _cifar_batch(f, label_key, len(class_names))
        images.append(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        labels.append(lab)
        is_test.append(np.full(lab.shape[0], test))
    return Dataset(
        images=np.ascontiguousarray(np.concatenate(images)),
        labels=np.concatenate(labels),
        class_names=tuple(class_names),
        name=name or root.name,
        provenance={"source": f"{kind} python batches {root}", "licence": "as given by the user"},
        test_mask=np.concatenate(is_test),
    )


def _cifar_batch(f: Path, label_key: bytes, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """A batch's (N, 3072) uint8 data and its labels, every value checked, nothing cast."""
    batch = _unpickle(f)
    if not isinstance(batch, dict) or b"data" not in batch or label_key not in batch:
        raise DatasetError(
            f"{f}: expected a CIFAR batch, a dict with {b'data'!r} (N, 3072) uint8 and "
            f"{label_key!r}; got {type(batch).__name__}"
        )
    data, lab = batch[b"data"], batch[label_key]
    # nothing is converted before its size is known: a few KB of shared pickle references
    # can stand for gigabytes once np.asarray expands them
    if not isinstance(data, np.ndarray) or data.dtype.hasobject:
        raise DatasetError(f"{f}: expected {b'data'!r} to be a numpy array of uint8 (N, 3072), "
                           f"got {type(data).__name__}")  # fmt: skip
    if not isinstance(lab, (list, np.ndarray)) or len(lab) != len(data) or (
        isinstance(lab, list) and not all(isinstance(v, (int, np.integer)) for v in lab)
    ) or (isinstance(lab, np.ndarray) and lab.dtype.hasobject):  # fmt: skip
        raise DatasetError(f"{f}: expected {len(data)} integer labels in {label_key!r}, got "
                           f"{type(lab).__name__} of length {len(lab) if hasattr(lab, '__len__') else '?'}")  # fmt: skip
    lab = np.asarray(lab)
    if not np.issubdtype(data.dtype, np.integer) or (
        data.size and (int(data.min()) < 0 or int(data.max()) > 255)
    ):
        raise DatasetError(f"{f}: CIFAR data must be integers in 0..255, got {data.dtype}"
                           + (f" in {data.min()}..{data.max()}" if data.size else ""))  # fmt: skip
    if data.ndim != 2 or data.shape[1] != 3072:
        raise DatasetError(f"{f}: expected data of shape (N, 3072), got {data.shape}")
    if lab.ndim != 1 or lab.shape[0] != data.shape[0] or (
        lab.size and (not np.issubdtype(lab.dtype, np.integer) or lab.min() < 0
                      or lab.max() >= n_classes)
    ):  # fmt: skip
        raise DatasetError(
            f"{f}: expected {data.shape[0]} integer labels in 0..{n_classes - 1}, got "
            f"{lab.dtype} {lab.shape}"
        )
    return data.astype(np.uint8), lab.astype(np.int64)


class _DataUnpickler(pickle.Unpickler):
    """Unpickles plain containers and numpy arrays, nothing else: a pickle that names any
    other global (the way a payload runs code) is refused before anything is called."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),  # how protocol 2 spells bytes
        *((b, n) for b in ("builtins", "__builtin__")
          for n in ("list", "dict", "tuple", "set", "frozenset", "bytes", "bytearray", "str",
                    "int", "float", "complex", "bool")),
    }  # fmt: skip

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(
                f"refused to load global {module}.{name}: only plain containers and numpy "
                "arrays are allowed in a CIFAR batch"
            )
        return super().find_class(module, name)


def _unpickle(path: Path):
    check_regular(path)
    try:
        with open(path, "rb") as fh:
            return _DataUnpickler(fh, encoding="bytes").load()
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError,
            AttributeError, IndexError) as exc:  # fmt: skip
        raise DatasetError(
            f"{path}: cannot read CIFAR batch ({type(exc).__name__}: {exc})"
        ) from exc
