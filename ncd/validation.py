"""Input validation shared by every public entry point: images, labels, n_jobs, blocks.

Errors name the argument and what was expected; nothing is converted in a way that could
change what an image means (floats are refused, not rescaled).
"""

from __future__ import annotations

import numpy as np
from joblib import effective_n_jobs
from sklearn.utils.multiclass import check_classification_targets


def check_images(X, name: str = "X", allow_empty: bool = False, gray: bool = False) -> np.ndarray:
    """Validate an image batch: uint8 (N, H, W) or (N, H, W, C), all of one shape.

    Float images are refused: whether they are in [0, 1] or [0, 255] cannot be told safely.
    Integer arrays within 0..255 are converted; anything else names what was expected.

    Parameters
    ----------
    X : array-like
        An array, a list of equal-shape arrays, or a pandas column of them.
    name : str, default="X"
        The argument's name in error messages.
    allow_empty : bool, default=False
        Accept a batch of no images.
    gray : bool, default=False
        Accept only (N, H, W).

    Returns
    -------
    ndarray of uint8
        C-contiguous, (N, H, W) or (N, H, W, C) with C in 1, 3, 4.

    Raises
    ------
    ValueError
        Naming ``name`` and what was expected: for floats, NaN, booleans, values outside
        0..255, mixed shapes, a 2-D array (with a hint to reshape) or no pixels.

    Examples
    --------
    >>> import numpy as np
    >>> check_images(np.zeros((2, 8, 8), np.int64)).dtype
    dtype('uint8')
    """
    if hasattr(X, "to_numpy") and not isinstance(X, np.ndarray):  # a pandas Series or frame
        X = X.to_numpy()
    if isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 1:
        X = list(X)  # a column of equal-shape arrays, as a list of images
    if isinstance(X, (list, tuple)):
        if not X:
            raise ValueError(f"{name} is empty; expected at least one image")
        shapes = [np.shape(x) for x in X]
        for i, s in enumerate(shapes):
            if s != shapes[0]:
                raise ValueError(
                    f"{name}: mixed image shapes: image {i} has shape {s}, image 0 has {shapes[0]}"
                )
        X = np.stack([np.asarray(x) for x in X])
    X = np.asarray(X)
    if X.dtype == object:
        raise ValueError(
            f"{name}: mixed image shapes or non-numeric data (object array); expected uint8 (N,H,W[,C])"
        )
    if X.ndim == 2:
        raise ValueError(f"{name} has shape {X.shape}: expected a batch of images (N, H, W) or "
                         f"(N, H, W, C). {_shape_hint(X.shape)}")  # fmt: skip
    if gray and X.ndim != 3:
        raise ValueError(f"{name}: expected grayscale images (N, H, W), got shape {X.shape}")
    if X.ndim not in (3, 4) or (X.ndim == 4 and X.shape[3] not in (1, 3, 4)):
        raise ValueError(
            f"{name}: expected images of shape (N,H,W) or (N,H,W,C) with C in 1,3,4; got {X.shape}"
        )
    if X.shape[0] == 0 and not allow_empty:
        raise ValueError(f"{name} is empty; expected at least one image")
    if 0 in X.shape[1:3]:
        raise ValueError(f"{name}: images of shape {X.shape[1:]} have no pixels")
    if np.issubdtype(X.dtype, np.floating):
        if np.isnan(X).any():
            raise ValueError(f"{name} contains NaN; expected uint8 images")
        raise ValueError(
            f"{name} has dtype {X.dtype}: float images are ambiguous. Convert to uint8 first: "
            f"(X * 255).round().astype(np.uint8) for [0, 1] data, X.round().astype(np.uint8) for [0, 255]"
        )
    if X.dtype == np.bool_:
        raise ValueError(f"{name} is boolean; expected uint8 (use X.astype(np.uint8) * 255)")
    if X.dtype != np.uint8:
        if not np.issubdtype(X.dtype, np.integer):
            raise ValueError(f"{name} has dtype {X.dtype}; expected uint8 images")
        if X.size and (X.min() < 0 or X.max() > 255):
            raise ValueError(f"{name} ({X.dtype}) has values outside 0..255; expected uint8 images")
        X = X.astype(np.uint8)
    return np.ascontiguousarray(X)


def _shape_hint(shape: tuple[int, int]) -> str:
    """How a 2-D array most likely becomes a batch of images."""
    side = int(round(shape[1] ** 0.5))
    if side * side == shape[1] and shape[1] >= 16:
        return (f"If each row is a flattened {side}x{side} image: X.reshape(-1, {side}, "
                f"{side}); if it is one image, add a leading axis: X[None]")  # fmt: skip
    return f"If it is one {shape[0]}x{shape[1]} image, add a leading axis: X[None]"


def check_X_y(X, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate a training set: images and one label per image.

    Parameters
    ----------
    X : array-like
        Images, as :func:`check_images` accepts them.
    y : array-like of shape (n_images,)
        Class labels of any sortable type.

    Returns
    -------
    X : ndarray of uint8
        The validated images.
    classes : ndarray
        The sorted distinct labels.
    y_encoded : ndarray of int
        Each image's index into ``classes``.

    Raises
    ------
    ValueError
        For invalid images, labels that are not 1-D class labels, or counts that differ.
    """
    X = check_images(X, "X")
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {y.shape}")
    check_classification_targets(y)
    classes, y_enc = np.unique(y, return_inverse=True)
    if len(y_enc) != len(X):
        raise ValueError(f"X has {len(X)} images but y has {len(y_enc)} labels")
    return X, classes, y_enc


def n_jobs_count(n_jobs: int | None) -> int:
    """How many workers scikit-learn's ``n_jobs`` means here (None = 1, -1 = all cores)."""
    if n_jobs is not None and (
        isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0
    ):  # fmt: skip
        raise ValueError(
            f"n_jobs must be a non-zero integer or None (-1: all cores), got {n_jobs!r}"
        )
    return max(1, int(effective_n_jobs(n_jobs)))


def check_k(k, n_avail: int, name: str = "k") -> int:
    """A neighbor count: a positive integer (not a bool) no larger than what is available."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"{name} must be a positive integer, got {k!r}")
    if k > n_avail:
        raise ValueError(f"{name}={k} is larger than the {n_avail} available neighbors")
    return int(k)


def check_exclude(exclude, n_x: int, n_y: int) -> np.ndarray | None:
    """One index of Y per query row (or None): integers in 0..n_y-1, shape (n_x,)."""
    if exclude is None:
        return None
    ex = np.asarray(exclude)
    if ex.shape != (n_x,) or not np.issubdtype(ex.dtype, np.integer):
        raise ValueError(f"exclude must hold one integer index of Y per row of X, shape "
                         f"({n_x},); got {ex.dtype} {ex.shape}")  # fmt: skip
    if n_x and (ex.min() < 0 or ex.max() >= n_y):
        raise ValueError(f"exclude must index Y (0..{n_y - 1}); got values "
                         f"{ex.min()}..{ex.max()}")  # fmt: skip
    return ex.astype(np.int64)


def check_block_rows(block_rows) -> None:
    if block_rows is not None and (
        isinstance(block_rows, bool) or not isinstance(block_rows, (int, np.integer))
        or block_rows < 1
    ):  # fmt: skip
        raise ValueError(f"block_rows must be a positive integer or None, got {block_rows!r}")
