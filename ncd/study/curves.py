"""Learning curves: test error of each learner at log-spaced training sizes over seeds.

Each (dataset, learner, size, seed) is one cell: a stratified seeded sample of ``size``
training images (:meth:`~ncdvision.datasets.Dataset.subset`), the learner fitted on it, its
error on the fixed test split. Cells are cached as they finish (:class:`~ncdvision.ncd.cache.ResultCache`).
"""

from __future__ import annotations

import time

import numpy as np

from ..cache import ResultCache
from .learners import make_learner


def log_sizes(n_max: int, count: int = 6, n_min: int | None = None) -> list[int]:
    """``count`` log-spaced training sizes up to ``n_max`` (the smallest at least 2 per class
    is the caller's business; default ``n_max / 32``)."""
    n_min = n_min or max(n_max // 32, 10)
    return sorted({int(round(v)) for v in np.geomspace(n_min, n_max, count)})


def learning_curves(train, test, learners, sizes, seeds=(0, 1, 2), *, cache=None,
                    progress: bool | None = None, tag: str | None = None) -> list[dict]:  # fmt: skip
    """One row per cell: dataset, learner, size, seed, error, accuracy, seconds."""
    from tqdm.auto import tqdm

    cells = ResultCache(cache) if not isinstance(cache, ResultCache) else cache
    name = tag or train.name
    if max(sizes) > len(train):
        raise ValueError(f"training size {max(sizes)} is larger than {name}'s {len(train)}")
    jobs = [(lr, n, s) for lr in learners for n in sizes for s in seeds]
    rows = []
    for learner, n, seed in tqdm(jobs, desc=f"curves {name}", disable=progress is False):

        def compute(learner=learner, n=n, seed=seed):
            sub = train.subset(n=n, seed=seed)
            t = time.perf_counter()
            acc = float(make_learner(learner).fit(sub.images, sub.labels).score(test.images,
                                                                                test.labels))  # fmt: skip
            return {"accuracy": acc, "seconds": time.perf_counter() - t}

        cell = {"dataset": name, "learner": learner, "size": int(n), "seed": int(seed),
                "n_test": len(test)}  # fmt: skip
        res = cells.get(cell, compute)
        rows.append({**cell, **res, "error": 1.0 - res["accuracy"]})
    return rows
