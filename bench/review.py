"""The review page at the size of a real set: fashion-mnist-10k's own labels.

python bench/review.py                 # filter (cached stages are reused), then the browser

Runs ``ncdvision filter fashion-mnist-10k --dry-run`` into ``bench/results/review-work``
(kept, so a rerun reuses its cached stages), opens its ``review.html`` in headless Chromium
through chromium-driver, and measures the time until the first card is drawn, then scrolls
card by card to the end and checks that every thumbnail loaded. Writes
``bench/results/review-fashion-mnist-10k.json`` with the page's and thumbnails' sizes, and a
screenshot, ``bench/results/review-fashion-mnist-10k.png``, for the docs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time

from _common import RESULTS, machine


def _driver(profile: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1280,1000",
                 f"--user-data-dir={profile}"):  # fmt: skip
        opts.add_argument(flag)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)


def main() -> None:
    from selenium.webdriver.common.by import By

    work = RESULTS / "review-work"
    t = time.perf_counter()
    if not (work / "review.html").exists():
        subprocess.run([sys.executable, "-m", "ncdvision.ncd.cli", "filter", "fashion-mnist-10k",
                        "--out", str(work), "--dry-run"], check=True)  # fmt: skip
    filter_s = time.perf_counter() - t
    page = work / "review.html"
    thumbs = list((work / "thumbs").glob("*.png"))
    with tempfile.TemporaryDirectory() as profile:
        driver = _driver(profile)
        try:
            t = time.perf_counter()
            driver.get(page.as_uri())
            driver.find_element(By.CSS_SELECTOR, ".card")
            first_card_s = time.perf_counter() - t
            n_cards = driver.execute_script("return D.cards.length")
            driver.save_screenshot(str(RESULTS / "review-fashion-mnist-10k.png"))
            t = time.perf_counter()
            body = driver.find_element(By.TAG_NAME, "body")
            for _ in range(n_cards):  # the keyboard walks every card, drawing and showing it
                body.send_keys("j")
            deadline = time.monotonic() + 120
            script = ("return [...document.images].filter(i => !(i.complete && "
                      "i.naturalWidth > 0)).length")  # fmt: skip
            while (pending := driver.execute_script(script)) and time.monotonic() < deadline:
                driver.execute_script("window.scrollBy(0, 400)")
                time.sleep(0.05)
            scroll_s = time.perf_counter() - t
            drawn = driver.execute_script("return document.querySelectorAll('.card').length")
            images = driver.execute_script("return document.images.length")
        finally:
            driver.quit()
    result = {
        "machine": machine(),
        "dataset": "fashion-mnist-10k (its own labels, nothing planted)",
        "filter_s": filter_s,
        "cards": n_cards,
        "cards_drawn_after_walking": drawn,
        "images_on_page": images,
        "images_not_loaded": pending,
        "first_card_s": first_card_s,
        "walk_and_load_s": scroll_s,
        "review_html_bytes": page.stat().st_size,
        "thumbs": len(thumbs),
        "thumbs_bytes": sum(p.stat().st_size for p in thumbs),
    }
    (RESULTS / "review-fashion-mnist-10k.json").write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "machine"}, indent=2))


if __name__ == "__main__":
    main()
