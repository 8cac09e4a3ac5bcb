"""Panels of datasets for the studies: a complexity ladder from learnable to unlearnable.

Each entry is a name and a function returning the (pool, test) pair: the pool is the training
split the learning curves sample from (at most ``pool`` images, stratified), the test split is
fixed. ``quick`` fits in the README's time budget; ``full`` is the bench panel. User datasets
(paths) are added with :func:`panel`'s ``extra``.
"""

from __future__ import annotations

from collections.abc import Callable

from ncdvision.datasets import BENCHMARK_TEST_SIZE, Dataset, corrupt_pixels, load


def pool_split(ds: Dataset, pool: int, test: int, name: str | None = None, seed: int = 0):
    """The benchmark protocol's split (or ``test`` images for other sets), with at most
    ``test`` test and ``pool`` training images (stratified), renamed ``name``."""
    train, te = ds.split(test_size=BENCHMARK_TEST_SIZE.get(ds.name, test), seed=seed)
    k = len(ds.class_names)  # a stratified sample leaves at least one of each class out
    if len(te) >= test + k:
        te = te.subset(n=test, seed=seed)
    if len(train) >= pool + k:
        train = train.subset(n=pool, seed=seed)
    name = name or ds.name
    return train.with_(name=name), te.with_(name=name)


def _corrupted(base: str, kind: str, severity: int, pool: int, test: int):
    name = f"{base}-{kind}{severity}"
    train, te = pool_split(load(base), pool, test)
    return tuple(corrupt_pixels(part, kind, severity, seed=seed)[0].with_(name=name)
                 for seed, part in enumerate((train, te)))  # fmt: skip


def _entries(pool: int, test: int, full: bool) -> dict[str, Callable[[], tuple]]:
    n_syn = (pool + test) // 8 + 1  # per class, 8 classes
    e = {
        "digits": lambda: pool_split(load("digits"), pool, test),
        "mnist-5k": lambda: pool_split(load("mnist-5k"), pool, test),
        "mnist-5k-gaussian3": lambda: _corrupted("mnist-5k", "gaussian", 3, pool, test),
        "shapes": lambda: pool_split(load("shapes", n_per_class=n_syn), pool, test),
        "shapes-noise0.2": lambda: pool_split(load("shapes", n_per_class=n_syn, noise=0.2),
                                              pool, test, "shapes-noise0.2"),
        "shapes-noise0.5": lambda: pool_split(load("shapes", n_per_class=n_syn, noise=0.5),
                                              pool, test, "shapes-noise0.5"),
        "textures": lambda: pool_split(load("textures", n_per_class=n_syn), pool, test),
        "noise": lambda: pool_split(load("noise", n=pool + test), pool, test),
    }  # fmt: skip
    if full:
        e["fashion-mnist-10k"] = lambda: pool_split(load("fashion-mnist-10k"), pool, test)
        e["mnist-5k-blur3"] = lambda: _corrupted("mnist-5k", "blur", 3, pool, test)
    return e


#: name -> (training pool, test size, full?); ``tiny`` is for tests.
PANELS = {"tiny": (120, 100, False), "quick": (1000, 500, False), "full": (4000, 1000, True)}


def panel(name: str = "quick", extra=()) -> dict[str, Callable[[], tuple[Dataset, Dataset]]]:
    """Loaders of a panel's (pool, test) pairs by dataset name; ``extra`` adds user paths
    (split 80/20, pooled like the others)."""
    if name not in PANELS:
        raise ValueError(f"unknown panel {name!r}; known: {', '.join(PANELS)}")
    pool, test, full = PANELS[name]
    entries = _entries(pool, test, full)
    for path in extra:
        entries[str(path)] = lambda p=path: pool_split(load(p), pool, test)
    return entries
