"""Bad input gets a clear error naming the file or argument, before the work; nothing is lost;
no user file runs code. One test per case of issue 10."""

import gzip
import os
import pickle
import stat
import struct
import subprocess
import sys
import textwrap
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import write_cifar10, write_image_folder
from ncdvision.datasets import DatasetError, detect_format, load, read_idx, read_images
from ncdvision.ncd import NCDKNNClassifier, get_codec, kneighbors, pairwise
from ncdvision.ncd.cli import main
from ncdvision.ncd.distance import max_matrix_bytes
from ncdvision.ncd.output import OutputError, atomic_write, check_free_space

ROOT = Path(__file__).resolve().parents[1]
rng = np.random.default_rng(0)


def images(n=12, size=8):
    return rng.integers(0, 256, (n, size, size), dtype=np.uint8)


# ------------------------------------------------------------------ security, silent results


class _Payload:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def test_cifar_pickle_payload_does_not_run(tmp_path, capsys):
    root = write_cifar10(tmp_path / "cifar")
    marker = tmp_path / "payload-ran"
    with open(root / "data_batch_1", "wb") as fh:
        pickle.dump({b"data": _Payload(marker), b"labels": [0]}, fh)
    with pytest.raises(DatasetError, match="data_batch_1.*refused to load global"):
        load(root)
    assert main(["datasets", "info", str(root)]) == 2
    assert "data_batch_1" in capsys.readouterr().err
    assert not marker.exists()


@pytest.mark.parametrize("plain_file", ["train", "data_batch_1"])
def test_image_folder_with_cifar_like_file_is_an_image_folder(tmp_path, plain_file, capsys):
    root = write_image_folder(tmp_path / "folder")
    (root / plain_file).write_bytes(pickle.dumps(_Payload(tmp_path / "ran")))
    assert detect_format(root)[0] == "imagefolder"
    ds = load(root)
    assert len(ds) == 6 and not (tmp_path / "ran").exists()
    assert main(["datasets", "info", str(root)]) == 0
    out = capsys.readouterr().out
    assert "ImageFolder (one subfolder per class)" in out and f"{plain_file} (not inside" in out


