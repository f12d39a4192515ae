"""The headers `clientbridge import` recognises, generic and per export layout, for people."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clientbridge.docgen._tables import markdown_table

if TYPE_CHECKING:
    from clientbridge.importer.formats.base import ExportFormat


def _describe_target(target: str) -> str:
    """What an export column fills, for people (see `clientbridge.importer.formats.base`)."""
    if not target:
        return "— (not imported)"
    channel, star, rest = target.partition("*")
    if star:
        if rest == "label":
            return f"the label of the {channel} numbered alike (`*` marks the primary one)"
        if channel not in ("email", "phone"):
            return f"`contact_methods` ({channel})"
        order = "before the others" if rest == "primary" else "the first one"
        return f"`{channel}` ({order}; further ones: `contact_methods`)"
    if target.startswith("address."):
        _, group, part = target.split(".", 2)
        which = "address N" if group == "{n}" else f"the {group} address"
        return f"`address` {part.replace('_', ' ')} (of {which})"
    if target.startswith("custom."):
        return f'`custom_fields["{target.removeprefix("custom.").replace("{n}", "N")}"]`'
    if target.startswith("contact."):
        return f"`contact_methods` ({target.removeprefix('contact.')})"
    return f"`{target}`"


def import_headers() -> str:
    """Markdown: every header `clientbridge import` recognises, generic and per export."""
    from clientbridge.importer.formats import FORMATS
    from clientbridge.importer.reading.vocabulary import _ALIASES, ADDRESS_COLUMNS, CLIENT_COLUMNS

    rows = [["field", "headers (compared without case, spaces, `_`, `-`, `.`)"], ["---"] * 2]
    for field in (*CLIENT_COLUMNS, *ADDRESS_COLUMNS, *(f for f in _ALIASES if "." in f)):
        spellings = [field, *_ALIASES.get(field, ())]
        rows.append([f"`{field}`", ", ".join(f"`{spelling}`" for spelling in spellings)])
    parts = ["#### Generic columns (any file)\n\n", markdown_table(rows)]
    for fmt in FORMATS:
        name = "column" if fmt.kind == "csv" else "property"
        table = [[name, "read as"], ["---"] * 2]
        table.extend(
            [f"`{header}`", _describe_target(target)] for header, target in fmt.columns.items()
        )
        forced = f"`--source-format {fmt.name}`" if fmt.kind == "csv" else "`.vcf` files"
        own = ""
        if fmt.not_client_data:
            patterns = ", ".join(f"`{pattern}`" for pattern in fmt.not_client_data)
            own = (
                f"\n\nAlso not imported, as the vendor's own columns (`*` is any text): {patterns}."
            )
        parts.append(
            f"\n#### {fmt.title}\n\n{forced}; {export_source(fmt)}.\n\n"
            + markdown_table(table)
            + own
            + "\n"
        )
    return "".join(parts)


def export_source(fmt: ExportFormat) -> str:
    """Where a layout's columns come from, for people: its help page, or that none was found."""
    if fmt.help_url is None:
        return "no public description of these columns was found, so they are unverified"
    return f"columns from <{fmt.help_url}>"


# ---------------------------------------------------------------- lists of the providers
