"""The sandbox's modules import each other one way only (grimp, which import-linter uses)."""

from __future__ import annotations

import grimp


def test_no_module_of_the_sandbox_is_part_of_an_import_cycle() -> None:
    graph = grimp.build_graph("clientbridge")
    modules = sorted(name for name in graph.modules if name.startswith("clientbridge.sandbox"))
    assert "clientbridge.sandbox._site" in modules
    cycles = sorted(
        (module, imported)
        for module in modules
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.startswith("clientbridge.sandbox")
        and graph.find_shortest_chain(importer=imported, imported=module) is not None
    )
    assert cycles == []
