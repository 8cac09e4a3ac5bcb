"""Sphinx configuration of the ncdvision manual (``sphinx-build -b html docs docs/_build/html``)."""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

project = "ncdvision"
author = "The ncdvision developers"
copyright = "2026, The ncdvision developers"
try:
    release = _version("ncdvision")
except PackageNotFoundError:
    release = "unknown"


def _constants() -> list[str]:
    """Patterns of the module constants among the documented names."""
    import importlib
    import inspect
    import re

    out = []
    for mod in (
        "ncdvision.ncd",
        "ncdvision.ncd.filter",
        "ncdvision.datasets",
        "ncdvision.datasets.synthetic",
        "ncdvision.neural.coding",
    ):
        m = importlib.import_module(mod)
        for n in m.__all__:
            if not (
                inspect.isclass(obj := getattr(m, n)) or callable(obj) or inspect.ismodule(obj)
            ):
                out.append(re.escape(f"{mod}.{n}") + "$")
    return out


extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = [
    "_build",
    "examples",
    "results/_generated",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.md5",
    "sg_execution_times.rst",
]
myst_heading_anchors = 3
myst_enable_extensions = ["dollarmath"]
suppress_warnings = ["myst.xref_missing"]

autosummary_generate = True
# The neural submodules' pages list what their __all__ exports, not what they import.
autosummary_ignore_module_all = False
autodoc_typehints = "none"
numpydoc_show_class_members = False
# Every documented function, class and method has a summary, Parameters and Returns. Module
# constants are documented by their ``#:`` comments, which numpydoc does not read, and a
# constructor's parameters are in its class's docstring (numpydoc's convention).
numpydoc_validation_checks = {"PR01", "PR02", "PR07", "RT01", "GL08", "SS01"}
numpydoc_validation_exclude = {r"\.__init__$", *_constants()}
autodoc_default_options = {
    "members": True,
    "inherited-members": False,
    # scikit-learn's metadata-routing setters, generated per estimator, refer to its own glossary
    "exclude-members": "set_fit_request,set_predict_request,set_score_request",
}

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
}

html_theme = "pydata_sphinx_theme"
templates_path = ["_templates"]  # a class page: its docstring, then each public method in full
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_title = f"ncdvision {release}"
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}


def _write_api_pages() -> None:
    """``api/*.rst``: one autosummary entry for every name in the ``__all__`` of
    ``ncdvision.ncd`` and ``ncdvision.datasets``, and the public modules of
    ``ncdvision.neural``; generated at each build so the reference never falls behind."""
    import importlib
    from pathlib import Path

    def page(title: str, intro: str, current: str | None, entries: list[str]) -> str:
        lines = [title, "=" * len(title), "", intro, ""]
        if current:
            lines += [f".. currentmodule:: {current}", ""]
        lines += [".. autosummary::", "   :toctree: generated", ""]
        return "\n".join(lines + [f"   {e}" for e in entries] + [""])

    pages = {
        "index": "API reference\n=============\n\n.. toctree::\n\n   ncd\n   filter\n   datasets\n   neural\n"
    }
    for mod in ("ncdvision.ncd", "ncdvision.ncd.filter", "ncdvision.datasets"):
        names = sorted(importlib.import_module(mod).__all__, key=str.lower)
        pages[mod.split(".")[-1]] = page(
            f"``{mod}``", f"Every name in ``{mod}.__all__``.", mod, names
        )
    neural = ["pixelcnn", "coding", "lossless", "refcodec", "entropy", "bottleneck", "features",
              "cnn", "train"]  # fmt: skip
    pages["neural"] = page(
        "``ncdvision.neural``",
        "Needs the ``[neural]`` extra.",
        None,
        [f"ncdvision.neural.{m}" for m in neural],
    )
    folder = Path(__file__).parent / "api"
    folder.mkdir(exist_ok=True)  # its pages are generated, so a fresh clone has no folder
    for name, text in pages.items():
        target = folder / f"{name}.rst"
        if not target.exists() or target.read_text() != text:
            target.write_text(text)


_write_api_pages()


def _write_result_tables() -> None:
    """``results/_generated/*.md``: every results table, made from ``bench/results/*.json``
    by ``bench/tables.py`` at each build, never copied by hand."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    subprocess.run(
        [
            sys.executable,
            str(root / "bench" / "tables.py"),
            "--write",
            str(root / "docs" / "results" / "_generated"),
        ],
        check=True,
        cwd=root,
    )


_write_result_tables()
