"""The review page shows every flag with its evidence; decisions made on it, in a real browser
with the keyboard, become the cleaned dataset through `ncdvision filter apply`."""

import csv
import hashlib
import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ncdvision.datasets import corrupt_labels, load
from ncdvision.ncd.cli import main
from ncdvision.ncd.filter import apply_decisions, filter_dataset


def digits_folder(root: Path, n: int = 300, noise: float = 0.15) -> tuple[Path, np.ndarray]:
    """An ImageFolder of digits with some labels moved to a wrong class folder."""
    ds = load("digits").subset(n=n, seed=0)
    noisy, flipped = corrupt_labels(ds, noise, seed=0)
    for i, (img, y) in enumerate(zip(noisy.images, noisy.labels, strict=True)):
        (root / noisy.class_names[y]).mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(root / noisy.class_names[y] / f"{i:04d}.png")
    return root, flipped


def tree_hash(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode() + p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    base = tmp_path_factory.mktemp("review")
    data, _ = digits_folder(base / "data")
    filter_dataset(data, base / "report", dry_run=True, progress=False)
    return base, data, base / "report"


def page_data(report_dir: Path) -> dict:
    html = (report_dir / "review.html").read_text()
    blob = html.split('<script type="application/json" id="data">')[1].split("</script>")[0]
    return json.loads(blob.replace("<\\/", "</"))


def test_the_page_holds_every_flag_with_its_evidence(report):
    _, _, out = report
    summary = json.loads((out / "summary.json").read_text())
    data = page_data(out)
    assert len(data["cards"]) == summary["n_flagged"] > 0
    labelled = [c for c in data["cards"] if "label" in c["r"]]
    assert labelled and all(len(c["nb"]) == 8 for c in labelled)
    shown = {c["i"] for c in data["cards"]} | {j for c in labelled for j, _ in c["nb"]}
    assert {int(p.stem) for p in (out / "thumbs").glob("*.png")} == shown
    assert "http" not in (out / "review.html").read_text().replace("http-equiv", "")


def test_apply_writes_the_decisions_and_refuses_bad_rows(report, tmp_path):
    base, data, out = report
    flagged = page_data(out)["cards"]
    c_remove, c_relabel = flagged[0], flagged[1]
    names = load(data).class_names
    decisions = tmp_path / "decisions.csv"
    rows = [["index", "file", "decision", "label"],
            [c_remove["i"], c_remove["f"], "remove", ""],
            [c_relabel["i"], c_relabel["f"], "relabel", names[(c_relabel["y"] + 1) % 10]]]  # fmt: skip
    with open(decisions, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    before = tree_hash(data)
    res = apply_decisions(out, decisions, tmp_path / "clean")
    assert (res["n_kept"], res["n_relabelled"]) == (299, 1)
    written = sorted(p.relative_to(tmp_path / "clean" / "dataset").as_posix()
                     for p in (tmp_path / "clean" / "dataset").rglob("*.png"))  # fmt: skip
    assert c_remove["f"] not in written and len(written) == 299
    moved = (
        f"{names[(c_relabel['y'] + 1) % 10]}/{names[c_relabel['y']]}__{Path(c_relabel['f']).name}"
    )
    assert moved in written
    # editing the cleaned copy leaves the input as it was
    Image.new("L", (8, 8), 255).save(tmp_path / "clean" / "dataset" / written[0])
    assert tree_hash(data) == before
    bad = tmp_path / "bad.csv"
    for row, match in [
        (["9999", "", "remove", ""], "line 2: index 9999 is not an image"),
        ([str(c_remove["i"]), "", "delete", ""], "line 2: decision 'delete'"),
        ([str(c_remove["i"]), "", "relabel", "cat"], "line 2: relabel to 'cat'"),
    ]:
        bad.write_text("index,file,decision,label\n" + ",".join(row) + "\n")
        with pytest.raises(ValueError, match=match):
            apply_decisions(out, bad, tmp_path / "never")
    bad.write_text(
        f"index,file,decision,label\n{c_remove['i']},,remove,\n{c_remove['i']},,keep,x\n"
    )
    with pytest.raises(ValueError, match="line 3: index .* is decided otherwise on line 2"):
        apply_decisions(out, bad, tmp_path / "never")
    assert not (tmp_path / "never").exists()


def test_apply_refuses_a_dataset_that_changed_since_the_report(tmp_path, capsys):
    data, _ = digits_folder(tmp_path / "data", n=60)
    assert main(["filter", str(data), "--out", str(tmp_path / "r"), "--dry-run",
                 "--issues", "duplicate"]) == 0  # fmt: skip
    (tmp_path / "d.csv").write_text("index,file,decision,label\n0,,remove,\n")
    first = sorted((data).rglob("*.png"))[0]
    Image.new("L", (8, 8), 0).save(first)  # the dataset changes after the review
    argv = ["filter", "apply", str(tmp_path / "r"), "--decisions", str(tmp_path / "d.csv"),
            "--out", str(tmp_path / "clean")]  # fmt: skip
    assert main(argv) == 2
    assert "changed since the report" in capsys.readouterr().err


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'profile'}"):  # fmt: skip
        opts.add_argument(flag)
    opts.add_experimental_option("prefs", {"download.default_directory": str(tmp_path / "dl")})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)
    yield driver
    driver.quit()


