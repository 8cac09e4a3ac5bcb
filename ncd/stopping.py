"""The cascade's per-query stopping rule: how far each query walks its candidates.

A query walks its candidates nearest first in pixel space and stops before position p once
p >= m0 and p >= g (q + 1), q the position of the last candidate that entered its top k
(:func:`~ncdvision.ncd.search.kneighbors`, ``stop=``). :func:`stop_positions` replays the
rule on a record of an exact search (``trace=``), so that
:func:`~ncdvision.ncd.cascade.choose_cascade` can score every ``(m0, g)`` from one search.
"""

from __future__ import annotations

import numpy as np

#: Patience factors g of the per-query stopping rule that
#: :func:`~ncdvision.ncd.cascade.choose_cascade` tries: a query
#: stops walking its candidates once it has walked g times as far as the last one that
#: entered its top k (and at least m0 of them).
STOP_PATIENCE: tuple[float, ...] = (1.5, 2.0, 3.0, 4.0, 6.0, 8.0)

#: The stopping rule is chosen only where the candidates it walks on average are at most this
#: share of the fixed M's: the time of the search is about linear in candidates walked, and
#: the averages come from the same few hundred training queries as the recall.
STOP_SHARE = 0.8

#: Width of the record of where candidates entered each training query's top k during the
#: recall measurement (about k (1 + ln(n / k)) entries are expected: 140 for k = 15 among
#: 60,000). A query that overflows it is counted as walking every candidate.
TRACE_WIDTH = 512


def stop_positions(entered: np.ndarray, m0: int, g: float, cap: int) -> np.ndarray:
    """Candidates each query walks under the stopping rule ``(m0, g)``, at most ``cap``.

    Parameters
    ----------
    entered : ndarray of int, shape (n_queries, width)
        Positions at which a candidate entered each query's top k, ascending, -1 padded, -2 in
        the last slot where the record overflowed (``kneighbors(..., trace=width)``).
    m0 : int
        Candidates walked at least.
    g : float
        The patience: a query stops before position p once p >= g * (q + 1), q its last
        entry.
    cap : int
        Candidates at most.

    Returns
    -------
    ndarray of int64, shape (n_queries,)
    """
    out = np.full(len(entered), cap, np.int64)
    for r, row in enumerate(entered):
        if row.size and row[-1] == -2:
            continue  # overflowed: counted as walking every candidate
        ins = row[row >= 0]
        last = ins[ins < m0].max(initial=-1)
        while True:
            s = min(max(m0, int(np.ceil(g * (last + 1)))), cap)
            later = ins[(ins > last) & (ins < s)]
            if not later.size:
                break
            last = later.max()
        out[r] = s
    return out