def test_builtin_name_and_path_never_mix(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_image_folder(tmp_path / "noise")
    with pytest.raises(DatasetError, match=r"'noise' is both .* './noise' .* 'builtin:noise'"):
        load("noise")
    assert load(Path("noise")).class_names == ("cat", "dog")  # a Path is always a path
    assert load("./noise").class_names == ("cat", "dog")
    assert load("builtin:noise").name == "noise" and len(load("builtin:noise")) > 6


def test_explicit_k_is_used_or_refused(tmp_path, capsys):
    X, y = images(40), np.arange(40) % 2
    with pytest.raises(ValueError, match="k=40: leave-one-out needs 40 neighbors .* only 39"):
        NCDKNNClassifier(k=40, codec="auto").fit(X, y)
    clf = NCDKNNClassifier(k=39, codec="auto", loo_size=40).fit(X, y)
    assert clf.k_ == 39 and {r["k"] for r in clf.selection_} == {39}

    train = write_image_folder(tmp_path / "train", n=6)  # 12 training images
    test = tmp_path / "test"
    test.mkdir()
    Image.fromarray(images(1, 12)[0][:, :10]).save(test / "a.png")
    argv = [
        "baseline",
        "--train",
        str(train),
        "--test",
        str(test),
        "--out",
        str(tmp_path / "s.csv"),
    ]
    assert main(argv + ["--k", "12"]) == 2
    assert "k=12" in capsys.readouterr().err

    np.savez(tmp_path / "d.npz", images=images(60), labels=np.arange(60) % 3)
    assert main(["classify", "--dataset", str(tmp_path / "d.npz"), "--test-size", "12",
                 "--k", "48", "--out", str(tmp_path / "o")]) == 2  # fmt: skip
    assert "k=48" in capsys.readouterr().err


def _png16(path: Path, values: np.ndarray) -> Path:
    Image.fromarray(values.astype(np.uint16)).save(path)
    return path


def test_16_bit_images_use_one_global_rule(tmp_path):
    a = _png16(tmp_path / "a.png", np.full((4, 4), 1000))  # different maxima, same rule
    b = _png16(tmp_path / "b.png", np.full((4, 4), 65535))
    X, _, _ = read_images([a, b])
    assert (X[0] == 1000 >> 8).all() and (X[1] == 255).all()
    c = tmp_path / "c.png"
    Image.fromarray(np.full((4, 4, 3), 7, np.uint8)).save(c)
    X, _, _ = read_images([a, c])  # 16-bit next to RGB: the same >> 8, then to RGB
    assert X.shape == (2, 4, 4, 3) and (X[0] == 1000 >> 8).all() and (X[1] == 7).all()


def test_float_tiff_and_out_of_range_cifar_are_refused(tmp_path):
    f = tmp_path / "float.tif"
    Image.fromarray(np.full((4, 4), 0.5, np.float32)).save(f)
    with pytest.raises(DatasetError, match="float.tif: floating-point pixels"):
        read_images([f])
    root = write_cifar10(tmp_path / "cifar")
    with open(root / "test_batch", "wb") as fh:
        data = np.zeros((2, 3072), np.int64)
        data[0, 0] = 300
        pickle.dump({b"data": data, b"labels": [0, 1]}, fh)
    with pytest.raises(DatasetError, match="test_batch: CIFAR data must be integers in 0..255"):
        load(root)


def test_colliding_test_ids_are_refused(tmp_path):
    from ncdvision.ncd.jobs import baseline

    train = write_image_folder(tmp_path / "train", size=(8, 8))
    test = tmp_path / "test"
    test.mkdir()
    for name in ("same.png", "same.bmp", "same.PNG", "other.png"):
        Image.fromarray(images(1)[0]).save(
            test / name, format="PNG" if "png" in name.lower() else "BMP"
        )
    with pytest.raises(DatasetError, match="same: .*same.PNG, .*same.bmp, .*same.png"):
        baseline(train, test, tmp_path / "s.csv", codec="zlib", k=1)
    assert not (tmp_path / "s.csv").exists()


def test_out_symlink_fifo_and_stdout(tmp_path, capsys):
    target = tmp_path / "real.csv"
    target.write_text("old")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    atomic_write(link, lambda fh: fh.write("new"))
    assert link.is_symlink() and target.read_text() == "new"
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # a pipe is a stream: written in place, never replaced by a file
    with ThreadPoolExecutor(1) as pool:
        read = pool.submit(fifo.read_text)
        atomic_write(fifo, lambda fh: fh.write("x"))
        assert read.result(timeout=30) == "x"
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    atomic_write("-", lambda fh: fh.write("id,label\n"))
    assert capsys.readouterr().out == "id,label\n"


def test_baseline_writes_csv_to_stdout(tmp_path, capsys):
    train = write_image_folder(tmp_path / "train", size=(8, 8))
    test = write_image_folder(tmp_path / "t", classes=("x",), size=(8, 8)) / "x"
    argv = ["baseline", "--train", str(train), "--test", str(test), "--out", "-"]
    assert main(argv + ["--codec", "zlib", "--k", "1"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == "id,label" and len(out.splitlines()) == 4
    assert "wrote -" in err


@pytest.mark.parametrize("fn", [pairwise, kneighbors])
@pytest.mark.parametrize("block_rows", [-3, 0, 1.5, True])
def test_block_rows_is_validated(fn, block_rows):
    with pytest.raises(ValueError, match="block_rows must be a positive integer"):
        fn(images(4), images(4), codec="zlib", block_rows=block_rows)


def test_images_without_pixels_are_refused():
    with pytest.raises(ValueError, match=r"X: images of shape \(0, 0\) have no pixels"):
        pairwise(np.zeros((3, 0, 0), np.uint8), codec="zlib")


# ------------------------------------------------------------ resource exhaustion, leftovers


def test_huge_label_value_allocates_nothing(tmp_path):
    import tracemalloc

    np.savez(tmp_path / "big.npz", images=images(3), labels=np.array([0, 1, 2**40]))
    tracemalloc.start()
    ds = load(tmp_path / "big.npz")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert ds.class_names == ("0", "1", str(2**40)) and list(ds.labels) == [0, 1, 2]
    assert peak < 50 << 20


def test_gzipped_idx_with_lying_header_is_refused_before_decompressing(tmp_path):
    lie = tmp_path / "lie-idx3-ubyte.gz"
    header = bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in (1000, 1000, 1000))
    with gzip.open(lie, "wb") as fh:
        fh.write(header + bytes(1000))
    with pytest.raises(DatasetError, match="lie-idx3-ubyte.gz: IDX header says shape"):
        read_idx(lie)
    near = tmp_path / "near-idx1-ubyte.gz"  # within the expansion ratio: the trailer's size
    with gzip.open(near, "wb") as fh:
        fh.write(bytes([0, 0, 8, 1]) + (2000).to_bytes(4, "big") + bytes(1000))
    with pytest.raises(DatasetError, match="near-idx1-ubyte.gz: IDX header says shape"):
        read_idx(near)


def test_idx_header_that_overflows_int64(tmp_path):
    f = tmp_path / "huge-idx"
    f.write_bytes(bytes([0, 0, 8, 4]) + (65536).to_bytes(4, "big") * 4)
    with pytest.raises(DatasetError, match=r"huge-idx: IDX file truncated .*18446744073709551616"):
        read_idx(f)


def test_distances_leaves_no_temp_file(tmp_path, monkeypatch, capsys):
    np.savez(tmp_path / "x.npz", images=images(4), labels=np.arange(4))
    out = tmp_path / "res" / "D.npy"
    out.parent.mkdir()
    argv = ["distances", str(tmp_path / "x.npz"), "--out", str(out)]
    assert main(argv + ["--codec", "nosuch"]) == 2
    assert "unknown codec 'nosuch'" in capsys.readouterr().err

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr("ncdvision.ncd.distance.pairwise", interrupted)
    with pytest.raises(KeyboardInterrupt):
        main(argv + ["--codec", "zlib"])
    assert list(out.parent.iterdir()) == []
    with pytest.raises(OutputError, match="D.npy: needs 8.00 TiB"):
        check_free_space(out, 8 << 40)


def _png_header_only(path: Path, w: int, h: int) -> Path:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))
    return path


