"""Task panels for the studies: families of tasks, each family varying one thing.

A task is a name, its family and a function returning its (pool, test) pair: the pool is the
training split the learning curves sample from (``pool`` images, stratified), the test split
is fixed. The families (:data:`FAMILIES`):

- ``class-subsets``: 2 to 10 classes of mnist-5k and fashion-mnist-10k, and all of digits
  (the subsets drawn with a fixed seed);
- ``shapes``: the synthetic shapes with the number of classes, the deformation (jitter) and
  the clutter (pixel noise) varied;
- ``textures``: the synthetic textures with the number of classes and the noise that pulls the
  classes' statistics together varied;
- ``pixel-corruption``: gaussian noise and blur ladders of mnist-5k and fashion-mnist-10k;
- ``label-noise``: symmetric label noise in the training pool of mnist-5k and
  fashion-mnist-10k (and digits in ``full``; the test labels stay clean);
- ``resolution``: mnist-5k and fashion-mnist-10k downsampled (box filter) to 7, 10 and 14
  pixels (and 5, 8 and 20 in ``full``);
- ``noise``: uniform random pixels with random labels, the unlearnable control.

Every task is generated deterministically from its name. ``quick`` holds the 49 core tasks and
learns from up to 400 images; ``full`` holds the same 49 and 49 more of the same families
(:data:`SUBSETS_EXTENDED` and the other ``*_EXTENDED`` specs), 98 tasks, and learns from up to
1,000. The across-task intervals narrow with the number of tasks: at the correlations the
core panel measured (0.3 to 0.5), 49 tasks give 90% half-widths of 0.21 to 0.26, about 0.2
needs 80 to 90. ``tiny`` is a 7-task smoke test of the machinery, not a result. User datasets
(paths) are added with :func:`panel`'s ``extra`` in a family of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ncdvision.datasets import BENCHMARK_TEST_SIZE, Dataset, corrupt_labels, corrupt_pixels, load

#: The families, in report order.
FAMILIES = ("class-subsets", "shapes", "textures", "pixel-corruption", "label-noise",
            "resolution", "noise")  # fmt: skip


@dataclass(frozen=True)
class PanelSize:
    """How large a panel's tasks are.

    Parameters
    ----------
    pool : int
        Training images each task offers (the largest learning-curve size).
    test : int
        Test images of each task.
    sizes : tuple of int
        The learning-curve sizes; the first three are the pilot a forecast sees.
    extended : bool, default=False
        Whether the panel adds the tasks of the ``*_EXTENDED`` specs to the 49 core tasks.
    """

    pool: int
    test: int
    sizes: tuple[int, ...]
    extended: bool = False

    @property
    def pilot(self) -> tuple[int, ...]:
        """The pilot's training sizes (the three smallest)."""
        return self.sizes[:3]


#: The panels' sizes; ``quick`` and ``full`` share the pilot (25, 50, 100) that
#: ``ncdvision study forecast`` measures on a user's dataset.
PANELS = {
    "tiny": PanelSize(120, 60, (20, 40, 60, 80, 100, 120)),
    "quick": PanelSize(400, 200, (25, 50, 100, 160, 250, 400)),
    "full": PanelSize(1000, 300, (25, 50, 100, 200, 400, 1000), extended=True),
}


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


def class_subset(ds: Dataset, n_classes: int, draw: int, name: str) -> Dataset:
    """``n_classes`` classes of ``ds`` drawn with seed ``draw`` (all of them when it has no
    more), relabelled 0..n_classes-1."""
    keep = np.sort(np.random.default_rng(draw).choice(len(ds.class_names), n_classes,
                                                      replace=False))  # fmt: skip
    rows = np.flatnonzero(np.isin(ds.labels, keep))
    sub = ds.subset(rows)
    return sub.with_(labels=np.searchsorted(keep, sub.labels), test_mask=None, name=name,
                     class_names=tuple(ds.class_names[c] for c in keep))  # fmt: skip


def downsample(ds: Dataset, side: int, name: str) -> Dataset:
    """Every image box-filtered to ``side`` x ``side`` pixels."""
    small = np.stack([np.asarray(Image.fromarray(im).resize((side, side), Image.BOX))
                      for im in ds.images])  # fmt: skip
    return ds.with_(images=small, name=name)


def _subsets(specs: dict, size: PanelSize) -> dict[str, Callable]:
    out = {}
    for base, counts in specs.items():
        for spec in counts:
            if spec is None:  # the whole set
                out[base] = lambda b=base: pool_split(load(b), size.pool, size.test)
                continue
            n, draw = spec
            name = f"{base}-{n}cls-{'abc'[draw]}"
            out[name] = lambda b=base, n=n, d=draw, m=name: pool_split(
                class_subset(load(b), n, d, m), size.pool, size.test)  # fmt: skip
    return out


