"""``ncdvision study forecast``: the slope model and its calibration, and the command on a
small dataset outside the panel's range."""

import json

import numpy as np
import pytest

from ncdvision.ncd.cli import main
from ncdvision.ncd.study.forecast import (
    FEATURES,
    SlopeModel,
    load_calibration,
    log10_n_at,
    pilot_summary,
    slope_beyond,
)


def test_pilot_summary_and_slope_beyond_on_an_exact_power_law():
    curve = [(n, 2.0 * n**-0.5) for n in (25, 50, 100, 200, 400) for _ in range(3)]
    s = pilot_summary([p for p in curve if p[0] <= 100], floor=1e-3)
    assert s["n_p"] == 100 and s["e_p"] == pytest.approx(0.2)
    assert s["pilot slope"] == pytest.approx(-0.5)
    assert slope_beyond([p for p in curve if p[0] > 100], 100, 0.2, 1e-3) == pytest.approx(-0.5)
    assert log10_n_at(0.05, 100, 0.2, -0.5) == pytest.approx(np.log10(1600))
    assert log10_n_at(0.05, 100, 0.2, 0.0) == 7.0  # a flat curve never gets there


def test_slope_model_recovers_a_linear_rule_and_round_trips_through_json():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, len(FEATURES)))
    slopes = -0.5 + 0.1 * X[:, 0] - 0.05 * X[:, 2] + rng.normal(0, 0.01, 40)
    families = np.repeat(np.array(list("abcde")), 8)
    model = SlopeModel.fit(X, slopes, families)
    assert np.abs(model.predict(X) - slopes).max() < 0.05
    lo, hi = model.interval(-0.5, "90%")
    assert lo < -0.5 < hi and hi - lo < 0.2
    again = SlopeModel(json.loads(json.dumps(model.params)))
    assert np.array_equal(again.predict(X), model.predict(X))
    assert again.outside(X[0]) == [] and len(again.outside([99.0, 0, 0, 0])) == 1


def test_the_shipped_calibration_is_there_for_each_default_learner():
    cal = load_calibration("quick")
    assert cal["pilot"] == [25, 50, 100] and cal["features"] == list(FEATURES)
    assert {"l2-knn", "ncd-knn", "logreg"} <= set(cal["learners"])
    with pytest.raises(ValueError, match="no forecast calibration for panel 'nope'"):
        load_calibration("nope")


def test_forecast_on_a_small_set_writes_its_report_and_warns_out_of_range(tmp_path, capsys):
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(12), 40)  # 12 classes: the panel has 2 to 10
    images = rng.integers(0, 60, (len(labels), 16, 16), dtype=np.uint8)
    images[:, 4:12, 4:12] += (labels * 15).astype(np.uint8)[:, None, None]
    np.savez(tmp_path / "set.npz", images=images, labels=labels)
    out = tmp_path / "fc"
    args = ["study", "forecast", str(tmp_path / "set.npz"), "--learners", "l2-knn,logreg",
            "--seeds", "2", "--target-error", "0.01", "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    said = capsys.readouterr().out
    assert "labelled images to reach 1.0% test error (l2-knn)" in said
    assert "WARNING: 12 classes: the panel's tasks have 2 to 10" in said
    for name in ("report.md", "results.json", "pilot.csv", "forecast.png"):
        assert (out / name).stat().st_size > 0
    res = json.loads((out / "results.json").read_text())
    fc = res["learners"]["logreg"]
    lo, hi = fc["slope_intervals"]["90%"]
    assert lo <= fc["slope"] <= hi and fc["n_p"] == 100
    at_1000 = next(t for t in fc["table"] if t["n"] == 1000)
    assert at_1000["90%"][0] <= at_1000["80%"][0] <= at_1000["error"] <= at_1000["80%"][1]
    assert at_1000["80%"][1] <= at_1000["90%"][1]
    assert "Warning" in (out / "report.md").read_text()
    assert main(args) == 0 and "(0 cells computed" in capsys.readouterr().out
    bad = ["study", "forecast", str(tmp_path / "set.npz"), "--target-error", "2", "--out",
           str(tmp_path / "bad")]  # fmt: skip
    assert main(bad) == 2
    assert "--target-error must lie between 0 and 1" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()  # refused before any work
    assert main([*bad[:4], "0.1", "--predictors", "pixelcnn", *bad[5:]]) == 2
    assert "--predictors: the forecast's calibration fixes" in capsys.readouterr().err