def test_decompression_bomb_is_named_and_skippable(tmp_path):
    bomb = _png_header_only(tmp_path / "bomb.png", 30000, 30000)
    assert bomb.stat().st_size < 100
    good = tmp_path / "good.png"
    Image.fromarray(images(1)[0]).save(good)
    with pytest.raises(DatasetError, match="bomb.png: refused as a decompression bomb"):
        read_images([good, bomb])
    X, kept, bad = read_images([good, bomb], skip_bad=True)
    assert kept == [good] and bad[0][0] == bomb and "decompression bomb" in bad[0][1]


def test_fork_after_a_context_coder_does_not_hang():
    code = textwrap.dedent(
        """
        import multiprocessing as mp
        import numpy as np
        from ncdvision.ncd import pairwise
        X = np.random.default_rng(0).integers(0, 256, (6, 8, 8), dtype=np.uint8)
        def f(i):
            return float(pairwise(X[:2], X, codec="ctx-ref", serializer="binary").sum())
        if __name__ == "__main__":
            first = f(0)
            with mp.get_context("fork").Pool(2) as pool:
                assert pool.map(f, [0, 1]) == [first, first]
            print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_bench_progress_never_replaces_finished_results(tmp_path):
    # the bench scripts' helpers, run as the scripts run them (from bench/, in a subprocess)
    code = textwrap.dedent(
        f"""
        import _common
        from pathlib import Path
        _common.RESULTS = Path({str(tmp_path)!r})
        _common.write_json("acc", {{"rows": [{{"a": 1}}, {{"a": 2}}]}})
        _common.write_json("acc", {{"rows": [{{"a": 3}}]}}, partial=True)  # a run in progress
        assert _common.read_rows("acc") == [{{"a": 3}}]  # what --resume continues from
        assert '"a": 2' in (_common.RESULTS / "acc.json").read_text()
        _common.write_json("acc", {{"rows": [{{"a": 3}}, {{"a": 4}}]}})
        assert not (_common.RESULTS / "acc.partial.json").exists()
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT / "bench", timeout=120)  # fmt: skip
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


# ------------------------------------------------------------- clear errors at the right time