def _synthetic(kind: str, specs: dict, size: PanelSize) -> dict[str, Callable]:
    def make(kw):
        n_per = -(-(size.pool + size.test) // kw.get("n_classes", 8)) + 2
        return load(kind, n_per_class=n_per, **kw)

    return {name: lambda kw=kw, m=name: pool_split(make(kw), size.pool, size.test, m)
            for name, kw in specs.items()}  # fmt: skip


SHAPES = {
    "shapes": {},
    "shapes-2cls": {"n_classes": 2},
    "shapes-4cls": {"n_classes": 4},
    "shapes-jitter0.05": {"jitter": 0.05},
    "shapes-jitter0.3": {"jitter": 0.3},
    "shapes-noise0.2": {"noise": 0.2},
    "shapes-noise0.5": {"noise": 0.5},
    "shapes-4cls-jitter0.3-noise0.5": {"n_classes": 4, "jitter": 0.3, "noise": 0.5},
}
SHAPES_EXTENDED = {
    "shapes-3cls": {"n_classes": 3},
    "shapes-6cls": {"n_classes": 6},
    "shapes-jitter0.2": {"jitter": 0.2},
    "shapes-noise0.1": {"noise": 0.1},
    "shapes-noise0.35": {"noise": 0.35},
    "shapes-2cls-noise0.5": {"n_classes": 2, "noise": 0.5},
    "shapes-4cls-jitter0.3": {"n_classes": 4, "jitter": 0.3},
}
TEXTURES = {
    "textures": {},
    "textures-noise0.3": {"noise": 0.3},
    "textures-noise0.6": {"noise": 0.6},
    "textures-4cls": {"n_classes": 4},
    "textures-4cls-noise0.6": {"n_classes": 4, "noise": 0.6},
    "textures-2cls-noise0.9": {"n_classes": 2, "noise": 0.9},
}
TEXTURES_EXTENDED = {
    "textures-2cls": {"n_classes": 2},
    "textures-6cls": {"n_classes": 6},
    "textures-noise0.15": {"noise": 0.15},
    "textures-noise0.45": {"noise": 0.45},
    "textures-noise0.75": {"noise": 0.75},
    "textures-4cls-noise0.3": {"n_classes": 4, "noise": 0.3},
}


def _corrupted(base: str, kind: str, severity: int, size: PanelSize):
    name = f"{base}-{kind}{severity}"
    train, te = pool_split(load(base), size.pool, size.test)
    return tuple(corrupt_pixels(part, kind, severity, seed=seed)[0].with_(name=name)
                 for seed, part in enumerate((train, te)))  # fmt: skip


def _label_noise(base: str, rate: float, size: PanelSize):
    name = f"{base}-labels{rate}"
    train, te = pool_split(load(base), size.pool, size.test)
    return corrupt_labels(train, rate, seed=0)[0].with_(name=name), te.with_(name=name)


def _resolution(base: str, side: int, size: PanelSize):
    name = f"{base}-{side}px"
    return tuple(downsample(part, side, name) for part in pool_split(load(base), size.pool,
                                                                      size.test))  # fmt: skip


#: The specs of the core tasks (every panel) and of the extended ones (``full``), family by
#: family: class subsets as (classes, draw) per set (None: the whole set), corruptions as
#: (set, kind, severity), label noise as (set, rate), resolutions as (set, side), noise
#: controls as (name, classes).
SUBSETS = {"mnist-5k": (None, (3, 0), (3, 1), (5, 0), (5, 1)),
           "fashion-mnist-10k": (None, (2, 0), (2, 1), (3, 0), (5, 0), (5, 1)),
           "digits": (None,)}  # fmt: skip
SUBSETS_EXTENDED = {
    "mnist-5k": ((2, 0), (2, 1), (4, 0), (5, 2), (6, 0), (7, 0)),
    "fashion-mnist-10k": ((3, 1), (4, 0), (5, 2), (6, 0), (7, 0), (8, 0)),
}
CORRUPTIONS = (("mnist-5k", "gaussian", 1), ("mnist-5k", "gaussian", 3), ("mnist-5k", "gaussian", 5),
               ("mnist-5k", "blur", 1), ("mnist-5k", "blur", 3), ("mnist-5k", "blur", 5),
               ("fashion-mnist-10k", "gaussian", 2), ("fashion-mnist-10k", "gaussian", 4))  # fmt: skip
CORRUPTIONS_EXTENDED = (("mnist-5k", "gaussian", 2), ("mnist-5k", "gaussian", 4),
                        ("fashion-mnist-10k", "gaussian", 1), ("fashion-mnist-10k", "gaussian", 3),
                        ("fashion-mnist-10k", "gaussian", 5), ("fashion-mnist-10k", "blur", 1),
                        ("fashion-mnist-10k", "blur", 3), ("fashion-mnist-10k", "blur", 5))  # fmt: skip
LABEL_NOISE = (("mnist-5k", 0.1), ("mnist-5k", 0.2), ("mnist-5k", 0.4), ("mnist-5k", 0.6),
               ("fashion-mnist-10k", 0.2), ("fashion-mnist-10k", 0.4))  # fmt: skip
LABEL_NOISE_EXTENDED = (("mnist-5k", 0.05), ("mnist-5k", 0.3), ("mnist-5k", 0.5),
                        ("fashion-mnist-10k", 0.1), ("fashion-mnist-10k", 0.3),
                        ("fashion-mnist-10k", 0.6), ("digits", 0.2), ("digits", 0.4))  # fmt: skip
RESOLUTIONS = tuple((b, s) for b in ("mnist-5k", "fashion-mnist-10k") for s in (7, 10, 14))
RESOLUTIONS_EXTENDED = tuple((b, s) for b in ("mnist-5k", "fashion-mnist-10k") for s in (5, 8, 20))
NOISE = (("noise", 10), ("noise-5cls", 5), ("noise-2cls", 2))
NOISE_EXTENDED = (("noise-3cls", 3), ("noise-7cls", 7))


def _noise_task(n: int, name: str, size: PanelSize):
    return pool_split(load("noise", n=size.pool + size.test + 20, n_classes=n), size.pool,
                      size.test, name)  # fmt: skip


def _family_tasks(size: PanelSize, subsets, shapes, textures, corruptions, label_noise,
                  resolutions, noise) -> dict[str, dict[str, Callable]]:  # fmt: skip
    """Loaders of one set of specs, family by family."""
    return {
        "class-subsets": _subsets(subsets, size),
        "shapes": _synthetic("shapes", shapes, size),
        "textures": _synthetic("textures", textures, size),
        "pixel-corruption": {
            f"{b}-{k}{s}": (lambda b=b, k=k, s=s: _corrupted(b, k, s, size))
            for b, k, s in corruptions
        },  # fmt: skip
        "label-noise": {
            f"{b}-labels{r}": (lambda b=b, r=r: _label_noise(b, r, size)) for b, r in label_noise
        },  # fmt: skip
        "resolution": {
            f"{b}-{s}px": (lambda b=b, s=s: _resolution(b, s, size)) for b, s in resolutions
        },  # fmt: skip
        "noise": {name: (lambda n=n, m=name: _noise_task(n, m, size)) for name, n in noise},
    }


def _tasks(size: PanelSize) -> dict[str, tuple[str, Callable]]:
    fam = _family_tasks(size, SUBSETS, SHAPES, TEXTURES, CORRUPTIONS, LABEL_NOISE, RESOLUTIONS,
                        NOISE)  # fmt: skip
    if size.extended:
        more = _family_tasks(size, SUBSETS_EXTENDED, SHAPES_EXTENDED, TEXTURES_EXTENDED,
                             CORRUPTIONS_EXTENDED, LABEL_NOISE_EXTENDED, RESOLUTIONS_EXTENDED,
                             NOISE_EXTENDED)  # fmt: skip
        fam = {f: {**fam[f], **more[f]} for f in FAMILIES}
    return {name: (family, f) for family in FAMILIES for name, f in fam[family].items()}


#: The tiny panel's tasks (a smoke test of the machinery).
TINY = ("shapes", "shapes-2cls", "shapes-noise0.2", "shapes-noise0.5", "textures",
        "textures-noise0.6", "noise")  # fmt: skip


def panel_tasks(name: str = "quick", extra=()) -> dict[str, tuple[str, Callable]]:
    """A panel's tasks: name -> (family, loader of the (pool, test) pair).

    Parameters
    ----------
    name : {"tiny", "quick", "full"}, default="quick"
        The panel.
    extra : sequence of path-like, default=()
        User datasets to add (split as the others, in the family ``user``).

    Returns
    -------
    dict
        Task name to (family, loader), families in :data:`FAMILIES` order.
    """
    if name not in PANELS:
        raise ValueError(f"unknown panel {name!r}; known: {', '.join(PANELS)}")
    size = PANELS[name]
    tasks = _tasks(size)
    if name == "tiny":
        tasks = {t: tasks[t] for t in TINY}
    for path in extra:
        tasks[str(path)] = ("user", lambda p=path: pool_split(load(p), size.pool, size.test))
    return tasks


def panel(name: str = "quick", extra=()) -> dict[str, Callable[[], tuple[Dataset, Dataset]]]:
    """Loaders of a panel's (pool, test) pairs by task name (:func:`panel_tasks` without the
    families).

    Parameters
    ----------
    name : {"tiny", "quick", "full"}, default="quick"
        The panel.
    extra : sequence of path-like, default=()
        User datasets to add.

    Returns
    -------
    dict
        Task name to loader.
    """
    return {t: f for t, (_, f) in panel_tasks(name, extra).items()}
