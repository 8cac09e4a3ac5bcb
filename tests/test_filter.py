"""Data filtering: each detector finds what was planted and leaves clean images alone; outputs
round-trip in the input's form; the input is never touched; a rerun resumes from the cache."""

import csv
import hashlib
import importlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ncdvision.datasets import Dataset, corrupt_labels, glyphs, load, plant_duplicates, plant_junk
from ncdvision.ncd.cli import main
from ncdvision.ncd.filter import Context, Thresholds, filter_dataset, find_issues
from ncdvision.ncd.filter import duplicates as duplicates_module
from ncdvision.ncd.filter import find as find_module
from ncdvision.ncd.filter import junk as junk_module
from ncdvision.ncd.filter.duplicates import (
    duplicate_groups,
    duplicate_pairs,
    offset,
    shifted,
    stretch,
    upsample,
)
from ncdvision.ncd.filter.junk import (
    chance_consensus,
    grow,
    join_level,
    junk_flags,
    outlier_flags,
)
from ncdvision.ncd.filter.labels import label_scores
from ncdvision.ncd.output import OutputError


@pytest.fixture(scope="module")
def digits600():
    return load("digits").subset(n=600, seed=0)


@pytest.fixture(scope="module")
def mnist500():
    # near-duplicate detection needs images large enough to compress (28x28, not 8x8)
    return load("mnist-5k").subset(n=500, seed=0)


@pytest.fixture(scope="module")
def label_case(digits600):
    noisy, flipped = corrupt_labels(digits600, 0.1, seed=0)
    return digits600, noisy, flipped, find_issues(noisy, ("label",), progress=False)


def test_label_issues_are_found_and_clean_labels_kept(label_case):
    clean, noisy, flipped, rep = label_case
    flag = rep.flags["label"]
    truth = np.zeros(len(noisy), bool)
    truth[flipped] = True
    assert (flag & truth).sum() / truth.sum() >= 0.8  # recall
    assert (flag & truth).sum() / flag.sum() >= 0.85  # precision
    assert (flag & ~truth).sum() <= 0.03 * (~truth).sum()
    # the suggested label is the true one for most flipped images that were found
    found = np.flatnonzero(flag & truth)
    assert np.mean(rep.table["suggested"][found] == clean.labels[found]) >= 0.9


def test_cleanlab_method_uses_the_same_neighbours(label_case):
    _, noisy, flipped, rep = label_case
    cl = find_issues(noisy, ("label",), method="cleanlab", progress=False)
    truth = np.zeros(len(noisy), bool)
    truth[flipped] = True
    assert cl.settings["codec"] == rep.settings["codec"]
    found = (cl.flags["label"] & truth).sum()
    assert found >= 0.5 * truth.sum() and found >= 0.9 * cl.flags["label"].sum()


def test_a_prior_learned_from_the_images_reads_no_label(digits600):
    """With ``prior="images"`` the coder's prior, and so the neighbors, are the same whatever
    the labels say; with the default the wrong labels enter the prior."""
    fixed = {"codec": "ctx-ref-learned", "serializer": "binary", "progress": False}
    a, flipped = corrupt_labels(digits600, 0.1, seed=0)
    b, _ = corrupt_labels(digits600, 0.3, seed=1)
    free = [find_issues(d, ("label",), prior="images", **fixed) for d in (a, b)]
    np.testing.assert_array_equal(free[0].neighbors[1], free[1].neighbors[1])
    assert free[0].settings["prior"] == "images"
    given = [find_issues(d, ("label",), **fixed) for d in (a, b)]
    assert not np.array_equal(given[0].neighbors[1], given[1].neighbors[1])
    truth = np.zeros(len(a), bool)
    truth[flipped] = True
    assert (free[0].flags["label"] & truth).sum() >= 0.8 * truth.sum()
    with pytest.raises(ValueError, match="prior must be"):
        find_issues(a, ("label",), prior="pool")


