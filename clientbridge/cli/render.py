"""Rendering for people: requests, the providers table (JSON is `output`'s)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from clientbridge.registry import adapter_class

if TYPE_CHECKING:
    from clientbridge.adapters.base import Adapter
    from clientbridge.wire import HttpRequest

__all__ = [
    "format_request",
    "providers_markdown",
    "providers_table",
]


def format_request(request: HttpRequest) -> str:
    """A request for people: method and URL, headers (secrets already ``***``), JSON body."""
    lines = [f"{request.method} {request.url}"]
    lines.extend(f"  {name}: {value}" for name, value in request.headers.items())
    if request.json is not None:
        body = json.dumps(request.json, indent=2, ensure_ascii=False)
        lines.extend("  " + line for line in body.splitlines())
    return "\n".join(lines)


def providers_table(adapters: Sequence[type[Adapter]]) -> str:
    """One line per provider: names, bulk size, leads, look-ups, settings."""
    rows = [("NAME", "PROVIDER", "ALIASES", "BULK", "LEADS", "LOOK-UPS", "SETTINGS (* required)")]
    for adapter in adapters:
        capabilities = adapter.capabilities
        rows.append(
            (
                adapter.name,
                adapter.display_name,
                ", ".join(adapter.aliases) or "-",
                str(capabilities.bulk_size),
                "yes" if capabilities.leads else "no",
                ", ".join(capabilities.lookups) or "-",
                ", ".join(
                    setting.name + ("*" if setting.required else "")
                    for setting in adapter.settings_spec
                ),
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join(
            [*(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)), row[-1]]
        )
        for row in rows
    )


def providers_markdown(names: Sequence[str]) -> str:
    """The capability matrix, then each provider's settings and field mapping (the same
    generated tables as the docs)."""
    from clientbridge import docgen

    parts = ["# Providers\n\n## Capability matrix\n\n", docgen.capability_matrix(names)]
    for name in names:
        adapter = adapter_class(name)
        parts += [
            f"\n## {adapter.display_name} (`{adapter.name}`)\n\n### Settings\n\n",
            docgen.settings_table(name),
            "\n### Field mapping\n\n",
            docgen.field_mapping(name),
        ]
    return "".join(parts)
