"""Documentation tables generated from the adapters' declarations.

The capability matrix and each provider's field-mapping table are built from
``Adapter.fields``, ``Adapter.capabilities`` and ``Adapter.settings_spec``, so the docs
cannot drift from the code. ``python -m clientbridge.docgen`` rewrites the generated
blocks in ``docs/``; ``--check`` exits 1 when a committed page differs (CI runs the
equivalent test).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from clientbridge.adapters.base import NEUTRAL_FIELDS, Adapter
from clientbridge.registry import adapter_class, providers
from clientbridge.settle import Settling, settling

if TYPE_CHECKING:
    from clientbridge.importer.formats.base import ExportFormat

__all__ = [
    "capability_matrix",
    "field_mapping",
    "import_headers",
    "ledger_unknowns",
    "render_pages",
    "settings_table",
    "update_docs",
]

_BLOCK = re.compile(
    r"(<!-- BEGIN GENERATED: (?P<name>[\w.-]+) -->\n)(?P<body>.*?)(<!-- END GENERATED -->)",
    re.DOTALL,
)


def sent_fields(adapter: type[Adapter]) -> set[str]:
    """The neutral fields that can reach this provider's wire."""
    fields = {field for rule in adapter.fields for field in rule.neutral}
    if adapter.capabilities.leads:
        fields.add("lead")
    return fields


def capability_matrix(names: Sequence[str] | None = None) -> str:
    """A Markdown table: providers by neutral fields and features."""
    adapters = [adapter_class(name) for name in (names or providers())]
    header = ["", *(adapter.display_name for adapter in adapters)]
    rows = [header, ["---"] * len(header)]
    sent = [sent_fields(adapter) for adapter in adapters]
    for field in NEUTRAL_FIELDS:
        rows.append([f"`{field}`", *("✓" if field in fields else "—" for fields in sent)])
    rows.append(["leads", *("✓" if a.capabilities.leads else "—" for a in adapters)])
    rows.append(["clients per request", *(str(a.capabilities.bulk_size) for a in adapters)])
    rows.append(
        [
            "look-ups",
            *(", ".join(f"`{k}`" for k in a.capabilities.lookups) or "—" for a in adapters),
        ]
    )
    rows.append(
        ["invite status", *("✓" if a.capabilities.invite_status else "—" for a in adapters)]
    )
    rows.append(["unknown rows settled on resume", *(_resume_check(a) for a in adapters)])
    return _table(rows)


def _resume_check(adapter: type[Adapter]) -> str:
    """How `clientbridge import` settles rows an earlier run left unknown."""
    way = settling(adapter.capabilities)
    if way is Settling.LOOK_UP:
        return "looked up; sent if not found after the settle window"
    if way is Settling.RESEND:
        return "sent again (unique email; one in flight per email)"
    return "— (`--retry-unknown`, confirmed)"


def ledger_unknowns(names: Sequence[str] | None = None) -> str:
    """A Markdown table: what a ledger's next create does with a key left unknown, per
    provider (from `Capabilities`, by the rule of `clientbridge.settle`)."""
    rows = [["provider", "a key left unknown, on the next create"], ["---"] * 2]
    for name in names or providers():
        adapter = adapter_class(name)
        if settling(adapter.capabilities, resend_by_email=False) is Settling.LOOK_UP:
            what = (
                "looked up: found → recorded and replayed; not found → sent once the settle "
                "window has passed (before it: `UnknownOutcomeError` with `retry_after`)"
            )
        else:
            what = (
                "cannot be asked: `UnknownOutcomeError` (`retry_after` None); check, then "
                "`resend_unknown=True`"
            )
        rows.append([adapter.display_name, what])
    return _table(rows)


