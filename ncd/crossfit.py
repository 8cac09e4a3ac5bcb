"""Leave-one-out scores of a learned coder on a small training set, by cross-fitting.

A learned coder (``ctx-ref-learned``) fits its prior on the training images. Scored by
leave-one-out, a query must not be among them. With at least twice ``loo_size`` training images
the selection fits one prior on the images that are not queries. Below that, the same rule leaves
half the training set for the prior, and it biases the comparison the selection exists to make.
Unlearned coders are scored on every image, and the learned one with a prior from half of them.
With 5 labelled images per class the learned coder's prior then comes from 2 or 3 images a
class. ``bench/fewshot_settings.py`` shows what ``auto`` chooses with 5 and 10 shots against
every setting fixed in hindsight.

Cross-fitting removes the bias. The queries are split into :data:`CROSS_FIT_FOLDS` folds by their
position in the query order, and each fold is scored with a prior fitted on every training image
outside it, so each prior sees at least nine tenths of the training set and every training image
can be a query. It is used only when a learned coder competes with other settings (choosing k
alone compares values of k under the same prior, where a common handicap cancels) and learns
from the labelled images alone (with an unlabelled pool, the pool makes most of the prior).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .compressor import Compressor
from .search import kneighbors

#: Folds of the queries; each fold's prior is fitted without it.
CROSS_FIT_FOLDS = 10


def use_cross_fit(comp: Compressor, n_train: int, loo_size: int, n_settings: int,
                  pooled: bool = False) -> bool:  # fmt: skip
    """Whether a learned coder is scored with cross-fitted priors.

    Parameters
    ----------
    comp : Compressor
        The setting's compressor.
    n_train : int
        Training images.
    loo_size : int
        The query budget of a context coder.
    n_settings : int
        Settings the selection compares.
    pooled : bool, default=False
        Whether the prior is learned from an unlabelled pool. It then comes mostly from the
        pool, and one prior fitted without the queries loses little at a tenth of the cost
        (learning from a pool of thousands of images is the slow part of a fit).

    Returns
    -------
    bool
        True for a learned coder among several settings on fewer than ``2 * loo_size``
        training images without a pool, where a single prior would leave it half of them.
    """
    return (comp.codec.learned and n_settings > 1 and n_train // 2 < loo_size
            and not pooled)  # fmt: skip


class FoldedCoder:
    """One learned coder fitted once per fold of the query order, each time without the fold.

    Parameters
    ----------
    make : callable
        Returns a new, unfitted :class:`~ncdvision.ncd.compressor.Compressor` of the setting.
    X : ndarray of uint8
        The checked training images.
    y : ndarray of int
        Their encoded labels.
    order : ndarray of int
        The query order; the query at position p belongs to fold ``p // fold_size``.
    unlabeled : ndarray of uint8, optional
        An unlabelled pool for the priors (:meth:`Compressor.fit`).
    """

    def __init__(self, make: Callable[[], Compressor], X: np.ndarray, y: np.ndarray,
                 order: np.ndarray, unlabeled: np.ndarray | None = None):  # fmt: skip
        self.make, self.X, self.y, self.order, self.unlabeled = make, X, y, order, unlabeled
        self.fold_size = -(-len(X) // CROSS_FIT_FOLDS)
        self._fitted: dict[int, Compressor] = {}

    def fold_rows(self, fold: int) -> np.ndarray:
        """The training images the prior of ``fold`` is fitted on: all but the fold's queries.

        Parameters
        ----------
        fold : int
            The fold's number.

        Returns
        -------
        ndarray of int
        """
        held = self.order[fold * self.fold_size : (fold + 1) * self.fold_size]
        return np.setdiff1d(np.arange(len(self.X)), held)

    def compressor(self, fold: int) -> Compressor:
        """The coder of ``fold``, fitted at first use.

        Parameters
        ----------
        fold : int
            The fold's number.

        Returns
        -------
        Compressor
        """
        if fold not in self._fitted:
            rows = self.fold_rows(fold)
            self._fitted[fold] = self.make().fit(self.X[rows], self.y[rows],
                                                 unlabeled=self.unlabeled)  # fmt: skip
        return self._fitted[fold]

    def kneighbors(self, start: int, stop: int, k: int, m: int | None, **search) -> np.ndarray:
        """The k nearest training images of the queries at positions ``start:stop`` of the
        order, each searched with its fold's coder and never returning itself.

        Parameters
        ----------
        start, stop : int
            Positions in the query order.
        k : int
            Neighbors per query.
        m : int or None
            Pixel-space candidates per query (None: exact search).
        **search
            Passed to :func:`~ncdvision.ncd.search.kneighbors` (backend, scheduler,
            progress).

        Returns
        -------
        ndarray of int64, shape (stop - start, k)
            In position order.
        """
        out = np.empty((stop - start, k), np.int64)
        for fold in range(start // self.fold_size, -(-stop // self.fold_size)):
            lo = max(start, fold * self.fold_size)
            hi = min(stop, (fold + 1) * self.fold_size)
            q = self.order[lo:hi]
            _, out[lo - start : hi - start] = kneighbors(
                self.X[q], self.X, k=k, compressor=self.compressor(fold), exclude=q,
                candidates=m, **search)  # fmt: skip
        return out
