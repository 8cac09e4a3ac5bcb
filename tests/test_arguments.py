"""Arguments are checked before any work with one message each; what a new user meets first
(defaults, shape hints, distances, names from files) behaves."""

import csv

import numpy as np
import pytest
from PIL import Image

from conftest import write_image_folder
from ncdvision.datasets import DatasetError, load
from ncdvision.ncd import NCDKNNClassifier, kneighbors, pairwise
from ncdvision.ncd.cli import main
from ncdvision.ncd.writers import csv_safe, write_predictions_csv

rng = np.random.default_rng(0)


def images(n=12, size=8):
    return rng.integers(0, 256, (n, size, size), dtype=np.uint8)


# --------------------------------------------------------------------------- Python API


@pytest.mark.parametrize("kw,match", [
    ({"k": True}, "k must be a positive integer, got True"),
    ({"k": 0}, "k must be a positive integer"),
    ({"n_jobs": "2"}, "n_jobs must be a non-zero integer or None"),
    ({"exclude": np.zeros(3, int)}, r"exclude must hold one integer index of Y per row of X, shape \(12,\)"),
    ({"exclude": -np.ones(12, int)}, r"exclude must index Y \(0..11\)"),
])  # fmt: skip
def test_kneighbors_arguments_are_checked_first(kw, match):
    with pytest.raises(ValueError, match=match):
        kneighbors(images(), images(), **{"k": 3, "codec": "zlib", **kw})


@pytest.mark.parametrize("param", ["k", "loo_size", "exact_pairs"])
def test_the_classifier_refuses_true_as_a_number(param):
    with pytest.raises(
        ValueError, match=f"'{param}' parameter of NCDKNNClassifier must be an int.*Got True"
    ):
        NCDKNNClassifier(codec="zlib", **{"k": 1, param: True}).fit(images(), np.arange(12) % 2)


def test_shape_hints_use_the_real_shape():
    with pytest.raises(ValueError, match=r"one 32x32 image.*X\[None\]"):
        pairwise(np.zeros((32, 32), np.uint8))
    with pytest.raises(ValueError, match=r"flattened 28x28 image: X.reshape\(-1, 28, 28\)"):
        pairwise(np.zeros((5, 784), np.uint8))


def test_a_pandas_series_of_images_works_as_a_list_does():
    import pandas as pd  # installed with the [filter] extra (cleanlab needs it)

    X = images(6)
    D = pairwise(pd.Series(list(X)), codec="zlib")
    np.testing.assert_array_equal(D, pairwise(list(X), codec="zlib"))


def test_distances_are_never_negative_and_the_default_codec_serves_images():
    X = images(1, 16).repeat(4, axis=0)  # identical images: codecs code the pair below C(x)
    for codec in ("zstd:3", "brotli", "png"):
        assert pairwise(X, codec=codec).min() >= 0.0
    train, test = load("digits").split(test_size=200, seed=0)
    accuracy = {}
    for codec in ("ctx-ref", "zstd"):  # the default, and the default it replaced
        _, idx = kneighbors(test.images, train.images, k=1, **({} if codec == "ctx-ref" else
                                                              {"codec": codec}))  # fmt: skip
        accuracy[codec] = np.mean(train.labels[idx[:, 0]] == test.labels)
    assert accuracy["ctx-ref"] > 0.7 and accuracy["zstd"] < 0.3  # 0.775 and 0.15 measured


def test_empty_dataset_file_is_refused_by_name(tmp_path):
    np.savez(tmp_path / "empty.npz", images=np.zeros((0, 8, 8), np.uint8), labels=np.zeros(0, int))
    with pytest.raises(DatasetError, match="empty.npz: holds no images"):
        load(tmp_path / "empty.npz")


# -------------------------------------------------------------------------------- the CLI


@pytest.mark.parametrize("argv,match", [
    (["classify", "--baseline-test", "-5"], "--baseline-test: expected an integer of at least 0"),
    (["classify", "--n-jobs", "0"], "--n-jobs: expected a non-zero integer"),
    (["classify", "--k", "0"], "--k: expected an integer of at least 1"),
    (["classify", "--recall", "2"], "--recall: expected a number in (0, 1]"),
    (["filter", "x", "--out", "o", "--outlier-join", "0"], "--outlier-join: expected an integer of at least 1"),
    (["filter", "x", "--out", "o", "--max-removed", "1.5"], "--max-removed: expected a number in (0, 1]"),
    (["study", "learnability", "--seeds", "0"], "--seeds: expected an integer of at least 1"),
    (["study", "noise", "--seeds", "-2"], "--seeds: expected an integer of at least 1"),
    (["neural", "train", "--epochs", "0"], "--epochs: expected an integer of at least 1"),
    (["neural", "train", "--epochs", "-2"], "--epochs: expected an integer of at least 1"),
])  # fmt: skip
def test_bad_numbers_are_refused_while_parsing(argv, match, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2 and match in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # no output folder was created


def test_names_from_files_are_escaped_on_the_terminal_and_in_csv(tmp_path, capsys):
    root = write_image_folder(tmp_path / "d", classes=("cat", "dog\x1b[2J"), n=2, size=(8, 8))
    assert main(["datasets", "info", str(root)]) == 0
    out = capsys.readouterr().out
    assert "dog\\x1b[2J" in out and "\x1b" not in out
    assert [csv_safe(v) for v in ("=cmd|' /C calc'!A0", "-5", "+1.5", "@SUM(A1)", "cat")] == [
        "'=cmd|' /C calc'!A0", "-5", "+1.5", "'@SUM(A1)", "cat"]  # fmt: skip
    write_predictions_csv(tmp_path / "s.csv", ["=HYPERLINK(1)", "a"], ["-x", "cat"])
    rows = list(csv.reader(open(tmp_path / "s.csv")))
    assert rows[1:] == [["'=HYPERLINK(1)", "'-x"], ["a", "cat"]]


def test_baseline_ids_from_formula_like_file_names_are_neutralised(tmp_path):
    train = write_image_folder(tmp_path / "train", n=3, size=(8, 8))
    test = tmp_path / "test"
    test.mkdir()
    Image.fromarray(images(1)[0]).save(test / "=1+1.png")
    assert main(["baseline", "--train", str(train), "--test", str(test), "--out",
                 str(tmp_path / "sub.csv"), "--codec", "zlib", "--k", "1"]) == 0  # fmt: skip
    assert list(csv.reader(open(tmp_path / "sub.csv")))[1][0] == "'=1+1"


def test_the_main_classifier_shows_progress_when_verbose(capsys):
    ds = load("digits").subset(n=300, seed=0)
    NCDKNNClassifier(codec="auto", verbose=True, loo_size=100).fit(ds.images, ds.labels)
    err = capsys.readouterr().err
    assert "auto: scoring settings by leave-one-out" in err and "kneighbors" in err


def test_a_dask_cluster_that_loses_its_workers_gives_a_clear_error():
    import dask

    from ncdvision.ncd.distributed import ClusterError, dask_client, map_blocks

    def die(comp, *args):
        import os

        os._exit(1)

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with dask_client(n_workers=1) as client:
            blocks = map_blocks(die, None, (), lambda n: [(0, ())], scheduler=client)
            with pytest.raises(ClusterError, match="worker was lost.*1 of 1 blocks"):
                list(blocks)
