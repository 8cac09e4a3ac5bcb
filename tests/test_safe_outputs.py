"""Outputs never touch inputs, streams are written in place, a run's outputs are one set, and
interruptions (SIGTERM, a full disk) leave nothing half-written."""

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import write_image_folder
from ncdvision.ncd.cli import main
from ncdvision.ncd.outdir import MARKER, OutputFolder
from ncdvision.ncd.output import OutputError, preallocate, temp_beside

CLI = [sys.executable, "-m", "ncdvision.ncd.cli"]
rng = np.random.default_rng(0)


def npz(path: Path, n: int = 20, size: int = 8) -> Path:
    images = rng.integers(0, 256, (n, size, size), dtype=np.uint8)
    np.savez(path, images=images, labels=np.arange(n) % 2)
    return path


def tree(root: Path) -> dict:
    """Every file under ``root`` with its bytes: what must stay unchanged."""
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ inputs are never written


def test_second_filter_pass_refuses_an_input_inside_its_output(tmp_path, capsys):
    # the probe: a cleaned copy, an image added to it, then filtered again into the same --out
    clean = tmp_path / "iter" / "clean"
    write_image_folder(clean / "dataset", classes=("c1", "c3"), n=6)
    before = tree(clean)
    assert main(["filter", str(clean / "dataset"), "--out", str(clean)]) == 2
    assert "holds the input" in capsys.readouterr().err
    assert tree(clean) == before


def test_classify_out_inside_an_input_class_folder_is_refused(tmp_path, capsys):
    data = write_image_folder(tmp_path / "data", n=6)
    before = tree(data)
    assert main(["classify", "--dataset", str(data), "--out", str(data / "cat")]) == 2
    assert "lies inside the input folder" in capsys.readouterr().err
    assert tree(data) == before


def test_out_equal_to_an_input_file_or_a_hard_link_to_it_is_refused(tmp_path, capsys):
    x = npz(tmp_path / "x.npz")
    before = x.read_bytes()
    assert main(["distances", str(x), "--codec", "zlib", "--out", str(x)]) == 2
    os.link(x, tmp_path / "link.npy")
    assert main(["distances", str(x), "--codec", "zlib", "--out", str(tmp_path / "link.npy")]) == 2
    err = capsys.readouterr().err
    assert "x.npz: is the input" in err and "link.npy: is a hard link to the input" in err
    assert x.read_bytes() == before


def test_baseline_out_inside_the_test_folder_is_refused(tmp_path, capsys):
    train = write_image_folder(tmp_path / "train", n=4)
    test = tmp_path / "test"
    test.mkdir()
    (train / "cat" / "cat0.png").rename(test / "a.png")
    before = tree(test)
    assert main(["baseline", "--train", str(train), "--test", str(test),
                 "--out", str(test / "a.png")]) == 2  # fmt: skip
    assert "a.png: lies inside the input folder" in capsys.readouterr().err
    assert tree(test) == before


# ------------------------------------------------------------------------------- streams


def test_out_dev_stdout_appends_to_a_redirected_log(tmp_path):
    x = npz(tmp_path / "x.npz")
    log = tmp_path / "app.log"
    log.write_bytes(b"earlier line\n")
    cmd = " ".join([*CLI, "distances", str(x), "--codec", "zlib", "--out", "/dev/stdout"])
    subprocess.run(f"{cmd} >> {log}", shell=True, check=True, cwd=tmp_path)
    data = log.read_bytes()
    assert data.startswith(b"earlier line\n")
    D = np.load(io.BytesIO(data.removeprefix(b"earlier line\n")), allow_pickle=False)
    assert D.shape == (20, 20)


def test_out_dev_stdout_to_a_pipe_gives_the_matrix(tmp_path):
    x = npz(tmp_path / "x.npz")
    res = subprocess.run([*CLI, "distances", str(x), "--codec", "zlib", "--out", "/dev/stdout"],
                         capture_output=True, check=True)  # fmt: skip
    D = np.load(io.BytesIO(res.stdout), allow_pickle=False)
    assert D.shape == (20, 20) and D.dtype == np.float32


# ------------------------------------------------------------------------ output folders


def test_output_folder_swaps_in_one_set_and_keeps_its_cache(tmp_path):
    out = tmp_path / "out"
    with OutputFolder(out, keep=(".cache",)) as f:
        (f.stage / "report.json").write_text("1")
        (f.stage / "plot.png").write_text("1")
    (out / ".cache").mkdir()
    (out / ".cache" / "cell.npz").write_text("c")
    with OutputFolder(out, keep=(".cache",)) as f:
        (f.stage / "report.json").write_text("2")
    assert sorted(p.name for p in out.iterdir()) == [".cache", MARKER, "report.json"]
    assert (out / "report.json").read_text() == "2" and (out / ".cache" / "cell.npz").exists()
    assert [p.name for p in tmp_path.iterdir() if ".ncdvision-partial" in p.name] == []


