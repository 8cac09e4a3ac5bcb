"""The noise study end to end on the tiny grid: report files, CE against the baseline, label
information that falls with label noise, and a killed run that resumes."""

import json

import numpy as np
import pytest

from ncdvision.datasets import corrupt_labels, load
from ncdvision.ncd.cli import main
from ncdvision.ncd.study.noise import GRIDS, corruption_errors, grid_cells
from ncdvision.ncd.study.predictors import label_information


def test_tiny_noise_study_writes_the_report_and_resumes(tmp_path, capsys):
    args = ["study", "noise", "--panel", "tiny", "--learners", "l2-knn,logreg", "--seeds", "1",
            "--out", str(tmp_path)]  # fmt: skip
    assert main(args) == 0
    for name in ("report.md", "results.json", "cells.csv", "severity.png", "label-noise.png",
                 "scatter.png", "corruptions.png"):  # fmt: skip
        assert (tmp_path / name).stat().st_size > 0
    res = json.loads((tmp_path / "results.json").read_text())
    n_cells = len(grid_cells(GRIDS["tiny"]))
    assert len(res["accuracy"]) == (n_cells + 1) * 2  # the clean cell serves both regimes
    mce = {(r["regime"], r["learner"]): r for r in res["ce"] if r["corruption"] == "mean"}
    assert mce["train", "l2-knn"]["ce"] == pytest.approx(1.0)
    assert mce["test", "logreg"]["ce"] > 0
    labels = [r for r in res["label_noise"] if r["kind"] == "symmetric"]
    assert len({r["ctx trained bpp"] for r in labels}) == 1  # images unchanged by label noise
    claims = [v["claim"] for v in res["verdicts"]]
    assert sum("predicts the accuracy drop" in c for c in claims) == 4
    report = (tmp_path / "report.md").read_text()
    assert "mCE" in report and "Rolnick" in report

    # kill: lose some finished cells; the rerun computes exactly those
    cells = sorted((tmp_path / "cells").glob("*.json"))
    for path in cells[:5]:
        path.unlink()
    capsys.readouterr()
    assert main(args) == 0
    assert "(5 cells computed" in capsys.readouterr().out


def test_the_study_needs_the_baseline_and_a_real_dataset(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["study", "noise", "--panel", "tiny", "--learners", "logreg", "--out",
                 str(out)]) == 2  # fmt: skip
    assert "CE baseline 'l2-knn'" in capsys.readouterr().err
    assert main(["study", "noise", "--panel", "tiny", "--dataset", str(tmp_path / "no-such"),
                 "--out", str(out)]) == 2  # fmt: skip
    assert "no-such" in capsys.readouterr().err
    assert not out.exists()


def test_label_information_falls_as_label_noise_rises():
    shapes = load("shapes", n_per_class=40)
    info = [label_information(corrupt_labels(shapes, rate, seed=0)[0].images,
                              corrupt_labels(shapes, rate, seed=0)[0].labels)
            for rate in (0.0, 0.3, 0.6, 0.875)]  # fmt: skip
    assert np.all(np.diff(info) < 0), info
    assert info[0] > 10 and abs(info[-1]) < 0.3 * info[0]  # 7/8 flipped: labels are random


def test_corruption_error_is_normalised_by_the_baseline():
    grid = {"corruptions": ("blur",), "severities": (1, 2)}
    rows = [{"regime": regime, "learner": lr, "corruption": c, "severity": s, "error": e}
            for regime in ("train", "test")
            for lr, scale in (("l2-knn", 1.0), ("other", 2.0))
            for c, s, e in (("clean", 0, 0.05), ("blur", 1, 0.1 * scale), ("blur", 2, 0.2 * scale))]  # fmt: skip
    ce = {(r["regime"], r["learner"], r["corruption"]): r for r in
          corruption_errors(rows, ("l2-knn", "other"), grid)}  # fmt: skip
    assert ce["test", "other", "blur"]["ce"] == pytest.approx(2.0)
    # relative: (0.2 + 0.4 - 2 * 0.05) / (0.1 + 0.2 - 2 * 0.05)
    assert ce["train", "other", "mean"]["relative_ce"] == pytest.approx(0.5 / 0.2)
