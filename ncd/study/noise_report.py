"""The noise study's report folder: ``report.md``, ``results.json``, ``cells.csv`` and PNG
figures (severity curves, corruption picture grid, label-noise curves, compressibility change
against accuracy drop), each written through a temp file and a rename."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ncdvision.datasets import Dataset, corrupt_pixels

from ..output import atomic_write
from ..writers import pyplot, save_png
from .noise import BASELINE, PRIMARY, REGIMES, mean_where
from .report_parts import ci_text, fmt_value, markdown_table, start_report

#: Rolnick et al. (2017): deep nets on MNIST keep above 90% accuracy with many random-label
#: copies; here, the share of its clean accuracy a learner keeps.
ROLNICK_ACCURACY = 0.90


def severity_png(path: Path, res: dict) -> Path:
    """Accuracy against severity per corruption (small multiples): one colour per learner,
    solid for the train regime, dashed for the test regime."""
    plt = pyplot()
    corr = res["settings"]["corruptions"]
    cols = min(4, len(corr))
    rows = -(-len(corr) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False,
                             sharey=True)  # fmt: skip
    for ax in axes.ravel()[len(corr) :]:
        ax.axis("off")
    sev = [0, *res["settings"]["severities"]]
    acc = res["accuracy"]
    for ax, c in zip(axes.ravel(), corr, strict=False):
        for i, lr in enumerate(res["learners"]):
            for regime, style in zip(REGIMES, ("-", "--"), strict=True):
                y = [mean_where(acc, "accuracy", regime=regime, learner=lr,
                           **({"corruption": "clean"} if s == 0 else
                              {"corruption": c, "severity": s})) for s in sev]  # fmt: skip
                ax.plot(sev, y, style, color=f"C{i}", marker=".",
                        label=f"{lr} ({regime} noisy)")  # fmt: skip
        ax.set_title(c, fontsize=9)
        ax.set_xlabel("severity", fontsize=8)
        ax.set_ylabel("test accuracy", fontsize=8)
    axes.ravel()[0].legend(fontsize=6)
    return save_png(fig, path)


def picture_grid_png(path: Path, test: Dataset, settings: dict, n_images: int = 2,
                     seed: int = 0) -> Path:  # fmt: skip
    """Rows: corruptions; columns: severity 0 (clean) to 5, for ``n_images`` test images."""
    plt = pyplot()
    corr = settings["corruptions"]
    sev = [0, *settings["severities"]]
    first = np.unique(test.labels, return_index=True)[1]  # one image of each class
    sample = test.subset(
        first[np.linspace(0, len(first) - 1, min(n_images, len(first))).astype(int)]
    )
    fig, axes = plt.subplots(len(corr), len(sev) * len(sample),
                             figsize=(0.75 * len(sev) * len(sample), 0.8 * len(corr)),
                             squeeze=False)  # fmt: skip
    for r, c in enumerate(corr):
        for j, s in enumerate(sev):
            imgs = sample.images if s == 0 else corrupt_pixels(sample, c, s, seed=seed)[0].images
            for k, img in enumerate(imgs):
                ax = axes[r, k * len(sev) + j]
                ax.imshow(img, cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=255)
                ax.set_xticks([])
                ax.set_yticks([])
                if r == 0:
                    ax.set_title(str(s), fontsize=7)
        axes[r, 0].set_ylabel(c, fontsize=7, rotation=0, ha="right", va="center")
    return save_png(fig, path)


def label_noise_png(path: Path, res: dict) -> Path:
    """Accuracy against label-noise rate per learner (solid symmetric, dashed pairwise)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for kind, style in zip(res["settings"]["label_kinds"], ("-", "--"), strict=False):
        curve = [r for r in res["label_noise"] if r["kind"] == kind]
        for i, lr in enumerate(res["learners"]):
            ax.plot([r["rate"] for r in curve], [r[f"accuracy {lr}"] for r in curve], style,
                    marker="o", color=f"C{i}", label=f"{lr} ({kind})")  # fmt: skip
    ax.axhline(ROLNICK_ACCURACY, color="grey", lw=0.8, ls=":", label="90% (Rolnick et al. 2017)")
    ax.set_xlabel("label-noise rate of the training labels")
    ax.set_ylabel("clean test accuracy")
    ax.legend(fontsize=7)
    return save_png(fig, path)


