"""The package reads as a map (issue 24): no module over 450 lines, no import cycle.

A module that outgrows the limit holds more than one job: split it by responsibility (see
docs/architecture.md), not by line count.
"""

from __future__ import annotations

from pathlib import Path

import grimp

PACKAGE = Path(__file__).resolve().parents[1] / "clientbridge"
MOST_LINES = 450


def lines_of(path: Path) -> int:
    with path.open("rb") as file:
        return sum(1 for _ in file)


def test_no_module_is_over_450_lines() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 100  # the walk found the package
    too_long = {
        str(path.relative_to(PACKAGE)): lines_of(path)
        for path in modules
        if lines_of(path) > MOST_LINES
    }
    assert too_long == {}, f"split by responsibility (at most {MOST_LINES} lines each)"


def cycles(graph: grimp.ImportGraph) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, imported = work[-1]
            child = next(imported, None)
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
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == module:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(module)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.a")
    graph.add_import(importer="pkg.c", imported="pkg.a")
    assert cycles(graph) == [{"pkg.a", "pkg.b"}]


def test_no_import_cycle_in_the_package() -> None:
    graph = grimp.build_graph("clientbridge", cache_dir=None)
    assert "clientbridge.importer.running.run" in graph.modules  # the walk found the package
    assert cycles(graph) == []


def test_the_importer_is_a_map_of_small_modules() -> None:
    importer = PACKAGE / "importer"
    modules = [path for path in importer.rglob("*.py") if "formats" not in path.parts]
    packages = sorted(path.parent.name for path in importer.glob("*/__init__.py"))
    assert packages == ["formats", "reading", "reporting", "rows", "running"]
    # Issue 24 aims at 25; the journal on the ledger's store is the next cut.
    assert len(modules) <= 30
