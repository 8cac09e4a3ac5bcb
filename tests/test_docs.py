"""The manual builds without a warning (numpydoc validates every documented docstring), its
API reference covers every public name, and the product speaks of itself only (no development
history)."""

import importlib
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HISTORY = re.compile(r"\b[Ss]ession \d|\b[Ss]cratch\b|\bcommit [0-9a-f]{7,40}\b")


def test_docs_build_without_warnings(tmp_path):
    res = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "docs",
         str(tmp_path / "html")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    pages = {p.name for p in (tmp_path / "html" / "api" / "generated").glob("*.html")}
    for mod in ("ncdvision.ncd", "ncdvision.datasets"):
        missing = [
            n for n in importlib.import_module(mod).__all__ if f"{mod}.{n}.html" not in pages
        ]
        assert not missing, f"{mod}: no API page for {missing}"
    for sub in ("pixelcnn", "coding", "lossless", "entropy", "bottleneck", "features", "cnn",
                "train"):  # fmt: skip
        mod = f"ncdvision.neural.{sub}"
        page = (tmp_path / "html" / "api" / "generated" / f"{mod}.html").read_text()
        missing = [n for n in importlib.import_module(mod).__all__ if f'id="{mod}.{n}"' not in page]
        assert not missing, f"{mod}: not documented on its page: {missing}"
    assert (tmp_path / "html" / "auto_examples" / "plot_distance_matrix.html").exists()


def test_the_product_carries_no_development_history():
    files = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md"), *(ROOT / "docs").rglob("*.py")]
    for folder in ("ncd", "datasets", "neural"):
        files += (ROOT / folder).rglob("*.py")
    found = []
    for f in files:
        rel = f.relative_to(ROOT).as_posix()
        if "/_build/" in rel or "auto_examples" in rel or "_generated" in rel:
            continue
        for i, line in enumerate(f.read_text().splitlines(), 1):
            if HISTORY.search(line):
                found.append(f"{rel}:{i}: {line.strip()[:80]}")
    assert not found, "\n".join(found)


def test_docstring_examples_print_what_they_show():
    import doctest

    import ncdvision.datasets
    import ncdvision.datasets.core
    import ncdvision.datasets.corrupt
    import ncdvision.datasets.glyphs
    import ncdvision.ncd.coder
    import ncdvision.ncd.distance
    import ncdvision.ncd.filter.rules
    import ncdvision.ncd.params
    import ncdvision.ncd.plugins
    import ncdvision.ncd.search
    import ncdvision.ncd.validation

    modules = (ncdvision.datasets, ncdvision.datasets.core, ncdvision.datasets.corrupt,
               importlib.import_module("ncdvision.datasets.glyphs"),  # the function shadows it
               ncdvision.ncd.coder, ncdvision.ncd.distance, ncdvision.ncd.filter.rules,
               ncdvision.ncd.params, ncdvision.ncd.plugins, ncdvision.ncd.search,
               ncdvision.ncd.validation)  # fmt: skip
    for module in modules:
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_the_manuals_examples_print_what_they_show():
    """Every ``>>>`` block of the manual's pages runs; blocks the README also has run there."""
    import doctest

    readme = set(re.findall(r"```python\n(.*?)\n```", (ROOT / "README.md").read_text(), re.S))
    ran = 0
    for page in sorted((ROOT / "docs").rglob("*.md")):
        if "_generated" in page.parts:
            continue
        for i, block in enumerate(re.findall(r"```python\n(.*?)\n```", page.read_text(), re.S)):
            if not block.startswith(">>>") or block in readme:
                continue
            name = f"{page.relative_to(ROOT)} block {i}"
            test = doctest.DocTestParser().get_doctest(block, {}, name, str(page), 0)
            runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
            runner.run(test)
            assert runner.failures == 0, name
            ran += 1
    assert ran > 0
