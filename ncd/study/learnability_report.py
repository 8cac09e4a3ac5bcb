"""A study's report folder: ``report.md`` (tables and verdicts), ``results.json``,
``curves.csv`` and PNG plots, each written through a temp file and a rename."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..output import atomic_write
from ..writers import pyplot, save_png
from .fits import power_law
from .forecast_report import evaluation_markdown, evaluation_png
from .report_parts import ci_text, fmt_value, markdown_table, start_report


def curves_png(path: Path, res: dict) -> Path:
    """Log-log learning curves per dataset (mean and per-seed points) with their fits."""
    plt = pyplot()

    names = list(res["predictors"])
    cols = 4 if len(names) <= 12 else 7
    rows = -(-len(names) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.7 * rows), squeeze=False)
    for ax in axes.ravel()[len(names) :]:
        ax.axis("off")
    for ax, name in zip(axes.ravel(), names, strict=False):
        for i, learner in enumerate(res["learners"]):
            pts = [(r["size"], r["error"]) for r in res["curves"]
                   if r["dataset"] == name and r["learner"] == learner]  # fmt: skip
            n, e = map(np.array, zip(*pts, strict=True))
            sizes = np.unique(n)
            color = f"C{i}"
            ax.scatter(n, np.maximum(e, 1e-3), s=6, color=color, alpha=0.4)
            f = next(f for f in res["fits"] if f["dataset"] == name and f["learner"] == learner)
            grid = np.geomspace(sizes.min(), sizes.max(), 50)
            ax.plot(grid, power_law(grid, f["a"], f["alpha"], f["e_inf"]), color=color,
                    label=f"{learner} α={f['alpha']:.2f}")  # fmt: skip
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("training images", fontsize=8)
        ax.set_ylabel("test error", fontsize=8)
        ax.legend(fontsize=6)
    return save_png(fig, path)


def scatter_png(path: Path, res: dict, predictor: str, measure: str = "error_at_max") -> Path:
    """Predictor against a learnability measure, one point per dataset, per learner."""
    plt = pyplot()

    fig, ax = plt.subplots(figsize=(6, 4.2))
    names = list(res["predictors"])
    x = [res["predictors"][d][predictor] for d in names]
    for i, learner in enumerate(res["learners"]):
        by = {f["dataset"]: f for f in res["fits"] if f["learner"] == learner}
        y = [by[d][measure] for d in names]
        corr = next(r for r in res["analysis"] if r["learner"] == learner
                    and r["predictor"] == predictor and r["measure"] == measure)  # fmt: skip
        label = learner + (f" (ρ={ci_text(corr, 'spearman')})" if corr.get("spearman") is not None
                           else "")  # fmt: skip
        ax.scatter(x, y, color=f"C{i}", label=label)
    for d, xv in zip(names, x, strict=True):
        yv = max(f[measure] for f in res["fits"] if f["dataset"] == d)
        ax.annotate(d, (xv, yv), fontsize=6, alpha=0.7)
    ax.set_xlabel(predictor)
    ax.set_ylabel(measure.replace("_", " "))
    ax.legend(fontsize=7)
    return save_png(fig, path)


def family_scatter_png(path: Path, res: dict, predictors) -> Path:
    """Each claim's predictor against error at the largest size, one point per task coloured
    by family, a panel per (predictor, learner)."""
    plt = pyplot()
    learners, names = res["learners"], list(res["predictors"])
    families = list(dict.fromkeys(res["families"].values()))
    fig, axes = plt.subplots(len(predictors), len(learners),
                             figsize=(4.2 * len(learners), 3.6 * len(predictors)), squeeze=False)  # fmt: skip
    for row, p in zip(axes, predictors, strict=True):
        for ax, learner in zip(row, learners, strict=True):
            by = {f["dataset"]: f["error_at_max"] for f in res["fits"] if f["learner"] == learner}
            for i, fam in enumerate(families):
                mine = [d for d in names if res["families"][d] == fam]
                ax.scatter([res["predictors"][d][p] for d in mine], [by[d] for d in mine], s=14,
                           color=f"C{i}", label=fam)  # fmt: skip
            corr = next(r for r in res["analysis"] if r["learner"] == learner
                        and r["predictor"] == p and r["measure"] == "error_at_max")  # fmt: skip
            ax.set_title(f"{learner}: ρ = {ci_text(corr, 'spearman')}", fontsize=9)
            ax.set_xlabel(p, fontsize=8)
            ax.set_ylabel("error at the largest size", fontsize=8)
            ax.legend(fontsize=6)
    return save_png(fig, path)


def _median(res: dict, key: str) -> float:
    return float(np.median([f[key]["abs_error"] for f in res["fits"]]))


def _claims_markdown(res: dict) -> list[str]:
    """The per-family Spearman table and the forecast's evaluation."""
    md = ["Within each family of at least 4 tasks: Spearman of each claim's predictor with "
          "error at the largest size (90% bootstrap interval over the family's tasks):", "",
          markdown_table([[r["family"], r["learner"], r["predictor"], r["n"],
                           ci_text(r, "spearman")] for r in res["per_family"]],
                         ["family", "learner", "predictor", "tasks", "Spearman"]), "",
          "Forecast from the pilot (sizes " + ", ".join(map(str, res["forecast"]["calibration"]["pilot"]))
          + "), every family held out in turn: median absolute error of log10(training size to "
          "reach each error measured beyond the pilot), of the error at the largest size and of "
          "the fitted alpha; against the pilot's own log-log line, a power law fitted to the "
          "pilot's points, and the other families' mean; the share of held-out targets inside "
          "the 80% and 90% intervals:", "",
          *evaluation_markdown(res["forecast"]["evaluation"]), ""]  # fmt: skip
    return md


