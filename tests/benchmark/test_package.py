"""The benchmark package's modules import each other without circles (issue 15).

Every import of a ``nasbench_lab.benchmark`` module counts, wherever it is written (top level, inside a
function, under ``TYPE_CHECKING``, or as a module name given to ``importlib``): an import that hides a
circle is still a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

import nasbench_lab.benchmark

PACKAGE = Path(nasbench_lab.benchmark.__file__).parent
PREFIX = "nasbench_lab.benchmark."


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and " " not in node.value:
            names.add(node.value)  # importlib.import_module("nasbench_lab.benchmark.x") counts too
    return {n[len(PREFIX):].split(".")[0] for n in names if n.startswith(PREFIX)}


def test_benchmark_modules_import_each_other_without_circles() -> None:
    graph = nx.DiGraph()
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    for stem in modules:
        graph.add_node(stem)
        graph.add_edges_from((stem, dep) for dep in _imports(PACKAGE / f"{stem}.py") & modules if dep != stem)
    assert graph.number_of_edges() > 10  # the walk does see the imports
    assert list(nx.simple_cycles(graph)) == []