def test_label_scores_margin_and_suggestion_follow_the_tie_rule():
    nl = np.array([[1, 2, 2, 1, 0], [0, 0, 0, 0, 0], [2, 1, 1, 2, 0]])
    s = label_scores(nl, np.array([0, 0, 0]), 3)
    np.testing.assert_allclose(s["margin"], [0.2 - 0.4, 1.0, 0.2 - 0.4])
    assert s["suggested"].tolist() == [1, 0, 2]  # tied 1 vs 2: the nearest neighbor's class
    np.testing.assert_allclose(s["consensus"], [0.4, 1.0, 0.4])


def test_blank_and_noise_junk_is_found_exactly(digits600):
    ds, kind = plant_junk(digits600, 0.03, seed=0)
    rep = find_issues(ds, ("junk",), progress=False)
    assert np.array_equal(rep.flags["blank"], kind == "blank")
    assert np.array_equal(rep.flags["noise"], kind == "noise")
    assert rep.flags["outlier"][kind == ""].mean() < 0.02


def test_foreign_images_are_outliers(mnist500):
    # 50 Fashion-MNIST images among 500 MNIST digits: on a set this small only the foreign
    # images in the most label-less neighborhoods are seeds; the growth adds more of their
    # group, and no digit
    foreign = load("fashion-mnist-10k").images[:200]
    ds, kind = plant_junk(mnist500, 0.1, foreign=foreign, seed=0)
    truth = kind == "foreign"
    rep = find_issues(ds, ("junk",), progress=False)
    seeds = find_issues(ds, ("junk",), thresholds=Thresholds(outlier_join=16), progress=False)
    for r in (rep, seeds):
        assert (r.flags["outlier"] & ~truth).sum() <= 0.01 * (~truth).sum()
    assert (seeds.flags["outlier"] & truth).sum() >= 0.3 * truth.sum()
    assert (rep.flags["outlier"] & truth).sum() >= (seeds.flags["outlier"] & truth).sum() + 5
    assert rep.settings["thresholds"]["outlier_neighborhood"] == chance_consensus(15, 10)
    assert rep.settings["thresholds"]["outlier_permuted"] < chance_consensus(15, 10)
    assert rep.table["outlier_neighbors"].shape == (len(ds),)


def test_label_noise_in_a_varied_set_makes_few_outliers():
    # digits in many typefaces, 40 per class, with 20% of the labels moved; every image
    # belongs to the set. auto's label neighbors (ctx-ref-learned on binary planes) flag 7.
    # A coder without a learned prior (ctx-ref) gives noisier neighborhoods: the rule flags
    # 15 there, while the chance level alone would flag 170 of the 400.
    noisy, _ = corrupt_labels(glyphs(n_per_class=40, seed=0), 0.2, seed=0)
    unlearned = {"codec": "ctx-ref", "serializer": "binary"}
    for setting in ({}, unlearned):
        rep = find_issues(noisy, ("junk",), progress=False, **setting)
        assert rep.flags["outlier"].sum() <= 0.05 * len(noisy)
    at_chance = Thresholds(outlier_permuted=chance_consensus(15, 10))
    chance_only = find_issues(noisy, ("junk",), thresholds=at_chance, progress=False, **unlearned)
    assert chance_only.flags["outlier"].sum() >= 0.25 * len(noisy)


