"""Blocks of work on a Dask cluster (``dask.distributed``): the ``backend="dask"`` of
:func:`~ncdvision.ncd.pairwise` and :func:`~ncdvision.ncd.kneighbors`.

Blocks of query rows are tasks; what every block needs (the fitted compressor, the prepared
reference set, its first-stage features) is sent to every worker once
(``Client.scatter(..., broadcast=True)``), never embedded in a task; each task runs the same
block function as the local backend, so results are identical. Results stream back as tasks
finish: kneighbors keeps O(n_x k), pairwise fills the caller's (possibly memory-mapped)
``out``.

Where the cluster is: ``scheduler=`` (an address such as ``tcp://10.0.0.5:8786``, or a
``distributed.Client``), else ``$NCDVISION_DASK_SCHEDULER``, else a ``LocalCluster`` of one
single-threaded worker process per core, started for the call and closed after it. The numba
kernels are plain module functions: workers import and compile them (numba's on-disk cache
applies per machine); no jitted function is ever pickled.

Needs the ``[dask]`` extra: ``pip install 'ncdvision[dask]'``.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

SCHEDULER_ENV = "NCDVISION_DASK_SCHEDULER"


class ClusterError(RuntimeError):
    """The Dask cluster could not finish the work (workers lost, futures cancelled)."""


MISSING = "the dask backend needs dask.distributed: pip install 'ncdvision[dask]'"


@contextmanager
def dask_client(scheduler=None, n_workers: int | None = None):
    """A ``distributed.Client``: the one given, one connected to ``scheduler`` /
    ``$NCDVISION_DASK_SCHEDULER``, or a temporary ``LocalCluster``."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ImportError(MISSING) from exc
    if isinstance(scheduler, Client):
        yield scheduler
        return
    address = scheduler or os.environ.get(SCHEDULER_ENV)
    if address:
        with Client(address) as client:
            yield client
        return
    n = n_workers or os.cpu_count() or 1
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:  # fmt: skip
        yield client


def _run(fn: Callable, comp, shared: tuple, args: tuple, n_jobs: int):
    local = copy.copy(comp)  # the scattered compressor with this worker's thread count
    local.n_jobs = n_jobs
    return fn(local, *shared, *args)


def map_blocks(fn: Callable, comp, shared: tuple, make_blocks: Callable[[int], list],
               *, scheduler=None, n_jobs_per_worker: int = 1) -> Iterator[tuple]:  # fmt: skip
    """``fn(comp, *shared, *args)`` for every ``(key, args)`` of ``make_blocks(n_workers)`` on
    the cluster, yielding ``(key, result)`` in the order tasks finish; ``comp`` and ``shared``
    go to each worker once."""
    from distributed import as_completed

    with dask_client(scheduler) as client:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        # hash=False: unique keys per call; with content keys a later call scattering the same
        # data could have its copy released when an earlier call's futures are dropped
        comp_f, *shared_f = client.scatter([comp, *shared], broadcast=True, hash=False)
        futures = {
            client.submit(
                _run, fn, comp_f, tuple(shared_f), args, n_jobs_per_worker, pure=False
            ): key  # fmt: skip
            for key, args in make_blocks(n_workers)
        }
        total = len(futures)
        for fut in as_completed(list(futures)):
            try:
                result = fut.result()
            except (ValueError, MemoryError):  # the task's own, clear errors
                raise
            except Exception as exc:  # noqa: BLE001 - KilledWorker, cancelled futures, ...
                raise ClusterError(
                    f"dask backend: a task's worker was lost or the task was cancelled "
                    f"({type(exc).__name__}: {exc}); {len(futures)} of {total} blocks are "
                    "unfinished. Check the cluster's workers (memory, restarts) and rerun"
                ) from exc
            yield futures.pop(fut), result


def task_rows(n_rows: int, n_workers: int) -> int:
    """Rows per task: about four tasks per worker, at most 512 rows."""
    return max(1, min(512, -(-n_rows // (4 * n_workers))))