def test_keyboard_decisions_export_and_apply_in_a_real_browser(report, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _, data, out = report
    browser.get((out / "review.html").as_uri())
    cards = browser.find_elements(By.CSS_SELECTOR, ".card")
    assert cards, "the first cards are drawn"
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("j")  # focus the first card
    body.send_keys("r")  # remove it, then the next one has focus
    body.send_keys("k")  # keep the second
    body.send_keys("3")  # relabel the third to class 3
    states = [c.find_element(By.CSS_SELECTOR, ".state").text for c in cards[:4]]
    assert states == ["remove", "keep", f"relabel \u2192 {load(data).class_names[3]}", "undecided"]
    browser.find_element(By.ID, "export").click()
    exported = tmp_path / "dl" / "decisions.csv"
    deadline = time.monotonic() + 20
    while not exported.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    rows = list(csv.DictReader(open(exported)))
    assert [r["decision"] for r in rows] == ["remove", "keep", "relabel"]
    assert main(["filter", "apply", str(out), "--decisions", str(exported), "--out",
                 str(tmp_path / "clean")]) == 0  # fmt: skip
    written = {p.relative_to(tmp_path / "clean" / "dataset").as_posix()
               for p in (tmp_path / "clean" / "dataset").rglob("*.png")}  # fmt: skip
    assert rows[0]["file"] not in written and rows[1]["file"] in written
    relabelled = f"{load(data).class_names[3]}/"
    assert any(w.startswith(relabelled) and w.endswith(Path(rows[2]["file"]).name) for w in written)
    # decisions persist in the browser: a reload shows them again (the page restores them
    # after it has drawn the cards, so the state is awaited, up to 10 s). Chromium commits a
    # page's localStorage writes to its storage asynchronously, and a reload that comes first
    # reads the older state, so the reload waits until a fresh page sees the decisions.
    assert committed(browser, (out / "review.html").as_uri(), f'"{rows[0]["index"]}"')
    browser.refresh()
    assert shows(browser, 0, "remove")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.ARROW_DOWN, "u")
    assert shows(browser, 0, "undecided")


def committed(browser, url: str, text: str) -> bool:
    """Whether a fresh page at ``url``, reloaded for up to 10 s, finds ``text`` in its
    localStorage (what the browser's storage holds, not one page's cached view)."""
    main_window = browser.current_window_handle
    browser.switch_to.new_window("tab")
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            browser.get(url)
            if text in browser.execute_script("return Object.values(localStorage).join()"):
                return True
            time.sleep(0.2)
        return False
    finally:
        browser.close()
        browser.switch_to.window(main_window)


def shows(browser, card: int, state: str) -> bool:
    """Whether the ``card``-th card shows ``state`` within 20 s. The card is looked up at
    every poll: the page may redraw its cards while it restores the saved decisions, and a
    busy machine (the whole suite on 2 cores) can take seconds to do so."""
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def state_now(_) -> bool:
        cards = browser.find_elements(By.CSS_SELECTOR, ".card")
        return (
            len(cards) > card and cards[card].find_element(By.CSS_SELECTOR, ".state").text == state
        )

    try:
        wait = WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,))
        wait.until(state_now)
        return True
    except TimeoutException:
        return False


def test_a_flat_folder_is_an_unlabelled_dataset_everywhere_images_suffice(tmp_path, capsys):
    flat = tmp_path / "test"
    flat.mkdir()
    digits = load("digits")
    for i, img in enumerate(digits.images[:12]):
        Image.fromarray(img).save(flat / f"{i:02d}.png")
    ds = load(flat)
    assert not ds.labelled and ds.class_names == () and set(ds.labels) == {-1}
    with pytest.raises(ValueError, match="needs labels, and these images have none"):
        ds.split(test_size=3)
    assert main(["datasets", "info", str(flat)]) == 0
    assert "labels      none" in capsys.readouterr().out
    assert main(["distances", str(flat), "--codec", "zlib", "--out", str(tmp_path / "D.npy")]) == 0
    assert np.load(tmp_path / "D.npy").shape == (12, 12)
    train, _ = digits_folder(tmp_path / "train", n=300)
    Image.fromarray(digits.images[1]).save(train / "1" / "leaked.png")  # a test image, copied
    assert main(["filter", str(train), "--out", str(tmp_path / "r"), "--dry-run", "--issues",
                 "duplicate", "--against", str(flat)]) == 0  # fmt: skip
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["by_reason"]["leak"] >= 1
