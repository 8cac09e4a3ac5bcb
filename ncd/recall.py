"""The cascade's recall measurement: where each training query's exact top k sits in its
candidate order, and the recall a plan that ranks only the first candidates would have.

On a large set, finding a query's exact top k costs most where few of them lie. The search
walks the candidates nearest first in pixel space and abandons a pair as soon as it cannot
enter the top k, but a far candidate is abandoned late, when its partial length has grown
past the k-th neighbor's. Beyond the largest M tried every plan misses a neighbor alike, and
few lie there: on full Fashion-MNIST (``ctx-ref-learned/thermo:3``, k = 5, 500 training
queries) 0.9992 of the exact top 5 lie within each query's first 20,000 candidates
(``bench/recall_tail.py``).

So where the largest M tried is at most :data:`TAIL_SPLIT` of the set, every query walks
only its first ``cap`` candidates (its top k among them: the *walked* top k), and a random
subsample of :data:`TAIL_QUERIES` queries also walks every candidate (its exact top k). A
plan's recall is then the two-phase difference estimate (:meth:`RecallRecord.recall`): its
recall of the walked top k over every query, plus the difference between its recall of the
exact and of the walked top k on the subsample. It is unbiased for the recall of the exact
top k over every query, and equals the exhaustive measurement when the subsample is every
query. In the same bench it takes 0.54 of the time of every query walking every candidate,
and chooses the same M.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Queries of the recall measurement that also walk every candidate, where the others walk
#: only the largest M tried.
TAIL_QUERIES = 100

#: The walk is cut at the largest M tried only where that is at most this share of the
#: candidates: the subsample's full walk must cost less than it saves.
TAIL_SPLIT = 0.5


def positions(order: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """Where each exact neighbor sits in each row of ``order`` (``order.shape[1]``: absent).

    Parameters
    ----------
    order : ndarray of int, shape (n, M)
        Candidates per query, in the order a plan ranks them.
    exact : ndarray of int, shape (n, k)
        The neighbors to find.

    Returns
    -------
    ndarray of int64, shape (n, k)
    """
    hit = order[:, :, None] == exact[:, None, :]
    return np.where(hit.any(1), hit.argmax(1), order.shape[1])


@dataclass
class RecallRecord:
    """The top k of the recall measurement's queries and where they sit in a candidate order.

    Parameters
    ----------
    walked : ndarray of int, shape (n_queries, k)
        Each query's top k among the candidates it walked (all of them where ``tail`` is
        empty).
    tail : ndarray of int, shape (t,)
        Rows whose queries also walked every candidate.
    truth : ndarray of int, shape (t, k)
        Their exact top k.
    """

    walked: np.ndarray
    tail: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    truth: np.ndarray = field(default_factory=lambda: np.empty((0, 0), np.int64))

    def __post_init__(self):
        self.pos = np.zeros(self.walked.shape, np.int64)
        self.pos_tail = np.zeros(self.truth.shape, np.int64)

    def locate(self, rows: slice, order: np.ndarray) -> None:
        """Record the positions in ``order`` (the candidate order of queries ``rows``).

        Parameters
        ----------
        rows : slice
            A block of query rows.
        order : ndarray of int, shape (len(rows), M)
            Their candidates in the order a plan ranks them.
        """
        self.pos[rows] = positions(order, self.walked[rows])
        sel = (self.tail >= rows.start) & (self.tail < rows.stop)
        if sel.any():
            self.pos_tail[sel] = positions(order[self.tail[sel] - rows.start], self.truth[sel])

    def recall(self, limit) -> float:
        """Estimated recall of the exact top k by a plan that ranks the first ``limit``
        candidates of each query.

        Parameters
        ----------
        limit : int or ndarray of int, shape (n_queries,)
            Candidates ranked, the same for every query or one count per query.

        Returns
        -------
        float
        """
        lim = np.reshape(limit, (-1, 1)) if np.ndim(limit) else limit
        r = float(np.mean(self.pos < lim))
        if len(self.tail):
            at = lim[self.tail] if np.ndim(limit) else lim
            r += float(np.mean(self.pos_tail < at)) - float(np.mean(self.pos[self.tail] < at))
        return min(max(r, 0.0), 1.0)
