"""Reports of the forecast: the leave-one-family-out evaluation in the learnability report,
and the report folder of ``ncdvision study forecast`` (``report.md``, ``results.json``,
``pilot.csv``, ``forecast.png``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..output import atomic_write
from ..writers import pyplot, save_png
from .forecast import LEVELS
from .forecast_run import reach_text
from .report_parts import fmt_value, markdown_table, start_report

_METHODS = ("forecast", "pilot line", "pilot power law", "mean slope", "mean")


def evaluation_png(path: Path, evaluation: dict) -> Path:
    """Forecast against actual log10(training size to reach a target), one panel per
    learner, held-out families coloured, with the 90% intervals."""
    plt = pyplot()
    learners = list(evaluation)
    fig, axes = plt.subplots(1, len(learners), figsize=(4.2 * len(learners), 4), squeeze=False)
    for ax, learner in zip(axes[0], learners, strict=True):
        pts = evaluation[learner]["points"]
        families = list(dict.fromkeys(p["family"] for p in pts))
        for i, fam in enumerate(families):
            mine = [p for p in pts if p["family"] == fam]
            x = np.array([p["actual"] for p in mine])
            y = np.array([p["forecast"] for p in mine])
            lo = np.array([p["intervals"]["90%"][0] for p in mine])
            hi = np.array([p["intervals"]["90%"][1] for p in mine])
            ax.errorbar(x + 0.01 * i, y, yerr=[np.maximum(y - lo, 0), np.maximum(hi - y, 0)],
                        fmt="o", ms=3, lw=0.6, color=f"C{i}", label=fam, alpha=0.8)  # fmt: skip
        lim = [1.2, 3.3]
        ax.plot(lim, lim, color="k", lw=0.8)
        ax.set_xlim(lim)
        ax.set_ylim(1.0, 4.5)
        s = evaluation[learner]["log10_n_to_target"]["forecast"]["median_abs_error"]
        ax.set_title(f"{learner} (median |error| {s:.2f})", fontsize=9)
        ax.set_xlabel("actual log10 n to reach the target", fontsize=8)
        ax.set_ylabel("forecast (held-out family), 90% interval", fontsize=8)
        ax.legend(fontsize=6)
    return save_png(fig, path)


def evaluation_markdown(evaluation: dict) -> list[str]:
    """The evaluation's tables: median absolute errors per method and measure, the ratio to
    the better pilot-only method, and the intervals' coverage."""
    head = ["learner", "measure", *_METHODS, "forecast / best pilot-only", *LEVELS]
    rows = []
    for learner, ev in evaluation.items():
        for measure in ("log10_n_to_target", "error_at_max", "alpha"):
            by = ev[measure]
            cells = [fmt_value(by[m]["median_abs_error"]) if m in by else "" for m in _METHODS]
            extra = ([fmt_value(ev["ratio_to_pilot_only"], 2),
                      *(f"{ev['coverage'][lv]:.0%}" for lv in LEVELS)]
                     if measure == "log10_n_to_target" else ["", *("" for _ in LEVELS)])  # fmt: skip
            rows.append([learner, f"{measure} (n={by['forecast']['n']})", *cells, *extra])
    return [markdown_table(rows, head)]


def forecast_png(path: Path, res: dict) -> Path:
    """Each learner's pilot points, the forecast line and its 80% and 90% bands, the target."""
    plt = pyplot()
    learners = list(res["learners"])
    fig, axes = plt.subplots(1, len(learners), figsize=(4.2 * len(learners), 3.6),
                             squeeze=False)  # fmt: skip
    for ax, learner in zip(axes[0], learners, strict=True):
        fc = res["learners"][learner]
        pts = [(r["size"], r["error"]) for r in res["pilot"] if r["learner"] == learner]
        n, e = map(np.array, zip(*pts, strict=True))
        ax.scatter(n, np.maximum(e, 0.5 / res["n_test"]), s=10, color="k", label="pilot")
        reach = fc.get("log10_n_to_target") or np.log10(fc["n_p"])
        grid = np.geomspace(fc["n_p"], 10 ** max(4.0, min(reach + 0.5, 6.0)), 60)
        for lv, alpha in zip(LEVELS, (0.35, 0.18), strict=True):
            lo, hi = fc["slope_intervals"][lv]
            ax.fill_between(grid, fc["e_p"] * (grid / fc["n_p"]) ** hi,
                            fc["e_p"] * (grid / fc["n_p"]) ** lo, color="C0", alpha=alpha,
                            lw=0, label=f"{lv} interval")  # fmt: skip
        ax.plot(grid, fc["e_p"] * (grid / fc["n_p"]) ** fc["slope"], color="C0", label="forecast")
        ax.axhline(res["target"], color="C3", ls="--", lw=0.8, label=f"target {res['target']:g}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(learner, fontsize=9)
        ax.set_xlabel("labelled training images", fontsize=8)
        ax.set_ylabel("test error", fontsize=8)
        ax.legend(fontsize=6)
    return save_png(fig, path)


def write_forecast_report(out, res: dict) -> dict:
    """The forecast's report folder; returns the paths (``md``: the report)."""
    out, paths = start_report(out, res, res["pilot"], "pilot.csv")
    paths["png"] = forecast_png(out / "forecast.png", res)
    md = [f"# Forecast for {res['dataset']}", "",
          f"Pilot: {res['n_pool']} training images, {res['n_test']} test images; calibration of "
          f"the {res['panel']} panel. Label-aware measures of 160 labelled images: prequential "
          f"code of the labels {res['features']['share']:.3f} of the uniform code, NCD kNN "
          f"leave-one-out error {res['features']['loo']:.3f}.", "",
          *(f"- **Warning:** {w}" for w in res["warnings"])]  # fmt: skip
    for learner, fc in res["learners"].items():
        md += ["", f"## {learner}", "",
               f"Labelled images to reach {res['target']:.1%} test error: {reach_text(fc)}.", "",
               *(f"- **Warning:** {w}" for w in fc["warnings"]), "",
               markdown_table([[f"{t['n']:,}", f"{t['error']:.3f}",
                                *(f"{t[lv][0]:.3f} to {t[lv][1]:.3f}" for lv in LEVELS)]
                               for t in fc["table"]],
                              ["training images", "forecast error",
                               *(f"{lv} interval" for lv in LEVELS)])]  # fmt: skip
    md += ["", "![forecast](forecast.png)", ""]
    paths["md"] = atomic_write(out / "report.md", lambda fh: fh.write("\n".join(md)))
    return paths
