"""A study added from outside the package is one class: registered, it gets an
``ncdvision study NAME`` command with the common options and writes its report."""

import json

import pytest

from ncdvision.ncd.cli import main
from ncdvision.ncd.study.base import STUDIES, Study, register_study


class CountStudy(Study):
    """Counts the images of each dataset of its panel."""

    name = "count"
    summary = "how many images each dataset has"
    description = "Counts images. Seconds."
    panels = ("small", "large")

    def add_arguments(self, parser):
        parser.add_argument("--times", type=int, default=1)

    def run(self, args, out):
        from ncdvision.datasets import load

        n = len(load("digits")) * args.times
        return {"verdicts": [{"claim": "digits has images", "learner": ",".join(args.learners),
                              "verdict": "supported", "evidence": f"{n} images"}],
                "cells_computed": 1, "n": n, "seeds": list(args.seeds)}  # fmt: skip

    def write_report(self, out, res, args):
        md = out / "report.md"
        md.write_text(f"# Count ({args.panel})\n\n{res['n']} images\n")
        (out / "results.json").write_text(json.dumps(res))
        return {"md": md}


@pytest.fixture
def count_study():
    register_study(CountStudy)
    yield CountStudy
    STUDIES.unregister("count")


def test_a_study_registered_from_outside_gets_a_command_and_a_report(tmp_path, capsys,
                                                                      count_study):  # fmt: skip
    with pytest.raises(SystemExit):
        main(["study", "--help"])
    assert "count" in capsys.readouterr().out
    out = tmp_path / "report"
    assert main(["study", "count", "--panel", "large", "--times", "2", "--seeds", "2",
                 "--learners", "l2-knn", "--out", str(out)]) == 0  # fmt: skip
    said = capsys.readouterr().out
    assert "digits has images (l2-knn): supported. 3594 images" in said
    assert (out / "report.md").read_text().startswith("# Count (large)")
    assert json.loads((out / "results.json").read_text())["seeds"] == [0, 1]


def test_unknown_learners_are_refused_for_every_study(tmp_path, capsys, count_study):
    assert main(["study", "count", "--learners", "nope", "--out", str(tmp_path / "r")]) == 2
    assert "--learners: unknown ['nope']; known: l2-knn" in capsys.readouterr().err


def test_a_study_must_be_a_study_subclass():
    with pytest.raises(TypeError, match="must be a Study subclass"):
        register_study("bad", object)
