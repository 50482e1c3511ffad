"""Tests of the package's shape: no import cycles, short modules, short functions.

Every module under ``nasbench_lab/`` is parsed with :mod:`ast` (nothing is imported). The limits are
the project's: at most :data:`MAX_MODULE_LINES` lines per module and :data:`MAX_FUNCTION_LINES` lines
per function or method, from its ``def`` line to its last line, docstring included (``end_lineno -
lineno + 1``). Only module-level imports count towards cycles: an import inside a function runs when the
function is called, and one under ``if TYPE_CHECKING:`` never runs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = "nasbench_lab"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def module_name(path: Path, root: Path = ROOT) -> str:
    """Dotted name of the module in ``path`` (a package's ``__init__.py`` is the package)."""
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Dotted name -> file of every module of the package under ``root``."""
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level_imports(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports that run when the module is imported: not inside functions, not under ``if TYPE_CHECKING:``."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _module_level_imports(node.orelse)
        else:
            for field in ("body", "orelse", "finalbody"):  # class bodies, try/with/for/if blocks
                inner = getattr(node, field, None)
                if isinstance(inner, list):
                    yield from _module_level_imports(inner)
            for handler in getattr(node, "handlers", ()):
                yield from _module_level_imports(handler.body)


def _imported(node: ast.Import | ast.ImportFrom, name: str, is_package: bool, known: set[str]) -> set[str]:
    """The package's modules that ``node`` (in module ``name``) imports."""
    if isinstance(node, ast.Import):
        targets = {alias.name for alias in node.names}
    else:
        base = node.module or ""
        if node.level:  # relative: the containing package, one level up per extra dot
            package = name.split(".") if is_package else name.split(".")[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join([*package, base] if base else package)
        targets = {f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names}
    return {t for t in targets if t in known}


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> package modules it imports at module level."""
    files = modules(root)
    known = set(files)
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        is_package = path.name == "__init__.py"
        graph[name] = set()
        for node in _module_level_imports(tree.body):
            graph[name] |= _imported(node, name, is_package, known) - {name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as ``[a, b, ..., a]``, or ``None`` (depth-first search, deterministic order)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)) is not None:
            return cycle
    return None


def long_modules(root: Path = ROOT, limit: int = MAX_MODULE_LINES) -> list[str]:
    """``"path: N lines"`` for every module over ``limit`` lines."""
    out = []
    for path in modules(root).values():
        n = len(path.read_text().splitlines())
        if n > limit:
            out.append(f"{path.relative_to(root.parent)}: {n} lines")
    return out


def long_functions(root: Path = ROOT, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """``"path:line name: N lines"`` for every function or method over ``limit`` lines."""
    out = []
    for path in modules(root).values():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > limit:
                    out.append(f"{path.relative_to(root.parent)}:{node.lineno} {node.name}: {n} lines")
    return out


def test_the_package_is_found() -> None:
    names = modules()
    assert PACKAGE in names and f"{PACKAGE}.space" in names
    graph = import_graph()
    assert f"{PACKAGE}.space" in graph[f"{PACKAGE}.encodings"]  # edges are seen


def test_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, f"module-level import cycle: {' -> '.join(cycle or [])}"


def test_no_module_over_the_line_limit() -> None:
    offenders = long_modules()
    assert not offenders, f"modules over {MAX_MODULE_LINES} lines: " + "; ".join(offenders)


def test_no_function_over_the_line_limit() -> None:
    offenders = long_functions()
    assert not offenders, f"functions over {MAX_FUNCTION_LINES} lines: " + "; ".join(offenders)


def test_the_checks_catch_violations(tmp_path: Path) -> None:
    pkg = tmp_path / PACKAGE
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from . import b\n")
    (pkg / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from nasbench_lab import c\n"
                              "import nasbench_lab.sub.b\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    import nasbench_lab.c\n\nfrom ..a import x\n")
    (pkg / "c.py").write_text("from nasbench_lab import a\n" + "x = 1\n" * 5)
    (pkg / "d.py").write_text("def long():\n" + "    pass\n" * 4)
    graph = import_graph(pkg)
    assert graph[f"{PACKAGE}.a"] == {f"{PACKAGE}.sub.b"}  # the TYPE_CHECKING import is not an edge
    assert graph[f"{PACKAGE}.sub"] == {f"{PACKAGE}.sub.b"}
    assert graph[f"{PACKAGE}.sub.b"] == {f"{PACKAGE}.a"}  # nor the one inside a function
    assert find_cycle(graph) == [f"{PACKAGE}.a", f"{PACKAGE}.sub.b", f"{PACKAGE}.a"]
    assert find_cycle({"x": {"y"}, "y": set()}) is None
    assert long_modules(pkg, limit=5) == [f"{PACKAGE}/c.py: 6 lines"]
    assert long_functions(pkg, limit=4) == [f"{PACKAGE}/d.py:1 long: 5 lines"]
