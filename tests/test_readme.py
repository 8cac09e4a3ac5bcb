import doctest
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command():
    blocks = re.findall(r"```bash\n(.*?)\n```", (ROOT / "README.md").read_text(), re.S)
    assert len(blocks) >= 2
    assert blocks[1].strip() in (ROOT / ".ci" / "run").read_text()


def test_readme_examples_print_what_they_show():
    blocks = re.findall(r"```python\n(.*?)\n```", (ROOT / "README.md").read_text(), re.S)
    examples = [b for b in blocks if b.lstrip().startswith(">>>")]
    assert examples, "the README's Python examples are doctests"
    for i, block in enumerate(examples):
        test = doctest.DocTestParser().get_doctest(block, {}, f"README block {i}", "README.md", 0)
        runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
        runner.run(test)
        assert runner.summarize(verbose=False).failed == 0


def test_the_headline_table_is_the_one_the_bench_results_give():
    import subprocess
    import sys

    text = (ROOT / "README.md").read_text()
    table = re.search(r"<!-- headline: .*? -->\n(.*?)\n<!-- /headline -->", text, re.S).group(1)
    made = subprocess.run([sys.executable, "bench/tables.py", "headline"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    assert table.strip() == made


def test_readme_is_short():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 200
