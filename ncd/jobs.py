"""The two user-facing jobs: ``classify`` (benchmark table on a dataset) and ``baseline``
(competition submission from image folders)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .knn import NCDKNNClassifier, PixelKNNClassifier
from .outdir import OutputFolder
from .output import check_output
from .writers import confusion_png, write_json, write_predictions_csv


def _fit_predict(clf, train, test, method: str, rows: list) -> np.ndarray:
    """Fit on train, predict test, append a timed result row; returns the predictions."""
    t = time.perf_counter()
    clf.fit(train.images, train.labels)
    t_fit = time.perf_counter() - t
    t = time.perf_counter()
    pred = clf.predict(test.images)
    t_pred = time.perf_counter() - t
    settings = clf.settings()
    m_fit = settings.pop("n_candidates", None)
    recall = settings.pop("cascade_recall", None)
    plan = settings.pop("cascade", None)
    compression = settings["codec"] != "-"
    m = clf.candidates_for(len(test)) if compression else None
    walked = clf.cascade_plan().walked if m is not None else None
    measured_s = clf.cascade_plan().seconds if m is not None else None
    rows.append(
        {
            "method": method,
            **settings,
            "search": (
                "-"
                if not compression
                else plan
                if m is not None
                else "exact (small job)"
                if clf.search != "exact"
                else "exact"
            ),  # fmt: skip
            "cascade_m_chosen": m_fit,  # on training queries; None where no call needed it
            "cascade_train_recall": recall,
            "recall_measurement_s": measured_s,  # part of predict_s: choosing M
            "n_test": len(test),
            "accuracy": float(np.mean(pred == test.labels)),
            "fit_s": t_fit,
            "predict_s": t_pred,
            # pairs ranked: with a stopping rule, the mean walked on training queries estimates
            # the candidates per test query
            "pairs_per_s": len(test) * (walked or m or len(train)) / t_pred
            if compression
            else None,
        }
    )
    return pred


def classify(
    dataset: str = "mnist-5k",
    *,
    codec="auto",
    k="auto",
    serializer="auto",
    test_size: int | None = None,
    seed: int = 0,
    out: str | Path = "ncdvision-out",
    n_jobs: int = -1,
    search: str = "auto",
    recall: float = 0.99,
    backend: str = "local",
    scheduler=None,
    baselines: bool = True,
    baseline_test: int = 200,
) -> dict:
    """Run the compression classifier and the baselines on one split; write a report folder.

    Baselines: L2 pixel kNN on the same split, and gzip NCD kNN (the published method, exact
    search) on a stratified sample of ``baseline_test`` test images (all when 0).

    ``out`` is written as one set (:class:`~ncdvision.ncd.outdir.OutputFolder`): it must be new,
    empty or an earlier run's, and may not hold or lie inside the dataset's path.
    """
    if isinstance(baseline_test, bool) or not isinstance(baseline_test, int) or baseline_test < 0:
        raise ValueError(f"baseline_test must be an integer >= 0 (0: every test image), got "
                         f"{baseline_test!r}")  # fmt: skip
    kw = dict(codec=codec, k=k, serializer=serializer, test_size=test_size, seed=seed,
              n_jobs=n_jobs, search=search, recall=recall, backend=backend, scheduler=scheduler,
              baselines=baselines, baseline_test=baseline_test)  # fmt: skip
    known = ("report.json", "predictions.csv", "confusion.png")
    with OutputFolder(out, inputs=[dataset], known=known) as folder:  # checked and locked first
        report = _classify(dataset, folder.stage, **kw)
    return report


def _classify(dataset, out: Path, *, codec, k, serializer, test_size, seed, n_jobs, search,
              recall, backend, scheduler, baselines, baseline_test) -> dict:  # fmt: skip
    from ncdvision.datasets import BENCHMARK_TEST_SIZE, load

    ds = load(dataset)
    if test_size is None:
        test_size = BENCHMARK_TEST_SIZE.get(dataset, None if ds.test_mask is not None else 0.2)
    train, test = ds.split(test_size=test_size, seed=seed)
    rows = []

    clf = NCDKNNClassifier(codec=codec, serializer=serializer, k=k, n_jobs=n_jobs, search=search,
                           recall=recall, backend=backend, scheduler=scheduler,
                           verbose=True)  # fmt: skip
    pred = _fit_predict(clf, train, test, "NCD kNN", rows)
    if baselines:
        _fit_predict(PixelKNNClassifier(), train, test, "L2 pixel kNN", rows)
        # the published method: gzip NCD on raw bytes, every pair (the distances of the naive
        # loop), k by leave-one-out on 50 training queries
        sample = test if not 0 < baseline_test < len(test) else test.subset(n=baseline_test)
        gz = NCDKNNClassifier(codec="gzip", serializer="raw", k="auto", n_jobs=n_jobs,
                              search="exact", loo_size=500, backend=backend,
                              scheduler=scheduler, verbose=True)  # fmt: skip
        _fit_predict(gz, train, sample, "gzip NCD kNN (naive baseline)", rows)

    report = {
        "dataset": ds.name,
        "provenance": ds.provenance,
        "n_train": len(train),
        "n_test": len(test),
        "seed": seed,
        "test_size": test_size,
        "results": rows,
        "selection": clf.selection_,
        "tie_rule": "majority vote; a tie goes to the tied class whose nearest member is closest",
    }
    write_json(out / "report.json", report)
    names = np.asarray(ds.class_names)
    write_predictions_csv(
        out / "predictions.csv",
        list(range(len(test))),
        names[pred],
        header=("test_index", "predicted"),
    )
    confusion_png(
        out / "confusion.png",
        test.labels,
        pred,
        ds.class_names,
        f"{ds.name}: {clf.codec_}/{clf.serializer_} k={clf.k_}, acc {rows[0]['accuracy']:.3f}",
    )
    return report


def format_table(rows: list[dict]) -> str:
    head = (f"{'method':30s} {'codec':15s} {'serial':8s} {'k':>2s} {'search':29s} {'n_test':>6s} "
            f"{'LOO acc':>8s} {'top-1':>6s} {'time s':>7s} {'pairs/s':>10s}")  # fmt: skip
    lines = [head, "-" * len(head)]
    for r in rows:
        loo = f"{r['loo_accuracy']:.3f}" if r.get("loo_accuracy") is not None else "-"
        pps = f"{r['pairs_per_s']:,.0f}" if r.get("pairs_per_s") else "-"
        lines.append(
            f"{r['method']:30s} {r['codec']:15s} {r['serializer']:8s} {r['k']:>2} "
            f"{r['search']:29s} {r['n_test']:>6} {loo:>8s} {r['accuracy']:6.3f} "
            f"{r['fit_s'] + r['predict_s']:7.1f} {pps:>10s}"
        )
    return "\n".join(lines)


def _test_ids(paths: list[Path]) -> list[str]:
    """Submission ids (file stems); refuses stems shared by several files."""
    from collections import defaultdict

    from ncdvision.datasets import DatasetError, shown

    by_id = defaultdict(list)
    for p in paths:
        by_id[p.stem].append(p)
    clashes = {i: ps for i, ps in by_id.items() if len(ps) > 1}
    if clashes:
        listing = "\n  ".join(
            f"{i}: {', '.join(shown(p) for p in ps)}" for i, ps in clashes.items()
        )
        raise DatasetError(
            f"test files must have unique ids (the file name without its suffix); "
            f"{len(clashes)} id(s) are shared:\n  {listing}"
        )
    return [p.stem for p in paths]


def _training_size(train_dir: Path) -> tuple[int, int]:
    """(width, height) most common among the training images (headers only)."""
    from collections import Counter

    from PIL import Image

    from ncdvision.datasets import DatasetError, list_images

    sizes = Counter()
    for d in sorted(p for p in train_dir.iterdir() if p.is_dir()) if train_dir.is_dir() else []:
        for f in list_images(d):
            try:
                with Image.open(f) as im:
                    sizes[im.size] += 1
            except Exception:  # noqa: BLE001 - unreadable files are reported by the reader
                pass
    if not sizes:
        raise DatasetError(
            f"{train_dir}: expected class subfolders with images (ImageFolder layout)"
        )
    return sizes.most_common(1)[0][0]


def baseline(
    train_dir,
    test_dir,
    out,
    *,
    codec="auto",
    k="auto",
    proba=False,
    skip_bad=False,
    color="auto",
    n_jobs=-1,
    transductive=False,
) -> dict:
    """ImageFolder training set + flat test folder -> ``id,label`` submission CSV.

    ``out="-"`` writes the CSV to standard output. Test ids are the file stems and must be
    unique; files of the test folder that are not read (hidden, other suffixes, folders) are
    returned under ``ignored``. ``transductive=True`` lets a learned coder's prior learn from
    the test images' pixels as well (``fit(..., X_unlabeled=X_test)``; they have no labels to
    read); off by default, since a submission is then a function of the whole test set.
    """
    from ncdvision.datasets import DatasetError, read_images, scan_folder
    from ncdvision.datasets.files import load_image_folder

    check_output(out, inputs=[train_dir, test_dir])
    train_dir, test_dir = Path(train_dir), Path(test_dir)
    w, h = _training_size(train_dir)  # every image is resized to the most common training size
    test_paths, ignored = scan_folder(test_dir)
    if not test_paths:
        raise DatasetError(f"{test_dir}: no images (expected a flat folder of image files)")
    train = load_image_folder(train_dir, color=color, resize=(h, w))
    gray = train.images.ndim == 3
    X_test, kept, bad = read_images(
        test_paths, color="gray" if gray else "rgb", resize=(h, w), skip_bad=skip_bad
    )
    ids = _test_ids(kept)
    pool = {"X_unlabeled": X_test} if transductive else {}
    clf = NCDKNNClassifier(codec=codec, k=k, n_jobs=n_jobs, verbose=True).fit(
        train.images, train.labels, **pool
    )
    pred = clf.predict(X_test)
    names = np.asarray(train.class_names)
    probs = clf.predict_proba(X_test) if proba else None
    write_predictions_csv(out, ids, names[pred], probs, train.class_names if proba else None)
    return {
        "settings": clf.settings(),
        "n_train": len(train),
        "n_test": len(kept),
        "image_size": (h, w),
        "transductive": bool(transductive),
        "skipped": [(str(p), why) for p, why in bad],
        "ignored": [(str(p), why) for p, why in ignored] + train.provenance["ignored"],
        "out": str(out),
    }
