"""Memory bounds on every reader, declared parameter ranges, a path that reads only itself, and
parallel kernels that are safe to call from several threads."""

import gzip
import os
import pickle
import subprocess
import sys
import textwrap
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import write_cifar10
from ncdvision.datasets import DatasetError, load, read_idx, read_images
from ncdvision.ncd import get_codec
from ncdvision.ncd.distance import max_matrix_bytes

ROOT = Path(__file__).resolve().parents[1]


def idx_bytes(array: np.ndarray) -> bytes:
    head = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return head + array.astype(np.uint8).tobytes()


# ----------------------------------------------------------------------------------- bombs


def test_gzip_idx_is_bounded_and_read_without_a_second_copy(tmp_path, monkeypatch):
    f = tmp_path / "train-images-idx3-ubyte.gz"
    f.write_bytes(gzip.compress(idx_bytes(np.zeros((2048, 64, 64), np.uint8))))  # 8 MiB of zeros
    monkeypatch.setenv("NCDVISION_MAX_DATASET_BYTES", "4M")
    with pytest.raises(DatasetError, match=r"train-images-idx3-ubyte.gz: .*8.0 MiB.*4.0 MiB limit"):
        read_idx(f)
    monkeypatch.delenv("NCDVISION_MAX_DATASET_BYTES")
    tracemalloc.start()
    images = read_idx(f)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert images.shape == (2048, 64, 64) and peak < images.nbytes + (4 << 20)  # not twice


def test_npz_members_are_sized_from_their_headers(tmp_path, monkeypatch):
    inflating = tmp_path / "inflating.npz"  # 16 MiB of zeros in a few KB
    np.savez_compressed(inflating, images=np.zeros((4096, 64, 64), np.uint8),
                        labels=np.zeros(4096, np.int64))  # fmt: skip
    assert inflating.stat().st_size < 100_000
    monkeypatch.setenv("NCDVISION_MAX_DATASET_BYTES", "1M")
    with pytest.raises(DatasetError, match="inflating.npz: .*16.0 MiB"):
        load(inflating)
    monkeypatch.delenv("NCDVISION_MAX_DATASET_BYTES")
    lying = tmp_path / "lying.npz"  # a header claiming 10**9 images over a few bytes
    header = {"descr": "|u1", "fortran_order": False, "shape": (10**9, 28, 28)}
    with zipfile.ZipFile(lying, "w") as z:
        with z.open("images.npy", "w") as fh:
            np.lib.format.write_array_header_1_0(fh, header)
            fh.write(b"\0" * 64)
        with z.open("labels.npy", "w") as fh:
            np.lib.format.write_array(fh, np.zeros(3, np.int64))
    with pytest.raises(
        DatasetError, match="lying.npz: .*730.\\d\\d GiB.*NCDVISION_MAX_DATASET_BYTES"
    ):
        load(lying)
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(DatasetError, match="bad.npz: cannot read"):
        load(tmp_path / "bad.npz")


def test_cifar_batch_of_shared_references_is_refused_before_expanding(tmp_path):
    root = write_cifar10(tmp_path / "cifar")
    rows = [[0] * 3072] * 700
    with open(root / "data_batch_2", "wb") as fh:  # a few KB standing for 2 GB once expanded
        pickle.dump({b"data": [rows] * 1000, b"labels": [0]}, fh)
    assert (root / "data_batch_2").stat().st_size < 20_000
    with pytest.raises(DatasetError, match="data_batch_2: expected b'data' to be a numpy array"):
        load(root)


def test_large_images_are_decoded_one_at_a_time(tmp_path):
    big = tmp_path / "big"
    big.mkdir()
    Image.new("L", (4000, 4000), 128).save(big / "0.png")
    for i in range(1, 8):  # eight 16-megapixel images: 128 MB decoded at once
        (big / f"{i}.png").write_bytes((big / "0.png").read_bytes())
    script = textwrap.dedent(f"""
        import resource, sys
        from pathlib import Path
        from ncdvision.datasets import read_images
        paths = sorted(Path({str(big)!r}).glob("*.png"))
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        X, kept, _ = read_images(paths, resize=(28, 28))
        grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        print(X.shape, grew // 1024)
    """)
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    shape, grew_mib = res.stdout.rsplit(" ", 1)
    assert shape == "(8, 28, 28)" and int(grew_mib) < 64, res.stdout


def test_an_image_above_the_pixel_limit_is_refused_by_name(tmp_path, monkeypatch):
    Image.new("L", (300, 300)).save(tmp_path / "huge.png")
    monkeypatch.setenv("NCDVISION_MAX_IMAGE_PIXELS", "10000")
    with pytest.raises(DatasetError, match="huge.png: 90,000 pixels, above the 10,000-pixel"):
        read_images([tmp_path / "huge.png"])


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "0", "lots", "1e30"])
def test_size_variables_are_parsed_or_refused_by_name(monkeypatch, value):
    monkeypatch.setenv("NCDVISION_MAX_MATRIX_BYTES", value)
    with pytest.raises(ValueError, match=f"NCDVISION_MAX_MATRIX_BYTES='{value}': expected"):
        max_matrix_bytes()