@pytest.mark.parametrize("case", ["folder", "parent is a file", "no permission"])
def test_output_paths_are_checked_before_computing(tmp_path, monkeypatch, capsys, case):
    train = write_image_folder(tmp_path / "train", size=(8, 8))
    test = write_image_folder(tmp_path / "t", classes=("x",), size=(8, 8)) / "x"
    (tmp_path / "file").write_text("")
    out = {"folder": tmp_path, "parent is a file": tmp_path / "file" / "s.csv",
           "no permission": tmp_path / "ro" / "s.csv"}[case]  # fmt: skip
    if case == "no permission":  # tests run as root, who may write anywhere: ask os.access
        (tmp_path / "ro").mkdir()
        monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != tmp_path / "ro")

    def must_not_run(*a, **k):
        raise AssertionError("computed before checking --out")

    monkeypatch.setattr(NCDKNNClassifier, "fit", must_not_run)
    assert main(["baseline", "--train", str(train), "--test", str(test), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(out) in err and {"folder": "is a folder", "parent is a file": "is a file",
                                "no permission": "no permission"}[case] in err  # fmt: skip


def test_unread_files_are_reported_and_bad_names_refused(tmp_path):
    from ncdvision.ncd.jobs import baseline

    train = write_image_folder(tmp_path / "train", size=(8, 8))
    test = write_image_folder(tmp_path / "t", classes=("x",), size=(8, 8)) / "x"
    (test / ".hidden.png").write_bytes(b"")
    (test / "notes.txt").write_text("")
    res = baseline(train, test, tmp_path / "s.csv", codec="zlib", k=1)
    reasons = {Path(p).name: why.split(" (")[0] for p, why in res["ignored"]}
    assert reasons == {".hidden.png": "hidden", "notes.txt": "not an image suffix"}
    bad = os.path.join(os.fsencode(test), b"bad\xff.png")
    with open(bad, "wb") as fh:
        fh.write(b"")
    with pytest.raises(DatasetError, match=r"bad\\xff.png: the file name is not valid UTF-8"):
        baseline(train, test, tmp_path / "s.csv", codec="zlib", k=1)


def test_written_files_respect_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = atomic_write(tmp_path / "r.json", lambda fh: fh.write("{}"))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


@pytest.mark.parametrize(
    "spec", ["png:99", "webp:99", "jpegxl:11", "ctx:5", "ctx-ref:garbage", "zstd:"]
)
def test_codec_suffixes_are_validated(spec):
    with pytest.raises(ValueError, match=spec.split(":")[0]):
        get_codec(spec)


def test_max_matrix_bytes_units(monkeypatch):
    monkeypatch.setenv("NCDVISION_MAX_MATRIX_BYTES", "4G")
    assert max_matrix_bytes() == 4 << 30
    monkeypatch.setenv("NCDVISION_MAX_MATRIX_BYTES", "512MiB")
    assert max_matrix_bytes() == 512 << 20
    monkeypatch.setenv("NCDVISION_MAX_MATRIX_BYTES", "lots")
    with pytest.raises(ValueError, match="NCDVISION_MAX_MATRIX_BYTES='lots'"):
        pairwise(images(2), codec="zlib")


def test_jpeg_exif_orientation_is_applied(tmp_path):
    img = np.zeros((8, 16), np.uint8)
    img[:, :4] = 255
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to display"
    Image.fromarray(img).save(tmp_path / "r.jpg", exif=exif, quality=95)
    X, _, _ = read_images([tmp_path / "r.jpg"])
    assert X.shape == (1, 16, 8) and X[0, :4].mean() > 200 and X[0, -4:].mean() < 50


def test_files_of_the_wrong_kind_say_what_they_should_hold(tmp_path):
    np.savez(tmp_path / "flat.npz", images=images(3).reshape(3, -1), labels=np.arange(3))
    with pytest.raises(DatasetError, match=r"flat.npz: `images` has shape \(3, 64\); expected"):
        load(tmp_path / "flat.npz")
    np.save(tmp_path / "arr.npy", images(3))
    os.rename(tmp_path / "arr.npy", tmp_path / "arr.npz")
    with pytest.raises(DatasetError, match="arr.npz: is a single .npy array, not an .npz archive"):
        load(tmp_path / "arr.npz")
    root = write_cifar10(tmp_path / "cifar")
    with open(root / "data_batch_2", "wb") as fh:
        pickle.dump([1, 2, 3], fh)
    with pytest.raises(DatasetError, match="data_batch_2: expected a CIFAR batch, a dict"):
        load(root)
