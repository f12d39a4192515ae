"""Documentation tables generated from the adapters' declarations.

The capability matrix and each provider's field-mapping table are built from
``Adapter.fields``, ``Adapter.capabilities`` and ``Adapter.settings_spec``, so the docs
cannot drift from the code. Every list of the built-in providers in the docs is generated
too (the README's table, the provider pages' links, the sandbox banner, the cassette
layout, the per-provider duplicate protection, the ``nav`` of ``mkdocs.yml``), from the
registry, so adding a provider edits none of them by hand.
``python -m clientbridge.docgen`` rewrites the generated blocks in ``docs/`` (and in the
README and ``mkdocs.yml`` beside it); ``--check`` exits 1 when a committed page differs
(CI runs the equivalent test).

The rooms: `_tables` (built from the adapters' declarations), `_lists` (every list of the
built-in providers), `_imports` (the headers the importer recognises) and `_blocks` (the
markers, which renderer fills each block, and the pages brought up to date).
"""

from clientbridge.docgen._blocks import generated_files, main, render_pages, update_docs
from clientbridge.docgen._imports import export_source, import_headers
from clientbridge.docgen._lists import (
    cassette_layout,
    duplicate_protection,
    live_recording,
    provider_pages,
    provider_table,
    providers_nav,
    sandbox_banner,
)
from clientbridge.docgen._tables import (
    capability_matrix,
    field_mapping,
    ledger_unknowns,
    sent_fields,
    settings_table,
)

__all__ = [
    "capability_matrix",
    "cassette_layout",
    "duplicate_protection",
    "export_source",
    "field_mapping",
    "generated_files",
    "import_headers",
    "ledger_unknowns",
    "live_recording",
    "main",
    "provider_pages",
    "provider_table",
    "providers_nav",
    "render_pages",
    "sandbox_banner",
    "sent_fields",
    "settings_table",
    "update_docs",
]
