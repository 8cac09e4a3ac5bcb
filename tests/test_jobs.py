import csv
import json

import numpy as np
import pytest
from PIL import Image

from ncdvision.datasets import DatasetError, synthetic
from ncdvision.ncd.cli import main
from ncdvision.ncd.writers import write_predictions_csv


def _folders(tmp_path, n=8):
    ds = synthetic.shapes(n_per_class=n, n_classes=3, seed=0)
    train, test = ds.split(test_size=6, seed=0)
    for img, lab in zip(train.images, train.labels, strict=True):
        d = tmp_path / "train" / ds.class_names[lab]
        d.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(d / f"{len(list(d.iterdir()))}.png")
    (tmp_path / "test").mkdir()
    for i, img in enumerate(test.images):
        Image.fromarray(img).save(tmp_path / "test" / f"t{i:02d}.png")
    return tmp_path / "train", tmp_path / "test", test


def test_baseline_writes_a_submission(tmp_path, capsys):
    train, test, truth = _folders(tmp_path)
    out = tmp_path / "sub.csv"
    assert (
        main(
            [
                "baseline",
                "--train",
                str(train),
                "--test",
                str(test),
                "--out",
                str(out),
                "--codec",
                "ctx-ref",
                "--k",
                "1",
            ]
        )
        == 0
    )
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["id", "label"] and len(rows) == 7
    assert [r[0] for r in rows[1:]] == [f"t{i:02d}" for i in range(6)]
    assert {r[1] for r in rows[1:]} <= {"circle", "square", "triangle"}
    assert "settings: codec=ctx-ref" in capsys.readouterr().out


def test_baseline_proba_resizes_and_reports_auto(tmp_path, capsys):
    train, test, _ = _folders(tmp_path)
    Image.fromarray(np.zeros((40, 40), np.uint8)).save(test / "big.png")  # resized to 28x28
    out = tmp_path / "sub.csv"
    assert (
        main(["baseline", "--train", str(train), "--test", str(test), "--out", str(out), "--proba"])
        == 0
    )
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["id", "label", "circle", "square", "triangle"]
    assert abs(sum(float(v) for v in rows[1][2:]) - 1) < 1e-6
    assert "leave-one-out accuracy (estimate)" in capsys.readouterr().out


def test_baseline_bad_files_are_listed_or_skipped_and_nothing_half_written(tmp_path, capsys):
    train, test, _ = _folders(tmp_path)
    (test / "corrupt.png").write_bytes(b"garbage")
    out = tmp_path / "sub.csv"
    assert (
        main(
            [
                "baseline",
                "--train",
                str(train),
                "--test",
                str(test),
                "--out",
                str(out),
                "--codec",
                "zlib",
                "--k",
                "1",
            ]
        )
        == 2
    )
    assert "corrupt.png" in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob(".sub.csv*"))
    assert (
        main(
            [
                "baseline",
                "--train",
                str(train),
                "--test",
                str(test),
                "--out",
                str(out),
                "--codec",
                "zlib",
                "--k",
                "1",
                "--skip-bad",
            ]
        )
        == 0
    )
    assert (
        "skipped unreadable" in capsys.readouterr().out and len(out.read_text().splitlines()) == 7
    )


def test_baseline_bad_train_folder(tmp_path):
    from ncdvision.ncd.jobs import baseline

    (tmp_path / "train").mkdir()
    (tmp_path / "test").mkdir()
    with pytest.raises(DatasetError, match="ImageFolder layout"):
        baseline(tmp_path / "train", tmp_path / "test", tmp_path / "o.csv")


def test_csv_writer_is_atomic_and_checks_lengths(tmp_path):
    p = write_predictions_csv(tmp_path / "a.csv", ["x", "y"], ["cat", "dog"])
    assert p.read_text().splitlines() == ["id,label", "x,cat", "y,dog"]
    with pytest.raises(ValueError, match="2 ids but 1 labels"):
        write_predictions_csv(tmp_path / "b.csv", ["x", "y"], ["cat"])
    assert not (tmp_path / "b.csv").exists()


def test_classify_writes_report_predictions_and_plot(tmp_path, capsys):
    ds = synthetic.shapes(n_per_class=12, n_classes=4, seed=0)
    np.savez(
        tmp_path / "s.npz", images=ds.images, labels=ds.labels, class_names=np.array(ds.class_names)
    )
    out = tmp_path / "out"
    assert (
        main(
            [
                "classify",
                "--dataset",
                str(tmp_path / "s.npz"),
                "--codec",
                "ctx-ref",
                "--test-size",
                "12",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "NCD kNN" in text and "L2 pixel kNN" in text and "gzip NCD kNN" in text
    report = json.loads((out / "report.json").read_text())
    assert report["n_test"] == 12 and len(report["results"]) == 3
    assert (out / "confusion.png").stat().st_size > 1000
    assert len((out / "predictions.csv").read_text().splitlines()) == 13


def test_baseline_reads_test_pixels_only_when_asked(tmp_path, capsys, monkeypatch):
    from ncdvision.ncd import jobs

    train, test, truth = _folders(tmp_path)
    pools = []
    fit = jobs.NCDKNNClassifier.fit

    def spy(self, X, y, X_unlabeled=None):
        pools.append(None if X_unlabeled is None else len(X_unlabeled))
        return fit(self, X, y, X_unlabeled=X_unlabeled)

    monkeypatch.setattr(jobs.NCDKNNClassifier, "fit", spy)
    args = ["baseline", "--train", str(train), "--test", str(test), "--codec", "ctx-ref-learned"]
    assert main([*args, "--out", str(tmp_path / "a.csv")]) == 0
    assert "transductive" not in capsys.readouterr().out
    assert main([*args, "--out", str(tmp_path / "b.csv"), "--transductive"]) == 0
    assert "transductive: the learned prior also read the 6 test images" in capsys.readouterr().out
    assert pools == [None, len(truth)]  # the test images' pixels, and never their labels