# ------------------------------------------------------------------------ what a file is


def test_a_fifo_named_like_an_image_is_refused_not_waited_on(tmp_path):
    os.mkfifo(tmp_path / "x.png")
    script = (
        f"from ncdvision.datasets import read_images; read_images([{str(tmp_path / 'x.png')!r}])"
    )
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert "x.png: not a regular file" in res.stderr


def test_16_bit_images_in_the_low_byte_are_warned_about(tmp_path):
    Image.fromarray(np.full((4, 4), 200, np.uint16)).save(tmp_path / "dim.png")
    with pytest.warns(UserWarning, match="1 16-bit image.*dim.png.*black"):
        X, _, _ = read_images([tmp_path / "dim.png"])
    assert X.max() == 0


@pytest.mark.parametrize("sep", ["-", "."])
def test_a_users_mnist_folder_is_read_as_itself(tmp_path, monkeypatch, sep):
    folder = tmp_path / "my-mnist"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for part, n in (("train", 40), ("t10k", 20)):
        (folder / f"{part}-images{sep}idx3-ubyte").write_bytes(
            idx_bytes(rng.integers(0, 256, (n, 28, 28))))  # fmt: skip
        (folder / f"{part}-labels{sep}idx1-ubyte").write_bytes(idx_bytes(np.arange(n) % 10))
    monkeypatch.setenv("NCDVISION_DATA", "/usr/share/datasets/fashion-mnist")
    ds = load(folder)
    assert len(ds) == 60 and int(ds.test_mask.sum()) == 20
    assert ds.class_names == tuple(str(i) for i in range(10)) and ds.name == "my-mnist"
    assert ds.provenance["licence"] == "as given by the user"
    assert str(folder) in ds.provenance["source"]


# ------------------------------------------------------------------- parameters in range


@pytest.mark.parametrize("codec,param,value", [
    ("ctx-ref", "cap", -1), ("ctx-ref", "cap", 0), ("ctx-ref", "cap", 10**9),
    ("ctx", "cap", 1), ("ctx-ref-learned", "strength", -5),
    ("ctx-ref-learned", "pairs_per_image", 0), ("ctx-ref", "cap", 2.5),
    ("ctx-ref", "symmetric", "no"), ("zstd", "level", True), ("webp", "quality", 101),
])  # fmt: skip
def test_codec_parameters_are_checked_against_their_declared_ranges(codec, param, value):
    with pytest.raises(ValueError, match=f"{codec}: {param} must be"):
        get_codec(codec, **{param: value})


# ------------------------------------------------------------------------------- threads


def test_parallel_kernels_are_safe_from_several_threads():
    # in a child process: numba's workqueue layer aborts the whole process on a concurrent launch
    script = textwrap.dedent("""
        from concurrent.futures import ThreadPoolExecutor
        import numpy as np
        from joblib import parallel_backend
        from sklearn.model_selection import cross_val_score
        from ncdvision.datasets import load
        from ncdvision.ncd import NCDKNNClassifier, kneighbors, pairwise
        ds = load("digits").subset(n=120, seed=0)
        X, y = ds.images, ds.labels
        jobs = [lambda: pairwise(X[:40], X, codec="ctx-ref", serializer="binary"),
                lambda: kneighbors(X[:40], X, k=3, codec="ctx-ref-asym", serializer="thermo:3"),
                lambda: NCDKNNClassifier(codec="ctx-ref-learned", serializer="binary", k=1).fit(X, y)]
        with ThreadPoolExecutor(4) as pool:
            for f in [pool.submit(job) for job in jobs * 4]:
                f.result()
        with parallel_backend("threading", n_jobs=4):
            clf = NCDKNNClassifier(codec="ctx-ref", serializer="binary", k=1)
            print(cross_val_score(clf, X, y, cv=3, n_jobs=4).round(2))
    """)
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=600)  # fmt: skip
    assert res.returncode == 0, res.stderr[-2000:]


def test_every_parallel_kernel_goes_through_the_guarded_launch():
    sources = [p for p in (ROOT / "ncd").rglob("*.py") if "parallel=True" in p.read_text()]
    assert [p.relative_to(ROOT).as_posix() for p in sources] == ["ncd/runtime.py"]
    text = (ROOT / "ncd" / "runtime.py").read_text()
    assert text.count("parallel=True") == 1  # inside parallel_kernel, the one guarded launch
