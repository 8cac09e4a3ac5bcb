"""The filter refuses to judge what it cannot, refuses to empty a dataset by accident, and
checks its thresholds before any work."""

import numpy as np
import pytest
from PIL import Image

from conftest import write_image_folder
from ncdvision.datasets import Dataset, load
from ncdvision.ncd.cli import main
from ncdvision.ncd.filter import Thresholds, filter_dataset, find_issues


def digits_folder(root, classes=4, n=6):
    digits = load("digits")
    for c in range(classes):
        (root / str(c)).mkdir(parents=True)
        for i, img in enumerate(digits.images[digits.labels == c][:n]):
            Image.fromarray(img).save(root / str(c) / f"{i}.png")
    return root


def test_classes_too_small_for_the_neighbor_rules_are_skipped_with_a_warning(tmp_path, capsys):
    data = digits_folder(tmp_path / "small")  # 6 images per class, as the probe had
    assert main(["filter", str(data), "--out", str(tmp_path / "out"), "--codec", "zlib"]) == 0
    out, err = capsys.readouterr()
    assert "warning: the label rule was skipped for 4 class(es) with at most 15 images" in err
    assert "warning: the outlier rule was skipped" in err
    kept = sorted(p.name for p in (tmp_path / "out" / "dataset").rglob("*.png"))
    assert len(kept) == 24


def test_one_class_is_not_judged_by_label_or_outlier():
    rng = np.random.default_rng(0)
    ds = Dataset(rng.integers(0, 256, (30, 8, 8), dtype=np.uint8), np.zeros(30, np.int64),
                 ("only",), "one-class", {})  # fmt: skip
    with pytest.warns(UserWarning) as caught:
        report = find_issues(ds, ("label", "junk"), codec="zlib")
    assert [str(w.message) for w in caught] == [
        f"one-class: the {r} rule was skipped: it needs at least two classes"
        for r in ("label", "outlier")]  # fmt: skip
    assert not report.flags["label"].any() and not report.flags["outlier"].any()
    assert [s["rule"] for s in report.settings["skipped"]] == ["label", "outlier"]


def test_removing_more_than_half_needs_an_explicit_flag(tmp_path, capsys):
    data = tmp_path / "copies"
    rng = np.random.default_rng(1)
    for c in ("a", "b"):
        (data / c).mkdir(parents=True)
        img = rng.integers(0, 256, (8, 8), dtype=np.uint8)
        for i in range(10):  # ten exact copies per class: nine of each are duplicates
            Image.fromarray(img).save(data / c / f"{i}.png")
    out = tmp_path / "out"
    argv = ["filter", str(data), "--out", str(out), "--issues", "duplicate"]
    assert main(argv) == 2
    assert "would lose 90% of 20 images" in capsys.readouterr().err
    assert not (out / "dataset").exists()
    assert main([*argv, "--max-removed", "1"]) == 0
    assert len(list((out / "dataset").rglob("*.png"))) == 2
    with pytest.raises(ValueError, match="max_removed must be a fraction"):
        filter_dataset(data, out, max_removed=1.5)


@pytest.mark.parametrize("flag,value,match", [
    ("--label-margin", "2", "label_margin must be a number of at least -1.0 and below 1.0"),
    ("--near-ratio", "5", "near_ratio must be a number of at least 0.0 and at most 1.0"),
    ("--near-threshold", "-1", "near must be"),
])  # fmt: skip
def test_thresholds_out_of_range_are_refused_before_the_work(tmp_path, capsys, flag, value, match):
    data = write_image_folder(tmp_path / "d", n=3, size=(8, 8))
    assert main(["filter", str(data), "--out", str(tmp_path / "out"), flag, value]) == 2
    assert match in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_thresholds_out_of_range_are_refused_in_python():
    with pytest.raises(ValueError, match="outlier_join must be an integer of at least 1"):
        Thresholds(outlier_join=0)


def test_thresholds_in_range_are_kept():
    th = Thresholds(label_margin=-0.5, near_ratio=1.0, outlier_join=3)
    assert (th.label_margin, th.near_ratio, th.outlier_join) == (-0.5, 1.0, 3)
