"""A filter rule added from outside the package is one class: registered, it is an
``--issues`` choice with its own threshold option, and it has its columns in ``issues.csv``,
its counts in ``summary.json``, a gallery and scores on the review page."""

import csv
import json
from dataclasses import dataclass

import numpy as np
import pytest
from PIL import Image

from ncdvision.datasets import load
from ncdvision.ncd.cli import main
from ncdvision.ncd.filter import (
    RULES,
    Rule,
    RuleThresholds,
    Thresholds,
    find_issues,
    register_rule,
    threshold,
)
from ncdvision.ncd.neighbors import vote


@dataclass
class DarkThresholds(RuleThresholds):
    dark_mean: float = threshold(40.0, 0.0, 255.0, "a mean pixel value")


class TooDark(Rule):
    """Images whose mean pixel value is below ``dark_mean``."""

    name = "dark"
    reasons = ("dark",)
    thresholds = DarkThresholds
    ranking = {"dark": ("mean_value", 1)}
    scores = {"mean_value": "mean value"}

    def find(self, ctx):
        mean = ctx.images.reshape(len(ctx.images), -1).mean(axis=1)
        ctx.table["mean_value"] = mean
        return {"dark": mean < ctx.thresholds.dark_mean}


@pytest.fixture
def dark_rule():
    register_rule(TooDark)
    yield TooDark
    RULES.unregister("dark")


def dark_and_bright_folder(root, n=4):
    """Two classes of n images each; in each class the first two have mean value 20 and 35."""
    rng = np.random.default_rng(0)
    for c in ("a", "b"):
        (root / c).mkdir(parents=True)
        for i in range(n):
            level = (20, 35)[i] if i < 2 else 150
            im = np.clip(level + rng.integers(-5, 6, (12, 12)), 0, 255).astype(np.uint8)
            Image.fromarray(im).save(root / c / f"{c}{i}.png")
    return root


def test_a_rule_registered_from_outside_runs_from_the_command_line(tmp_path, dark_rule, capsys):
    data, out = dark_and_bright_folder(tmp_path / "data"), tmp_path / "out"
    with pytest.raises(SystemExit):
        main(["filter", "--help"])
    help_text = capsys.readouterr().out
    assert "dark" in help_text and "--dark-mean" in help_text
    assert main(["filter", str(data), "--issues", "dark", "--dark-mean", "30", "--out", str(out),
                 "--dry-run"]) == 0  # fmt: skip
    with open(out / "issues.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert "mean_value" in rows[0]
    # only the images of mean value 20 are below 30
    assert sorted(r["file"] for r in rows if r["reasons"] == "dark") == ["a/a0.png", "b/b0.png"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["by_reason"] == {"dark": 2}
    assert summary["settings"]["thresholds"]["dark_mean"] == 30
    assert (out / "gallery-dark.png").stat().st_size > 0
    assert "mean value" in (out / "review.html").read_text()


def test_a_registered_rule_runs_beside_the_built_in_ones(tmp_path, dark_rule):
    ds = load(dark_and_bright_folder(tmp_path / "data"))
    rep = find_issues(ds, ("dark", "duplicate"), thresholds=Thresholds(dark_mean=40.0),
                      progress=False)  # fmt: skip
    assert list(rep.flags) == ["duplicate", "dark"]  # built-ins first, then by registration
    assert rep.flags["dark"].sum() == 4 and "dup_group" in rep.table


def test_unknown_rules_and_thresholds_are_refused_with_the_known_names():
    with pytest.raises(ValueError, match="unknown filter rule 'dark'; known: ") as err:
        find_issues(None, ("dark",))
    assert {"label", "junk", "duplicate"} <= set(str(err.value).split("known: ")[1].split(", "))
    with pytest.raises(TypeError, match="unknown threshold.*dark_mean; known: blank"):
        Thresholds(dark_mean=30.0)
    with pytest.raises(TypeError, match="must be a Rule subclass"):
        register_rule("dark", object)


def test_the_suggested_label_is_the_vote_among_the_other_classes():
    # neighbors (nearest first) of images labelled 0: class 1 and 2 tie, 2 is nearer
    neighbor_labels = np.array([[0, 2, 1, 0, 1, 2], [0, 0, 0, 0, 0, 0]])
    assert vote(neighbor_labels, 3, exclude=np.array([0, 0])).tolist() == [2, -1]
    assert vote(neighbor_labels, 3).tolist() == [0, 0]