def test_an_interrupted_run_leaves_the_previous_set_whole(tmp_path):
    out = tmp_path / "out"
    with OutputFolder(out) as f:
        (f.stage / "report.json").write_text("old")
        (f.stage / "confusion.png").write_text("old")
    with pytest.raises(OSError, match="No space left"):
        with OutputFolder(out) as f:
            (f.stage / "report.json").write_text("new")
            raise OSError(28, "No space left on device")  # the disk filled mid-run
    assert {p.name: p.read_text() for p in out.iterdir() if p.name != MARKER} == {
        "report.json": "old", "confusion.png": "old"}  # fmt: skip


def test_a_run_killed_between_its_two_renames_gets_its_folder_back(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    moved = tmp_path / f".out.ncdvision-old-{dead}.x1" / "out"
    moved.mkdir(parents=True)
    (moved / "report.json").write_text("previous")
    (moved / MARKER).write_text('{"files": ["report.json"]}')
    folder = OutputFolder(tmp_path / "out")
    assert (folder.out / "report.json").read_text() == "previous"


def test_output_folder_refuses_files_it_did_not_write(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("a user's file")
    with pytest.raises(OutputError, match="was not written by ncdvision.*notes.txt"):
        OutputFolder(mine)
    out = tmp_path / "out"
    with OutputFolder(out) as f:
        (f.stage / "dataset" / "c3").mkdir(parents=True)
    (out / "dataset" / "c3" / "added.png").write_bytes(b"only copy")
    with pytest.raises(OutputError, match="no ncdvision run wrote.*added.png"):
        OutputFolder(out)
    assert (out / "dataset" / "c3" / "added.png").read_bytes() == b"only copy"


def test_an_earlier_versions_output_of_the_same_command_is_replaced(tmp_path):
    old = tmp_path / "ncdvision-out"
    old.mkdir()
    for name in ("report.json", "predictions.csv", "confusion.png"):
        (old / name).write_text("old")
    with OutputFolder(old, known=("report.json", "predictions.csv", "confusion.png")) as f:
        (f.stage / "report.json").write_text("new")
    assert (old / "report.json").read_text() == "new"
    (old / "notes.txt").write_text("mine")
    (old / MARKER).unlink()
    with pytest.raises(OutputError, match="notes.txt"):
        OutputFolder(old, known=("report.json",))


def test_a_second_concurrent_run_on_one_folder_is_refused(tmp_path):
    out = tmp_path / "out"
    with OutputFolder(out):
        script = ("from ncdvision.ncd.outdir import OutputFolder\n"
                  f"with OutputFolder({str(out)!r}): pass\n")  # fmt: skip
        res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert res.returncode != 0 and "another ncdvision run is writing" in res.stderr


# ------------------------------------------------------------------ signals and full disks


def test_stale_temp_files_of_a_dead_process_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    stale = tmp_path / f".D.npy.ncdvision-{dead}.abc123.npy"
    stale.write_bytes(b"x" * 100)
    users = tmp_path / f".D.npy.{dead}.backup"  # a name that is not ours stays
    users.write_bytes(b"mine")
    with temp_beside(tmp_path / "D.npy", suffix=".npy") as tmp:
        tmp.write_bytes(b"new")
    assert not stale.exists() and (tmp_path / "D.npy").read_bytes() == b"new"
    assert users.read_bytes() == b"mine"


def test_sigterm_removes_the_temp_matrix(tmp_path):
    x = tmp_path / "x.npz"
    np.savez(x, images=rng.integers(0, 256, (600, 28, 28), dtype=np.uint8),
             labels=np.arange(600) % 2)  # fmt: skip
    proc = subprocess.Popen([*CLI, "distances", str(x), "--codec", "lzma", "--out",
                             str(tmp_path / "D.npy")], stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".D.npy.*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(tmp_path.glob(".D.npy.*")), "the temp matrix never appeared"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    assert list(tmp_path.glob(".D.npy*")) == [] and not (tmp_path / "D.npy").exists()


@pytest.fixture
def tiny_disk(tmp_path):
    """A 1 MiB tmpfs: a full disk without filling the real one."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)],
                         capture_output=True, text=True)  # fmt: skip
    if res.returncode != 0:
        pytest.skip(f"mounting a tmpfs needs root (CI runs as root): {res.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", str(mnt)], check=True)


def test_a_full_disk_is_an_error_before_the_work(tiny_disk, tmp_path, capsys):
    f = tiny_disk / "D.npy"
    f.write_bytes(b"")
    with pytest.raises(OutputError, match="D.npy: the disk is full"):
        preallocate(f, 4 << 20)
    x = tmp_path / "x.npz"
    np.savez(x, images=rng.integers(0, 256, (600, 8, 8), dtype=np.uint8), labels=np.zeros(600, int))
    assert main(["distances", str(x), "--codec", "zlib", "--out", str(tiny_disk / "M.npy")]) == 2
    assert "free" in capsys.readouterr().err
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["D.npy"]
