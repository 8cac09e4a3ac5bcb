"""The compression distances, from header-corrected lengths C(x), C(y) and the joint C(xy)
(all in bits):

- ``ncd`` (default), Normalized Compression Distance (Li, Vitanyi et al. 2004):
  ``(C(xy) - min(C(x), C(y))) / max(C(x), C(y))``
- ``cdm``, Compression-based Dissimilarity Measure (Keogh et al. 2004): ``C(xy) / (C(x) + C(y))``
- ``clm``, Chen-Li Metric: ``1 - (C(x) + C(y) - C(xy)) / C(xy)``

The numba kernels that search with early abandoning number them by their position in
:data:`DISTANCES` (``context.topk``), so this module imports nothing of the package.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# Each formula is clipped at 0: a real codec can code a pair in fewer bytes than the
# smaller image alone (zstd, brotli and png do on near-identical images), which would give
# negative distances, and scikit-learn's metric="precomputed" refuses those.


def _ncd(cx, cy, cxy):
    return np.maximum((cxy - np.minimum(cx, cy)) / np.maximum(np.maximum(cx, cy), 1e-12), 0.0)


def _cdm(cx, cy, cxy):
    return np.maximum(cxy / np.maximum(cx + cy, 1e-12), 0.0)


def _clm(cx, cy, cxy):
    return np.maximum(1.0 - (cx + cy - cxy) / np.maximum(cxy, 1e-12), 0.0)


DISTANCES: dict[str, Callable] = {"ncd": _ncd, "cdm": _cdm, "clm": _clm}


def get_distance(name: str) -> Callable:
    """The formula called ``name``.

    Parameters
    ----------
    name : {"ncd", "cdm", "clm"}
        A distance's name.

    Returns
    -------
    callable
        ``f(cx, cy, cxy)`` on arrays or floats.
    """
    if name not in DISTANCES:
        raise ValueError(f"unknown distance {name!r}; known: {', '.join(DISTANCES)}")
    return DISTANCES[name]