def test_outlier_seeds_are_chance_level_or_far_and_grow_over_neighbors():
    hood = np.array([0.9, 0.4, 0.41, 0.9, 0.2, 0.9, 0.9])
    dist = np.array([0.5, 0.5, 0.5, 5.0, 0.5, 0.5, 0.5]) + np.arange(7) * 1e-3
    eligible = np.array([True, True, True, True, False, True, True])  # 4 is blank
    # seeds: 1 (chance-level neighborhood) and 3 (far); 4 would be one but is blank.
    # 5 has both seeds as neighbors and only they list it; 6 has seed 1 as a neighbor but
    # is listed by images 0 and 2, which are not flagged
    nbrs = np.array([[4, 6], [3, 5], [0, 6], [1, 5], [1, 3], [1, 3], [1, 0]])
    flags, join = outlier_flags(hood, dist, nbrs, eligible, chance=0.4, permuted=0.4, z=3.0, join=3)
    assert flags.tolist() == [False, True, False, True, False, False, False]  # seeds only
    assert join == 3
    for join in (1, 2):
        flags, _ = outlier_flags(
            hood, dist, nbrs, eligible, chance=0.4, permuted=0.4, z=3.0, join=join
        )
        assert flags.tolist() == [False, True, False, True, False, True, False]
    basic = junk_flags(np.array([0.0, 0.5, 1.0]))
    assert basic["blank"].tolist() == [True, False, False]
    assert basic["noise"].tolist() == [False, False, True]


def test_growth_repeats_until_nothing_changes():
    # a ring 0-1-2-3: 1 and 3 join the seed 0 first, then 2, which only they list
    nbrs = np.array([[1, 3], [0, 2], [1, 3], [2, 0]])
    seeds = np.array([True, False, False, False])
    assert grow(seeds, nbrs, 1, np.ones(4, bool)).all()
    assert grow(seeds, nbrs, 2, np.ones(4, bool)).tolist() == [True, False, False, False]
    assert not grow(seeds, nbrs, 1, np.zeros(4, bool)).any()  # nothing eligible


def test_join_level_is_what_random_flags_rarely_reach():
    # 1.5% of images flagged at random: 3 of 15 neighbors happens in fewer than 1 in 100
    assert join_level(15, 0.015) == 3
    assert join_level(15, 0.0) == 1  # no seeds: any flagged neighbor would be one
    assert join_level(15, 0.2) > join_level(15, 0.05) > join_level(15, 0.01)
    assert join_level(3, 0.9) == 4  # all three flagged is common: nobody joins


def test_chance_consensus_is_the_agreement_of_random_labels():
    assert chance_consensus(1, 10) == 1.0  # one label always agrees with itself
    assert chance_consensus(15, 1) == 1.0
    # more classes, less agreement by chance; more neighbors, less too
    assert chance_consensus(15, 10) < chance_consensus(15, 3) < chance_consensus(15, 2)
    assert chance_consensus(50, 10) < chance_consensus(15, 10)
    assert chance_consensus(15, 2) > 0.5


def test_near_and_exact_duplicates_form_groups_keeping_the_first(mnist500):
    ds, src, kinds = plant_duplicates(mnist500, 0.05, seed=0)
    n = len(mnist500)
    exact = ds.with_(images=np.concatenate([ds.images, ds.images[:1]]),
                     labels=np.concatenate([ds.labels, ds.labels[:1]]))  # fmt: skip
    rep = find_issues(exact, ("duplicate",), progress=False)
    dup_of = rep.table["duplicate_of"]
    assert dup_of[-1] == 0  # the exact copy points to the image it copies
    copies = np.arange(n, n + len(src))
    assert np.mean(dup_of[copies] == src) >= 0.9
    assert set(kinds) == {"shift", "noise", "jpeg", "brightness"}
    originals = np.setdiff1d(np.arange(n), np.append(src, 0))
    assert (rep.table["dup_group"][originals] >= 0).mean() < 0.02
    assert not rep.flags["duplicate"][src].any()  # the lowest index of a group is kept


def test_small_images_are_upsampled_so_their_near_copies_are_found(digits600):
    assert upsample(np.zeros((2, 8, 8), np.uint8)).shape == (2, 32, 32)  # x4 reaches 28
    assert upsample(np.zeros((2, 8, 8, 3), np.uint8)).shape == (2, 32, 32, 3)
    big = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    assert upsample(big) is big
    ds, src, kinds = plant_duplicates(digits600, 0.05, seed=0)
    n = len(digits600)
    rep = find_issues(ds, ("duplicate",), progress=False)
    found = rep.flags["duplicate"][n:]
    # noisy, JPEG and brightened copies, and 1 px shifts: upsampled x4 they are 4 px, out of
    # the template's reach, so each image is also compared with shifted copies of the others
    assert found[kinds != "shift"].mean() >= 0.7
    assert found[kinds == "shift"].mean() >= 0.7
    assert rep.flags["duplicate"][:n].mean() < 0.02


