"""No import circles: neither between the modules of gateway/, scanners/ and cli/, nor
between their folders (gateway/relay/, gateway/quarantine/, ...; a file beside them, such
as gateway/pipeline.py, counts as a folder of its own). Every import of a project module
counts, at any depth: one inside a function (or under TYPE_CHECKING) ties the two modules
together all the same; it only moves the failure from import time to the first call.

Each import is read with `ast` from the source; nothing of the project is imported."""
from __future__ import annotations

import ast
from collections import deque
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("gateway", "scanners", "cli")

def modules(root: Path) -> dict[str, tuple[Path, bool]]:
    """Dotted name -> (file, is a package's __init__) for every module of the packages."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            is_package = parts[-1] == "__init__"
            found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def imports(found: dict[str, tuple[Path, bool]], root: Path = ROOT) -> dict[str, dict[str, str]]:
    """Module -> {project module it imports: "file:line" of the first such import}."""
    graph: dict[str, dict[str, str]] = {}
    for name, (path, is_package) in found.items():
        edges = graph.setdefault(name, {})
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the module's own package up
                    package = name.split(".") if is_package else name.split(".")[:-1]
                    base = ".".join(package[:len(package) - node.level + 1] + [base]).strip(".")
                # `from pkg import mod` imports the module pkg.mod; `from mod import name`, mod
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in found else base
                           for a in node.names]
            else:
                continue
            for target in targets:
                while target and target not in found:  # `import a.b.c` of a name in a.b
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges.setdefault(target, f"{path.relative_to(root)}:{node.lineno}")
    return graph


def folder(name: str) -> str:
    """gateway.relay.worker -> gateway.relay; gateway.pipeline -> gateway.pipeline."""
    return ".".join(name.split(".")[:2])


def folders(graph: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for name, edges in graph.items():
        for target, where in edges.items():
            if folder(name) != folder(target):
                out.setdefault(folder(name), {}).setdefault(folder(target), where)
    return out


def components(graph: dict[str, dict[str, str]]) -> list[set[str]]:
    """The strongly connected components of more than one member (Tarjan, iterative):
    within one, every import between two members closes a circle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(graph.get(start, ())))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(component)
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                work.append((child, iter(graph.get(child, ()))))
            elif child in stack:
                low[node] = min(low[node], index[child])
    return found


def in_circles(graph: dict[str, dict[str, str]]) -> set[tuple[str, str]]:
    """Every import (a, b) that closes a circle."""
    return {(a, b) for component in components(graph) for a in component
            for b in graph.get(a, ()) if b in component}


def circles(graph: dict[str, dict[str, str]]) -> list[str]:
    """One circle, named import by import, for each import that closes a circle."""
    return [_name(graph, [a] + _path(graph, b, a)) for a, b in sorted(in_circles(graph))]


def _path(graph, start: str, goal: str) -> list[str]:
    """The shortest import path start -> ... -> goal."""
    came = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            break
        for child in sorted(graph.get(node, ())):
            if child not in came:
                came[child] = node
                queue.append(child)
    path = [goal]
    while came[path[-1]] is not None:
        path.append(came[path[-1]])
    return path[::-1]


def _name(graph, cycle: list[str]) -> str:
    return " -> ".join(f"{a} ({graph[a][b]})" for a, b in pairwise(cycle)) + \
        f" -> {cycle[-1]}"


def test_no_module_imports_itself_back():
    assert circles(imports(modules(ROOT))) == []


def test_no_folder_imports_itself_back():
    assert circles(folders(imports(modules(ROOT)))) == []


def test_an_import_inside_a_function_closes_a_circle(tmp_path):
    """The walk sees what a reader of the top of the file does not: a late import inside a
    function, a relative one, and `from package import module`."""
    (tmp_path / "gateway" / "content").mkdir(parents=True)
    (tmp_path / "scanners").mkdir()
    (tmp_path / "cli").mkdir()
    (tmp_path / "gateway" / "content" / "__init__.py").write_text("")
    (tmp_path / "gateway" / "content" / "parse.py").write_text(
        "import email\nfrom gateway.content import extract\n")
    (tmp_path / "gateway" / "content" / "extract.py").write_text("from . import embedded\n")
    (tmp_path / "gateway" / "content" / "embedded.py").write_text(
        "def headers():\n    from gateway.content.parse import header_text\n")
    (tmp_path / "scanners" / "base.py").write_text("import gateway.content.parse\n")
    graph = imports(modules(tmp_path), tmp_path)
    named = circles(graph)[0]  # one for each of the circle's three imports
    assert len(circles(graph)) == 3
    assert [step.split(" (")[0] for step in named.split(" -> ")] == [
        "gateway.content.embedded", "gateway.content.parse", "gateway.content.extract",
        "gateway.content.embedded"]
    assert "gateway/content/embedded.py:2" in named

