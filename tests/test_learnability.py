"""The learnability study end to end on the tiny panel: report files, one verdict per claim,
and a rerun that computes nothing."""

import json

import numpy as np
import pytest

from ncdvision.ncd.cli import main
from ncdvision.ncd.study.analysis import (
    correlation,
    leave_one_out_prediction,
    recovered_share,
    verdict,
)
from ncdvision.ncd.study.learnability import ladder_verdict


def test_tiny_study_writes_the_report_and_resumes(tmp_path, capsys):
    args = ["study", "learnability", "--panel", "tiny", "--learners", "l2-knn", "--seeds", "1",
            "--out", str(tmp_path)]  # fmt: skip
    assert main(args) == 0
    first = capsys.readouterr().out
    for name in ("report.md", "results.json", "curves.csv", "curves.png", "scatter.png",
                 "families.png", "forecast.png"):  # fmt: skip
        assert (tmp_path / name).stat().st_size > 0
    res = json.loads((tmp_path / "results.json").read_text())
    claims = {v["claim"] for v in res["verdicts"]}
    assert len(claims) == 4  # two primaries, noise, the shapes ladder
    assert all(v["verdict"].startswith("smoke test, not a result") for v in res["verdicts"])
    assert res["families"]["textures-noise0.6"] == "textures"
    ev = res["forecast"]["evaluation"]["l2-knn"]
    assert set(ev["coverage"]) == {"80%", "90%"} and ev["log10_n_to_target"]["forecast"]["n"] > 0
    noise = res["predictors"]["noise"]
    assert noise["ctx trained bpp"] == max(p["ctx trained bpp"] for p in res["predictors"].values())
    assert abs(noise["label information (bits/image)"]) < 5
    assert res["predictors"]["shapes"]["label information (bits/image)"] > 10
    assert main(args) == 0
    assert "(0 cells computed" in capsys.readouterr().out
    assert "cells computed" in first


def test_correlation_intervals_and_verdicts():
    x = [1, 2, 3, 4, 5, 6, 7, 8]
    c = correlation(x, [0.1, 0.2, 0.25, 0.3, 0.5, 0.55, 0.7, 0.9])
    assert c["spearman"] == pytest.approx(1.0) and c["spearman_ci"][0] > 0.5
    assert verdict(c, +1) == "supported" and verdict(c, -1) == "contradicted"
    flat = correlation(x, [0.3, 0.1, 0.4, 0.2, 0.3, 0.1, 0.4, 0.2])
    assert verdict(flat, +1) == "inconclusive"
    pred = leave_one_out_prediction(x, [2 * v + 1 for v in x])
    assert pred["mae"] < 1e-9 < pred["mae_mean_only"]


def _correct(acc: float, n_seeds: int, n: int, rng) -> np.ndarray:
    """(seeds, n) correctness with exactly ``acc`` of each row right, shuffled."""
    row = np.arange(n) < round(acc * n)
    return np.stack([rng.permutation(row) for _ in range(n_seeds)])


def test_recovered_share_of_a_clear_cost_and_of_one_within_sampling_error():
    rng = np.random.default_rng(0)
    big = {"noisy": _correct(0.80, 3, 2000, rng), "filtered": _correct(0.85, 3, 2000, rng),
           "relabelled": _correct(0.78, 3, 2000, rng), "clean": _correct(0.90, 3, 2000, rng)}  # fmt: skip
    r = recovered_share(big)
    assert r["cost"] == pytest.approx(0.10)
    assert r["share"]["filtered"] == pytest.approx(0.5)
    assert r["share"]["relabelled"] == pytest.approx(-0.2)  # worse than not treating
    lo, hi = r["share_ci"]["filtered"]
    assert 0.3 < lo < 0.5 < hi < 0.7 and r["cost_ci"][0] > 0.08
    # 2 test images of 500 between noisy and clean: the interval on the cost reaches zero
    small = {"noisy": _correct(0.960, 3, 500, rng), "filtered": _correct(0.962, 3, 500, rng),
             "clean": _correct(0.964, 3, 500, rng)}  # fmt: skip
    r = recovered_share(small)
    assert r["cost_ci"][0] <= 0 < r["cost_ci"][1]
    with pytest.raises(ValueError, match="'clean'"):
        recovered_share({"noisy": big["noisy"]})
    with pytest.raises(ValueError, match="shapes"):
        recovered_share({"noisy": big["noisy"], "clean": big["clean"][:2]})


def test_a_tie_is_no_support():
    assert ladder_verdict([1.0, 2.0, 3.0], [0.1, 0.2, 0.3]) == "supported"
    assert ladder_verdict([1.0, 2.0, 3.0], [0.1, 0.1, 0.3]) == "partly (compression only)"
    assert ladder_verdict([1.0, 1.0, 3.0], [0.1, 0.2, 0.3]) == "contradicted"
