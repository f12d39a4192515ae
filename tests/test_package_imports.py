"""No module of the package is part of an import cycle (grimp, which import-linter uses),
and the importer is a folder that reads as a map: a few sub-packages, small modules."""

from __future__ import annotations

from pathlib import Path

import grimp

import clientbridge


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    low[module] = min(low[module], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
            if low[module] == index[module]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == module:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_module_of_the_package_is_part_of_an_import_cycle() -> None:
    graph = grimp.build_graph("clientbridge")
    assert "clientbridge.importer.running.run" in graph.modules
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for module in ("a", "a.b", "a.c", "a.d"):
        graph.add_module(module)
    graph.add_import(importer="a.b", imported="a.c")
    graph.add_import(importer="a.c", imported="a.b")
    graph.add_import(importer="a.d", imported="a.b")
    assert _cycles(graph) == [["a.b", "a.c"]]


def test_the_importer_is_a_map_of_small_modules() -> None:
    importer = Path(clientbridge.__file__).parent / "importer"
    modules = [path for path in importer.rglob("*.py") if "formats" not in path.parts]
    packages = sorted(path.parent.name for path in importer.glob("*/__init__.py"))
    assert packages == ["formats", "reading", "reporting", "rows", "running"]
    too_long = {
        str(path.relative_to(importer)): lines
        for path in modules
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 450
    }
    assert too_long == {}
    assert len(modules) <= 30