def field_mapping(name: str) -> str:
    """A Markdown table of one provider's wire fields and where they come from."""
    adapter = adapter_class(name)
    rows = [
        ["wire field", "from (neutral)", "required", "max length", "notes"],
        ["---"] * 5,
    ]
    for rule in adapter.fields:
        rows.append(
            [
                f"`{rule.wire}`",
                ", ".join(f"`{field}`" for field in rule.neutral),
                "yes" if rule.required else "",
                str(rule.max_length) if rule.max_length else "",
                rule.note,
            ]
        )
    sent = sent_fields(adapter)
    dropped = [f"`{field}`" for field in NEUTRAL_FIELDS if field not in sent]
    table = _table(rows)
    if dropped:
        table += (
            f"\nNot sent (listed in `dropped_fields`, one warning each): {', '.join(dropped)}.\n"
        )
    return table


def settings_table(name: str) -> str:
    """A Markdown table of one provider's settings."""
    adapter = adapter_class(name)
    rows = [["setting", "required", "default", "description"], ["---"] * 4]
    for setting in adapter.settings_spec:
        default = "" if setting.default is None else f"`{setting.default}`"
        description = setting.description + (" (secret)" if setting.secret else "")
        rows.append([f"`{setting.name}`", "yes" if setting.required else "", default, description])
    aliases = ", ".join(f"`{alias}`" for alias in adapter.aliases)
    table = _table(rows)
    if aliases:
        table += f"\nAliases: {aliases}.\n"
    return table


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
    from clientbridge.importer.vocabulary import _ALIASES, ADDRESS_COLUMNS, CLIENT_COLUMNS

    rows = [["field", "headers (compared without case, spaces, `_`, `-`, `.`)"], ["---"] * 2]
    for field in (*CLIENT_COLUMNS, *ADDRESS_COLUMNS, *(f for f in _ALIASES if "." in f)):
        spellings = [field, *_ALIASES.get(field, ())]
        rows.append([f"`{field}`", ", ".join(f"`{spelling}`" for spelling in spellings)])
    parts = ["#### Generic columns (any file)\n\n", _table(rows)]
    for fmt in FORMATS:
        name = "column" if fmt.kind == "csv" else "property"
        table = [[name, "read as"], ["---"] * 2]
        table.extend(
            [f"`{header}`", _describe_target(target)] for header, target in fmt.columns.items()
        )
        forced = f"`--source-format {fmt.name}`" if fmt.kind == "csv" else "`.vcf` files"
        parts.append(f"\n#### {fmt.title}\n\n{forced}; {export_source(fmt)}.\n\n" + _table(table))
    return "".join(parts)


def export_source(fmt: ExportFormat) -> str:
    """Where a layout's columns come from, for people: its help page, or that none was found."""
    if fmt.help_url is None:
        return "no public description of these columns was found, so they are unverified"
    return f"columns from <{fmt.help_url}>"


def _table(rows: list[list[str]]) -> str:
    return "".join(
        "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |\n" for row in rows
    )


def _generated(name: str) -> str:
    if name == "capability-matrix":
        return capability_matrix()
    if name == "import-headers":
        return import_headers()
    if name == "ledger-unknowns":
        return ledger_unknowns()
    kind, _, provider = name.partition(".")
    if kind == "fields":
        return field_mapping(provider)
    if kind == "settings":
        return settings_table(provider)
    raise ValueError(f"unknown generated block {name!r}")


def render_pages(text: str) -> str:
    """``text`` with every generated block brought up to date."""

    def replace(match: re.Match[str]) -> str:
        return match.group(1) + _generated(match.group("name")) + match.group(4)

    return _BLOCK.sub(replace, text)


def update_docs(docs: Path, *, check: bool) -> list[Path]:
    """Rewrite (or with ``check`` only list) the pages whose generated blocks are stale."""
    stale = []
    for page in sorted(docs.rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        fresh = render_pages(text)
        if fresh != text:
            stale.append(page)
            if not check:
                page.write_text(fresh, encoding="utf-8")
    return stale


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("docs", nargs="?", default="docs", type=Path)
    parser.add_argument("--check", action="store_true", help="only report stale pages")
    args = parser.parse_args(argv)
    stale = update_docs(args.docs, check=args.check)
    for page in stale:
        print(f"{'stale' if args.check else 'updated'}: {page}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