def scatter_png(path: Path, res: dict, predictor: str = PRIMARY) -> Path:
    """Change of ``predictor`` against accuracy drop, one point per cell, a panel per regime."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), squeeze=False)
    for ax, regime in zip(axes[0], REGIMES, strict=True):
        for i, lr in enumerate(res["learners"]):
            sel = [d for d in res["deltas"] if d["regime"] == regime and d["learner"] == lr]
            corr = next((r for r in res["correlations"] if r["regime"] == regime
                         and r["learner"] == lr and r["predictor"] == predictor), {})  # fmt: skip
            label = lr + (f" (ρ={ci_text(corr, 'spearman')})" if corr.get("spearman") is not None
                          else "")  # fmt: skip
            ax.scatter([d[f"delta {predictor}"] for d in sel], [d["accuracy_drop"] for d in sel],
                       s=14, color=f"C{i}", label=label)  # fmt: skip
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_title(f"{regime} regime (noisy {regime} split)", fontsize=9)
        ax.set_xlabel(f"change in {predictor}")
        ax.set_ylabel("accuracy drop")
        ax.legend(fontsize=7)
    return save_png(fig, path)


def _rolnick_lines(res: dict) -> list[str]:
    out = []
    for kind in res["settings"]["label_kinds"]:
        curve = [r for r in res["label_noise"] if r["kind"] == kind]
        for lr in res["learners"]:
            acc = {r["rate"]: r[f"accuracy {lr}"] for r in curve}
            keep = [r for r, a in acc.items() if a >= ROLNICK_ACCURACY * acc[0]]
            top = max(keep)
            out.append(f"- {lr}, {kind}: keeps >= {ROLNICK_ACCURACY:.0%} of its clean accuracy "
                       f"({acc[0]:.3f}) up to rate {top:g} (about {top / (1 - top):.2g} noisy "
                       f"labels per clean one); {acc[max(acc)]:.3f} at rate {max(acc):g}")  # fmt: skip
    return out


def write_noise_report(out, res: dict, test: Dataset | None = None) -> dict:
    """Write the report folder (``test``: the clean test split, for the picture grid)."""
    out, paths = start_report(out, res, res["accuracy"], "cells.csv")
    paths["severity_png"] = severity_png(out / "severity.png", res)
    paths["label_png"] = label_noise_png(out / "label-noise.png", res)
    paths["scatter_png"] = scatter_png(out / "scatter.png", res)
    if test is not None:
        paths["grid_png"] = picture_grid_png(out / "corruptions.png", test, res["settings"])
    lrs = res["learners"]
    mce = [r for r in res["ce"] if r["corruption"] == "mean"]
    preds = [k[len("delta ") :] for k in res["deltas"][0] if k.startswith("delta ")]
    comp_rows = []
    for regime in REGIMES:
        cells = sorted({(r["corruption"], r["severity"]) for r in res["compressibility"]
                        if r["regime"] == regime}, key=lambda t: (t[0] != "clean", t))  # fmt: skip
        comp_rows += [[regime, c, f"{s:g}", *(fmt_value(mean_where(res["compressibility"], p, regime=regime,
                                                       corruption=c, severity=s)) for p in preds)]
                      for c, s in cells]  # fmt: skip
    md = [f"# Noise study ({res['grid']} grid, {res['dataset']}: pool {res['pool']}, test "
          f"{res['n_test']}, seeds {res['seeds']})", "",
          "Regimes: **train** = corrupted training pool, clean test split; **test** = clean "
          "training pool, corrupted test split. CE = a learner's errors summed over severities "
          f"divided by {BASELINE}'s (ImageNet-C's definition with {BASELINE} as the baseline); "
          "relative CE subtracts each learner's clean error first (blank when the baseline's "
          "error does not rise under some corruption); mCE is the mean over corruptions.", "",
          markdown_table([[r["regime"], r["learner"], fmt_value(1 - r["clean_error"]), fmt_value(r["ce"]),
                   fmt_value(r["relative_ce"])] for r in mce],
                 ["regime", "learner", "clean accuracy", "mCE", "relative mCE"]), "",
          "Per corruption (mean error over severities, CE):", "",
          markdown_table([[r["regime"], r["corruption"], *(
              f"{fmt_value(x['mean_error'])} / {fmt_value(x['ce'], 2)}" for x in res["ce"]
              if x["regime"] == r["regime"] and x["corruption"] == r["corruption"])]
              for r in res["ce"] if r["learner"] == BASELINE and r["corruption"] != "mean"],
              ["regime", "corruption", *lrs]), "",
          "Compressibility of the noisy split (bits per value; label information in bits per "
          "image; the test regime scores the corrupted test split with the clean pool's "
          "statistics), mean over seeds:", "",
          markdown_table(comp_rows, ["regime", "corruption", "severity", *preds]), "",
          "Does the change in compressibility predict the accuracy drop? Across the pixel "
          "cells of each regime (Spearman and Pearson, 90% bootstrap intervals over cells):", "",
          markdown_table([[r["regime"], r["learner"], r["predictor"], ci_text(r, "spearman"),
                   ci_text(r, "pearson"), r["n"]] for r in res["correlations"]],
                 ["regime", "learner", "predictor", "Spearman", "Pearson", "cells"]), "",
          "Label noise (training labels flipped; clean test split):", "",
          markdown_table([[r["kind"], f"{r['rate']:g}", *(fmt_value(r[f"accuracy {lr}"]) for lr in lrs),
                   fmt_value(r["label information (bits/image)"], 1), fmt_value(r[PRIMARY])]
                  for r in res["label_noise"]],
                 ["kind", "rate", *(f"accuracy {lr}" for lr in lrs),
                  "label information (bits/image)", PRIMARY]), "",
          f"Rolnick et al. (2017) found deep nets trained on all of MNIST keep above "
          f"{ROLNICK_ACCURACY:.0%} accuracy with 100 random-label copies per clean image (a "
          "noise rate near 0.99); here, on a small pool, at the rates tested:", "",
          *_rolnick_lines(res), "",
          "## Verdicts", "",
          *[f"- **{v['claim']}** ({v['learner']}): {v['verdict']}. {v['evidence']}."
            for v in res["verdicts"]], "",
          "![severity curves](severity.png)", "", "![label noise](label-noise.png)", "",
          "![compressibility change vs accuracy drop](scatter.png)", "",
          *(["![corruptions](corruptions.png)", ""] if test is not None else [])]  # fmt: skip
    paths["md"] = atomic_write(out / "report.md", lambda fh: fh.write("\n".join(md)))
    return paths
