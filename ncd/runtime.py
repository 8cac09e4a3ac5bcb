"""Runtime setup of the numba kernels: thread count, threading layer and one guarded launch.

Fork safety: numba's default OpenMP layer (GNU libgomp) aborts a forked child
(multiprocessing's default start method on Linux) once parallel code has run. The workqueue
layer is fork-safe and as fast here, but it aborts the whole process when two threads launch
parallel code at once ("Concurrent access has been detected"). So every parallel kernel is
declared with :func:`parallel_kernel`, whose wrapper selects the workqueue layer before the
first launch (a user's ``NUMBA_THREADING_LAYER`` is respected) and holds one process-wide
lock while a kernel runs: calls from several threads (a thread pool, joblib's threading
backend) queue instead of aborting. Importing a kernel module changes no setting.
"""

from __future__ import annotations

import functools
import os
import threading

import numba
from numba import njit

_LAUNCH_LOCK = threading.RLock()
_configured = False


def configure() -> None:
    """Select the fork-safe workqueue threading layer unless the user chose one
    (``NUMBA_THREADING_LAYER``); done once, before the first parallel launch."""
    global _configured
    if not _configured:
        if "NUMBA_THREADING_LAYER" not in os.environ:
            numba.config.THREADING_LAYER = "workqueue"
        _configured = True


def parallel_kernel(fn):
    """A numba kernel compiled with ``parallel``, callable from any thread: one launch at a
    time per process. The compiled kernel is the wrapper's ``kernel`` attribute.

    Parameters
    ----------
    fn : function
        The kernel's Python source (using ``numba.prange``).

    Returns
    -------
    function
        The guarded kernel.
    """
    kernel = njit(cache=True, parallel=True)(fn)

    @functools.wraps(fn)
    def guarded(*args):
        with _LAUNCH_LOCK:
            configure()
            return kernel(*args)

    guarded.kernel = kernel
    return guarded


def set_threads(n_jobs: int | None) -> int:
    """Set numba's thread count from scikit-learn-style ``n_jobs``.

    Parameters
    ----------
    n_jobs : int or None
        None: 1; -1: every core; else at most the cores there are.

    Returns
    -------
    int
        The threads set.
    """
    configure()  # setting the count starts numba's threads: the layer is chosen first
    n_max = numba.config.NUMBA_NUM_THREADS
    n = 1 if n_jobs is None else (n_max if n_jobs < 0 else min(int(n_jobs), n_max))
    numba.set_num_threads(max(n, 1))
    return max(n, 1)
