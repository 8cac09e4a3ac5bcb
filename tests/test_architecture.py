"""The package's shape: no import cycle, no private name imported across modules, the
layering datasets <- ncd <- neural, and modules of a readable size."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"datasets": "ncdvision.datasets", "ncd": "ncdvision.ncd", "neural": "ncdvision.neural"}
LAYER = {"ncdvision.datasets": 0, "ncdvision.ncd": 1, "ncdvision.neural": 2}
MAX_LINES = 400


def modules() -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, is a package's __init__)."""
    out = {}
    for folder, package in PACKAGES.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = [p for p in path.relative_to(ROOT / folder).with_suffix("").parts
                     if p != "__init__"]  # fmt: skip
            out[".".join([package, *parts])] = (path, path.name == "__init__.py")
    return out


def imports(name: str, path: Path, is_package: bool, known: dict):
    """(target module, imported names) for every import in a module, at any depth: a lazy
    import inside a function closes a cycle as surely as one at the top."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")[: None if is_package else -1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [a.name for a in node.names]
            # `from package import submodule` depends on the submodule, not on the package's
            # __init__ (which is already being imported)
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in known]
            yield from ((s, []) for s in subs)
            rest = [n for n in names if f"{target}.{n}" not in known]
            if rest or not subs:
                yield target, rest


def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {m: set() for m in known}
    for name, (path, is_package) in known.items():
        for target, _ in imports(name, path, is_package, known):
            if target in known and target != name:
                edges[name].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in edges:
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_between_modules():
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_layers_import_only_downwards():
    # datasets <- ncd <- neural: a lower layer never imports a higher one
    def layer(module: str) -> int:
        return next(v for k, v in LAYER.items() if module == k or module.startswith(k + "."))

    wrong = [(m, t) for m, ts in graph().items() for t in ts if layer(t) > layer(m)]
    assert wrong == []


def test_no_private_name_is_imported_across_modules():
    known = modules()
    private = []
    for name, (path, is_package) in known.items():
        for target, names in imports(name, path, is_package, known):
            if target.startswith("ncdvision") and target != name:
                private += [f"{name}: {target}.{n}" for n in names if n.startswith("_")]
    assert private == []


def test_modules_are_a_readable_size():
    long = {str(p.relative_to(ROOT)): n for p, _ in modules().values()
            if (n := len(p.read_text().splitlines())) > MAX_LINES}  # fmt: skip
    assert long == {}