def write_learnability_report(out, res: dict, primary: str) -> dict:
    """Write the report folder; returns the paths."""
    from .learnability import CLAIMS

    out, paths = start_report(out, res, res["curves"], "curves.csv")
    paths["curves_png"] = curves_png(out / "curves.png", res)
    paths["scatter_png"] = scatter_png(out / "scatter.png", res, primary)
    paths["family_png"] = family_scatter_png(out / "families.png", res, [p for _, p, _ in CLAIMS])
    paths["forecast_png"] = evaluation_png(out / "forecast.png", res["forecast"]["evaluation"])
    preds = res["predictors"]
    pnames = list(next(iter(preds.values())))
    md = [f"# Learnability study ({res['panel']} panel)", "",
          "Compressibility and label-aware predictors on each training pool (bits per value "
          "unless said):", "",
          markdown_table([[d, res["families"][d], *(fmt_value(v[p], 3) for p in pnames)]
                          for d, v in preds.items()], ["task", "family", *pnames]), "",
          "Learning curves: power law err(n) = a n^-alpha + e_inf fitted in log space (90% "
          "bootstrap intervals over seeds); extrapolation: fitted without the largest size.", "",
          markdown_table([[f["dataset"], f["learner"], fmt_value(f["error_at_max"]), f["n_max"],
                   f"{f['alpha']:.2f} [{f['alpha_ci'][0]:.2f}, {f['alpha_ci'][1]:.2f}]"
                   if "alpha_ci" in f else fmt_value(f["alpha"], 2), fmt_value(f["e_inf"]), fmt_value(f["r2"], 2),
                   fmt_value(f["extrapolation"]["abs_error"]), fmt_value(f["broken_r2"], 2),
                   fmt_value(f["broken_extrapolation"]["abs_error"])] for f in res["fits"]],
                 ["dataset", "learner", "error at n_max", "n_max", "alpha [90% CI]", "e_inf",
                  "R^2", "extrapolation |error|", "broken R^2", "broken extrapolation"]), "",
          f"Median extrapolation error: {_median(res, 'extrapolation'):.3f} (power law), "
          f"{_median(res, 'broken_extrapolation'):.3f} (smoothly broken power law, Caballero "
          "et al. 2023; 6 parameters fitted to 5 sizes when extrapolating).", "",
          "Predictor against learnability, across datasets (Spearman and Pearson with 90% "
          "bootstrap intervals; leave-one-dataset-out mean absolute error of a straight-line "
          "prediction, and of predicting the mean). Measures: error at the largest size, the "
          "fitted alpha, and log10 of the training size at which the fit reaches 20% error "
          "(9: never):", "",
          markdown_table([[r["learner"], r["predictor"], r["measure"], ci_text(r, "spearman"),
                   ci_text(r, "pearson"), fmt_value(r["mae"]), fmt_value(r["mae_mean_only"])]
                  for r in res["analysis"]],
                 ["learner", "predictor", "measure", "Spearman", "Pearson", "LODO MAE",
                  "MAE (mean only)"]), "",
          *_claims_markdown(res),
          "## Verdicts", "",
          *[f"- **{v['claim']}** ({v['learner']}): {v['verdict']}. {v['evidence']}."
            for v in res["verdicts"]], "",
          "![learning curves](curves.png)", "", "![predictor vs error](scatter.png)", "",
          "![per family](families.png)", "", "![forecast against actual](forecast.png)", ""]  # fmt: skip
    paths["md"] = atomic_write(out / "report.md", lambda fh: fh.write("\n".join(md)))
    return paths