def test_brightened_and_flattened_copies_are_both_found(digits600):
    # +30 saturates the digits' top grays, so a stretch scales the copy's other grays by another
    # factor than the original's; an offset undoes it, but not a lowered contrast: both are used
    n, src = len(digits600), np.arange(0, 80, 2)
    brighter = np.clip(digits600.images[src[:20]].astype(np.int16) + 30, 0, 255).astype(np.uint8)
    flatter = np.rint(digits600.images[src[20:]] * 0.6 + 40).astype(np.uint8)
    ds = digits600.with_(images=np.concatenate([digits600.images, brighter, flatter]),
                         labels=np.concatenate([digits600.labels, digits600.labels[src]]))  # fmt: skip
    dup_of = find_issues(ds, ("duplicate",), progress=False).table["duplicate_of"]
    assert np.mean(dup_of[n : n + 20] == src[:20]) >= 0.95
    assert np.mean(dup_of[n + 20 :] == src[20:]) >= 0.95
    assert (dup_of[np.setdiff1d(np.arange(n), src)] >= 0).mean() < 0.02


def test_normalizations_undo_an_offset_and_a_contrast_change():
    im = np.zeros((1, 20, 20), np.uint8)  # background, and two gray levels of ink
    im[0, 5:15, 5:10], im[0, 5:15, 10:15] = 100, 200
    np.testing.assert_array_equal(offset(im + 40), im)
    np.testing.assert_array_equal(stretch(im // 2 + 10), stretch(im))
    assert stretch(im).max() == 255 and offset(im).max() == 200  # only the stretch scales


def test_shifted_copies_move_each_image_by_one_pixel_with_zero_fill():
    im = np.arange(1, 10, dtype=np.uint8).reshape(1, 3, 3)
    out = shifted(im, ((0, 0), (1, 0), (0, -1)))
    np.testing.assert_array_equal(out[0], im[0])
    np.testing.assert_array_equal(out[1], [[0, 0, 0], [1, 2, 3], [4, 5, 6]])  # moved down
    np.testing.assert_array_equal(out[2], [[2, 3, 0], [5, 6, 0], [8, 9, 0]])  # moved left


def test_near_pairs_pass_the_threshold_or_the_ratio_test():
    hashes = np.array(["a", "b", "c", "d"])
    idx = np.array([[1, 2], [0, 2], [0, 3], [2, 0]])
    # 0-1: far above the threshold, but 1's nearest is much closer than its second (ratio);
    # 2 and 3: neither close nor passing the ratio test
    dist = np.array([[0.70, 0.72], [0.70, 0.95], [0.80, 0.85], [0.85, 0.90]])
    i, j = duplicate_pairs(dist, idx, hashes, threshold=0.6, ratio=0.75)
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == [(0, 1)]
    # with the ratio test off, only the threshold and equal hashes count
    i, j = duplicate_pairs(dist, idx, np.array(["a", "b", "c", "c"]), threshold=0.6, ratio=0.0)
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == [(2, 3)]
    # a group of three whose two nearest are both close is kept by the threshold
    idx3 = np.array([[1, 2], [0, 2], [0, 1]])
    dist3 = np.full((3, 2), 0.3)
    i, j = duplicate_pairs(dist3, idx3, np.array(["a", "b", "c"]), threshold=0.6, ratio=0.75)
    assert list(zip(i.tolist(), j.tolist(), strict=True)) == [(0, 1), (0, 2), (1, 2)]


def test_duplicate_groups_join_chains():
    group, dup_of = duplicate_groups(10, np.array([5, 0, 2]), np.array([9, 5, 3]))
    assert group.tolist() == [0, -1, 1, 1, -1, 0, -1, -1, -1, 0]
    assert dup_of.tolist() == [-1, -1, -1, 2, -1, 0, -1, -1, -1, 0]


def test_leakage_against_a_second_set(mnist500):
    train, test = mnist500.split(test_size=100, seed=0)
    leaky = test.with_(images=np.concatenate([test.images, train.images[[3, 7]]]),
                       labels=np.concatenate([test.labels, train.labels[[3, 7]]]))  # fmt: skip
    rep = find_issues(train, ("duplicate",), against=leaky, progress=False)
    assert rep.table["leak_of"][3] == len(test) and rep.table["leak_of"][7] == len(test) + 1
    assert rep.flags["leak"].sum() <= 4


def test_cache_resumes_without_recomputing(digits600, tmp_path, monkeypatch):
    ds, _ = corrupt_labels(digits600.subset(n=200, seed=1), 0.1, seed=0)
    first = find_issues(ds, cache=tmp_path, progress=False)

    def fail(*a, **k):
        raise AssertionError("recomputed a cached stage")

    monkeypatch.setattr(Context, "_search", fail)
    monkeypatch.setattr(duplicates_module, "near_neighbors", fail)
    monkeypatch.setattr(junk_module, "information_ratio", fail)
    again = find_issues(ds, cache=tmp_path, progress=False)
    for k in first.table:
        np.testing.assert_array_equal(first.table[k], again.table[k])
    # a different threshold reuses the cached neighbors too
    loose = find_issues(ds, cache=tmp_path, thresholds=Thresholds(label_margin=0.5),
                        progress=False)  # fmt: skip
    assert loose.flags["label"].sum() >= again.flags["label"].sum()


def _tree_digest(root: Path) -> dict:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}  # fmt: skip


def _image_folder(root: Path, ds: Dataset, n_per_class: int = 25) -> Path:
    for c in range(3):
        (root / f"c{c}").mkdir(parents=True)
        for j, i in enumerate(np.flatnonzero(ds.labels == c)[:n_per_class]):
            Image.fromarray(ds.images[i]).save(root / f"c{c}" / f"{j:03d}.png")
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(root / "c0" / "blank.png")
    Image.open(root / "c1" / "000.png").save(root / "c1" / "copy.png")
    return root


def test_imagefolder_round_trip_leaves_the_input_untouched(digits600, tmp_path, capsys):
    src = _image_folder(tmp_path / "in", digits600)
    before = _tree_digest(src)
    assert main(["filter", str(src), "--out", str(tmp_path / "out"), "--n-jobs", "1"]) == 0
    assert _tree_digest(src) == before
    out = tmp_path / "out"
    rows = list(csv.DictReader(open(out / "issues.csv")))
    assert len(rows) == 77
    by_file = {r["file"]: r for r in rows}
    assert by_file["c0/blank.png"]["reasons"] == "blank"
    assert "duplicate" in by_file["c1/copy.png"]["reasons"]
    kept = {str(p.relative_to(out / "dataset")) for p in (out / "dataset").rglob("*.png")}
    flagged = {r["file"] for r in rows if r["reasons"]}
    assert kept == set(by_file) - flagged
    assert (out / "dataset/c0/000.png").read_bytes() == (src / "c0/000.png").read_bytes()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_kept"] == len(kept) and summary["by_reason"]["blank"] == 1
    assert (out / "gallery-blank.png").stat().st_size > 0
    assert (out / "pairs-duplicate.png").stat().st_size > 0
    assert "flagged" in capsys.readouterr().out


def test_npz_round_trip_and_dry_run(digits600, tmp_path):
    ds = digits600.subset(n=150, seed=2)
    np.savez(tmp_path / "d.npz", images=np.concatenate([ds.images, ds.images[:2]]),
             labels=np.concatenate([ds.labels, ds.labels[:2]]))  # fmt: skip
    res = filter_dataset(tmp_path / "d.npz", tmp_path / "out", issues=("duplicate",),
                         progress=False)  # fmt: skip
    with np.load(tmp_path / "out" / "dataset.npz") as z:
        assert z["images"].shape[1:] == (8, 8)
        assert {150, 151}.isdisjoint(z["index"].tolist())
        np.testing.assert_array_equal(
            z["images"], np.concatenate([ds.images, ds.images[:2]])[z["index"]]
        )
    assert res["summary"]["by_reason"]["duplicate"] >= 2
    filter_dataset(tmp_path / "d.npz", tmp_path / "dry", issues=("duplicate",), dry_run=True,
                   progress=False)  # fmt: skip
    assert not (tmp_path / "dry" / "dataset.npz").exists()
    assert (tmp_path / "dry" / "issues.csv").exists()


def test_output_inside_the_input_is_refused_before_any_work(tmp_path, monkeypatch):
    src = _image_folder(tmp_path / "in", load("digits"), n_per_class=3)
    run_module = importlib.import_module("ncdvision.ncd.filter.run")
    monkeypatch.setattr(run_module, "find_issues", None)  # any work would fail differently
    with pytest.raises(OutputError, match="inside the input"):
        filter_dataset(src, src / "cleaned")


def test_bad_issue_names_are_refused(capsys):
    assert main(["filter", "digits", "--out", "/tmp/x", "--issues", "labels"]) == 2
    assert "--issues" in capsys.readouterr().err


def test_relabel_keeps_a_mislabelled_file_under_its_suggested_class(digits600, tmp_path):
    src = _image_folder(tmp_path / "in", digits600)
    two = digits600.images[np.flatnonzero(digits600.labels == 2)[30]]
    Image.fromarray(two).save(src / "c0" / "odd.png")
    filter_dataset(src, tmp_path / "out", issues=("label",), progress=False)  # removes it
    res = filter_dataset(src, tmp_path / "out", issues=("label",), relabel=True, progress=False)
    written = list((tmp_path / "out/dataset").rglob("*.png"))
    assert len(written) == res["summary"]["n_kept"]  # nothing left from the first run
    assert (tmp_path / "out/dataset/c2/c0__odd.png").exists()
    assert not (tmp_path / "out/dataset/c0/odd.png").exists()
    assert res["summary"]["n_relabelled"] >= 1
    assert res["summary"]["n_kept"] == 78  # relabelled, not removed
    pairs = [(p["given"], p["suggested"]) for p in res["summary"]["label_pairs"]]
    assert ("c0", "c2") in pairs


def test_label_pairs_count_given_and_suggested_classes_most_first():
    rep = find_module.IssueReport(
        table={"index": np.arange(6), "label": np.array([0, 0, 1, 1, 2, 2]),
               "suggested": np.array([1, 1, 0, 2, 0, 0])},
        flags={"label": np.array([True, True, True, False, True, False])},
    )  # fmt: skip
    assert rep.label_pairs(["a", "b", "c"]) == [("a", "b", 2), ("b", "a", 1), ("c", "a", 1)]
    assert rep.label_pairs(top=1) == [(0, 1, 2)]
    rep.flags["label"][:] = False
    assert rep.label_pairs() == []
    assert find_module.IssueReport(table={"index": np.arange(2)}, flags={}).label_pairs() == []


def test_pair_gallery_shows_each_leak_beside_its_match(mnist500, tmp_path):
    from ncdvision.ncd.filter.write import pairs_png

    train, test = mnist500.split(test_size=100, seed=0)
    leaky = test.with_(images=np.concatenate([test.images, train.images[[3]]]),
                       labels=np.concatenate([test.labels, train.labels[[3]]]))  # fmt: skip
    rep = find_issues(train, ("duplicate",), against=leaky, progress=False)
    assert rep.table["leak_distance"][3] < 0.6
    path = pairs_png(tmp_path / "leak.png", train.images, rep, "leak", other=leaky.images)
    assert path.stat().st_size > 0
