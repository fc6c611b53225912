"""The house: modules import one way (front ends → archive.app → archive sub-packages → schemas →
storage), with no circles, and a library module never imports a front end.

The graph is read from the source (every ``import`` statement, also those inside functions), so a
circle cannot hide behind a lazy import.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("archive", "schemas", "storage", "doc_templates", "web")


def _modules() -> dict[str, Path]:
    out = {"cli": ROOT / "cli.py"}
    for pkg in PACKAGES:
        for p in sorted((ROOT / pkg).rglob("*.py")) if (ROOT / pkg).is_dir() else ():
            parts = p.relative_to(ROOT).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    return out


MODULES = _modules()


def _resolve(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    """module -> the project modules it imports (a package's own ``__init__`` is not an edge)."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for mod, path in MODULES.items():
        pkg = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            for t in targets:
                r = _resolve(t)
                if r and r != mod and not (mod.startswith(r + ".") and MODULES[r].name == "__init__.py"):
                    graph[mod].add(r)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def layer(mod: str) -> int:
    """Higher layers may import lower ones, never the reverse."""
    if mod == "cli" or mod == "web" or mod.startswith("web."):
        return 5
    if mod == "archive.app" or mod == "archive.demo":
        return 4
    if mod.startswith("archive"):
        return 3
    if mod.startswith("doc_templates"):
        return 3
    if mod.startswith("schemas"):
        return 2
    if mod.startswith("storage"):
        return 1
    raise AssertionError(mod)


def test_there_are_no_import_circles():
    assert _cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_imports_point_down_the_layers():
    upward = sorted(
        f"{m} -> {t}" for m, ts in import_graph().items() for t in ts
        if layer(t) > layer(m) and not (m == "archive.demo" and t == "archive.app")
    )
    assert upward == []


def test_no_library_module_imports_a_front_end():
    graph = import_graph()
    assert sorted(m for m, ts in graph.items() if layer(m) < 5 and any(layer(t) == 5 for t in ts)) == []


def test_every_module_lives_in_a_named_house():
    """archive/ holds only the facade and the shared basics at its top; everything else is in a
    sub-package named for a noun of the domain."""
    top = {p.stem for p in (ROOT / "archive").glob("*.py")}
    assert top <= {"__init__", "app", "clock", "demo", "errors", "ids", "privacy", "registry", "settings", "text"}
    subs = {p.name for p in (ROOT / "archive").iterdir() if (p / "__init__.py").is_file()}
    assert subs == {"access", "campaign", "checks", "documents", "facts", "forms", "integrity", "packages", "search", "tickets",
                    "training"}
