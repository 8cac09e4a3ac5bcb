"""The :class:`Dataset` value that every part of ncdvision passes around."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np


class DatasetError(ValueError):
    """A dataset could not be loaded or is inconsistent; the message names the file or field."""


@dataclass(frozen=True)
class Dataset:
    """Images with integer labels and where they came from.

    Parameters
    ----------
    images : ndarray of uint8, shape (N, H, W) or (N, H, W, C)
        The images.
    labels : ndarray of int64, shape (N,)
        Values in ``range(len(class_names))``.
    class_names : tuple of str
        Name of each class, indexed by label.
    name : str
        What reports call the dataset.
    provenance : dict
        ``source`` (where the data came from) and ``licence`` at least.
    test_mask : ndarray of bool, shape (N,), optional
        The dataset's own train/test split (e.g. Fashion-MNIST's official 60k/10k), used by
        :meth:`split` when ``test_size`` is None.
    labelled : bool
        False for images without labels (a flat folder of test images): ``labels`` is then
        -1 for every image and ``class_names`` is empty, so no label is ever invented, and
        what needs labels (:meth:`split`, :meth:`class_counts`, a stratified
        :meth:`subset`) refuses with a clear error.
    """

    images: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    name: str
    provenance: dict = field(default_factory=dict)
    test_mask: np.ndarray | None = None
    labelled: bool = True

    def __post_init__(self) -> None:
        images, labels = self.images, self.labels
        if not isinstance(images, np.ndarray) or images.dtype != np.uint8:
            raise DatasetError(
                f"{self.name}: images must be a uint8 ndarray, got "
                f"{getattr(images, 'dtype', type(images).__name__)}"
            )
        if images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[3] not in (1, 3, 4)):
            raise DatasetError(
                f"{self.name}: images must have shape (N,H,W) or (N,H,W,C) with C in 1,3,4; "
                f"got {images.shape}"
            )
        labels = np.asarray(labels)
        if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
            raise DatasetError(
                f"{self.name}: labels must have shape ({images.shape[0]},) to match the images, "
                f"got {labels.shape}"
            )
        if labels.size and not np.issubdtype(labels.dtype, np.integer):
            raise DatasetError(f"{self.name}: labels must be integers, got {labels.dtype}")
        labels = labels.astype(np.int64, copy=False)
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "class_names", tuple(str(c) for c in self.class_names))
        if not self.labelled:
            if self.class_names or (labels != -1).any():
                raise DatasetError(f"{self.name}: an unlabelled dataset has labels -1 and no "
                                   "class names")  # fmt: skip
        elif labels.size and (labels.min() < 0 or labels.max() >= len(self.class_names)):
            raise DatasetError(
                f"{self.name}: labels must lie in [0, {len(self.class_names)}) "
                f"(one per class name), got range [{labels.min()}, {labels.max()}]"
            )
        if self.test_mask is not None:
            mask = np.asarray(self.test_mask, dtype=bool)
            if mask.shape != labels.shape:
                raise DatasetError(f"{self.name}: test_mask must have shape {labels.shape}")
            object.__setattr__(self, "test_mask", mask)

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, images={self.images.shape} {self.images.dtype}, "
            f"classes={len(self.class_names)})"
        )

    @property
    def image_shape(self) -> tuple[int, ...]:
        """The shape of one image: (H, W) or (H, W, C)."""
        return tuple(self.images.shape[1:])

    def _need_labels(self, what: str) -> None:
        if not self.labelled:
            raise DatasetError(f"{self.name}: {what} needs labels, and these images have none "
                               "(a flat folder; use one subfolder per class)")  # fmt: skip

    def class_counts(self) -> dict[str, int]:
        """Images per class.

        Returns
        -------
        dict of str to int
            Class name to count, in the order of ``class_names``.

        Raises
        ------
        DatasetError
            When the images have no labels.
        """
        self._need_labels("counting classes")
        counts = np.bincount(self.labels, minlength=len(self.class_names))
        return {name: int(c) for name, c in zip(self.class_names, counts, strict=True)}

    def subset(
        self,
        indices: Sequence[int] | np.ndarray | None = None,
        *,
        n: int | None = None,
        seed: int = 0,
        name: str | None = None,
    ) -> Dataset:
        """Select samples by ``indices``, or draw a stratified seeded sample of ``n``.

        Parameters
        ----------
        indices : sequence of int, optional
            Rows to keep, in order.
        n : int, optional
            Size of a stratified sample instead; needs labels.
        seed : int, default=0
            Seed of the sample.
        name : str, optional
            Name of the result; default this dataset's.

        Returns
        -------
        Dataset
            The selected images with their labels and test mask.

        Raises
        ------
        ValueError
            Unless exactly one of ``indices`` and ``n`` is given, or for ``n`` out of range.
        IndexError
            For indices out of range.
        """
        if (indices is None) == (n is None):
            raise ValueError("subset: give exactly one of `indices` or `n`")
        if n is not None:
            if not 0 < n <= len(self):
                raise ValueError(f"subset: n must be in [1, {len(self)}], got {n}")
            if n == len(self):
                indices = np.arange(len(self))
            else:
                self._need_labels("a stratified sample")
                indices, _ = _stratified_indices(self.labels, len(self) - n, seed)
        idx = np.asarray(indices, dtype=np.int64)
        if idx.ndim != 1 or (idx.size and (idx.min() < -len(self) or idx.max() >= len(self))):
            raise IndexError(f"subset: indices must be 1-D within [0, {len(self)})")
        return replace(
            self,
            images=self.images[idx],
            labels=self.labels[idx],
            name=name or self.name,
            test_mask=None if self.test_mask is None else self.test_mask[idx],
        )

    def split(self, test_size: int | float | None = None, seed: int = 0) -> tuple[Dataset, Dataset]:
        """Stratified, seeded train/test split.

        Parameters
        ----------
        test_size : int or float, optional
            A count (int) or a fraction (float) of test images. With None, the dataset's own
            split (``test_mask``) is used, and its absence is an error.
        seed : int, default=0
            Seed of the stratified draw.

        Returns
        -------
        train, test : Dataset
            The two parts, without a test mask.

        Examples
        --------
        >>> from ncdvision.datasets import load
        >>> train, test = load("digits").split(test_size=500, seed=0)
        >>> len(train), len(test)
        (1297, 500)
        """
        self._need_labels("a stratified split")
        if test_size is None:
            if self.test_mask is None:
                raise ValueError(f"{self.name} has no official split; pass test_size")
            train_idx = np.flatnonzero(~self.test_mask)
            test_idx = np.flatnonzero(self.test_mask)
        else:
            n_test = (
                int(round(test_size * len(self))) if isinstance(test_size, float) else test_size
            )
            if not 0 < n_test < len(self):
                raise ValueError(
                    f"split: test_size must leave both parts non-empty, got {test_size}"
                )
            train_idx, test_idx = _stratified_indices(self.labels, n_test, seed)
        train = self.subset(train_idx, name=f"{self.name}[train]")
        test = self.subset(test_idx, name=f"{self.name}[test]")
        return (replace(train, test_mask=None), replace(test, test_mask=None))

    def with_(self, **changes) -> Dataset:
        """A copy with some fields replaced, validated again.

        Parameters
        ----------
        **changes
            Field values by name (``images``, ``labels``, ``class_names``, ``name`` ...).

        Returns
        -------
        Dataset
            The copy.
        """
        return replace(self, **changes)


def _stratified_indices(
    labels: np.ndarray, n_test: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    idx = np.arange(labels.shape[0])
    counts = np.bincount(labels)
    n_classes = int((counts > 0).sum())
    # stratify when every class can be on both sides; else a plain seeded random split
    ok = counts[counts > 0].min() >= 2 and min(n_test, len(labels) - n_test) >= n_classes
    stratify = labels if ok else None
    train_idx, test_idx = train_test_split(
        idx, test_size=n_test, random_state=seed, stratify=stratify
    )
    return np.sort(train_idx), np.sort(test_idx)
