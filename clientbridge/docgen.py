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
    "cassette_layout",
    "duplicate_protection",
    "field_mapping",
    "generated_files",
    "import_headers",
    "ledger_unknowns",
    "live_recording",
    "provider_pages",
    "provider_table",
    "providers_nav",
    "render_pages",
    "sandbox_banner",
    "settings_table",
    "update_docs",
]

_BLOCK = re.compile(
    r"(<!-- BEGIN GENERATED: (?P<name>[\w.-]+) -->\n)(?P<body>.*?)(<!-- END GENERATED -->)",
    re.DOTALL,
)
#: The same markers as YAML comments (``mkdocs.yml``); the indentation is the block's.
_YAML_BLOCK = re.compile(
    r"(^(?P<indent>[ \t]*)# BEGIN GENERATED: (?P<name>[\w.-]+)\n)(?P<body>.*?)"
    r"(^[ \t]*# END GENERATED)",
    re.DOTALL | re.MULTILINE,
)
#: Files beside ``docs/`` (at the root of the site) with generated blocks.
ROOT_FILES = ("README.md", "mkdocs.yml")
#: The sandbox server's address in the docs' examples.
_EXAMPLE_SERVER = "http://127.0.0.1:8765"


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
    from clientbridge.importer.reading.vocabulary import _ALIASES, ADDRESS_COLUMNS, CLIENT_COLUMNS

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
        own = ""
        if fmt.not_client_data:
            patterns = ", ".join(f"`{pattern}`" for pattern in fmt.not_client_data)
            own = (
                f"\n\nAlso not imported, as the vendor's own columns (`*` is any text): {patterns}."
            )
        parts.append(
            f"\n#### {fmt.title}\n\n{forced}; {export_source(fmt)}.\n\n"
            + _table(table)
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


def _built_ins() -> list[type[Adapter]]:
    """The built-in providers (plug-ins document themselves)."""
    from clientbridge.registry import builtin_providers

    return [adapter_class(name) for name in builtin_providers()]


def _page_summary(docs: Path, name: str) -> str:
    """The first sentence of the provider's page (what it is), or "" without a page."""
    page = docs / "providers" / f"{name}.md"
    if not page.is_file():
        return ""
    paragraphs = page.read_text(encoding="utf-8").split("\n\n")
    text = next((p for p in paragraphs if p.strip() and not p.startswith(("#", "`"))), "")
    first = " ".join(text.split()).split(". ")[0].rstrip(".")
    return first + "." if first else ""


def provider_table(docs: Path) -> str:
    """The README's table: each built-in provider, its names, and what it is (the first
    sentence of its docs page)."""
    rows = [["provider", "name (aliases)", "clients per request", "what it is"], ["---"] * 4]
    for adapter in _built_ins():
        aliases = " ".join(f"(`{alias}`)" for alias in adapter.aliases)
        rows.append(
            [
                f"[{adapter.display_name}](docs/providers/{adapter.name}.md)",
                f"`{adapter.name}` {aliases}".strip(),
                str(adapter.capabilities.bulk_size),
                _page_summary(docs, adapter.name),
            ]
        )
    return _table(rows)


def provider_pages() -> str:
    """Links to each built-in provider's page, in a sentence."""
    links = [f"[{a.display_name}](providers/{a.name}.md)" for a in _built_ins()]
    return ", ".join(links) + ".\n"


def providers_nav(indent: str) -> str:
    """The ``nav`` lines of ``mkdocs.yml`` for the provider pages."""
    return "".join(f"{indent}- {a.display_name}: providers/{a.name}.md\n" for a in _built_ins())


def duplicate_protection() -> str:
    """Per provider: what it does about a second client, and how an unknown row is settled."""
    rows = [
        ["provider", "duplicate protection on its side", "how an unknown row is settled"],
        ["---"] * 3,
    ]
    for adapter in _built_ins():
        capabilities = adapter.capabilities
        protection = (
            "refuses a second client with the same email"
            if capabilities.unique_email
            else "none declared"
        )
        way = settling(capabilities)
        if way is Settling.LOOK_UP:
            settled = "looked up automatically on resume; not found after the settle window: sent"
        elif way is Settling.RESEND:
            settled = 'sent again automatically on resume: "already exists" counts as created'
        else:
            settled = (
                f"check in {adapter.display_name}, then re-send with `--retry-unknown` "
                "(confirmed, or `--yes`)"
            )
        rows.append([adapter.display_name, protection, settled])
    return _table(rows)


def live_recording() -> str:
    """The environment variables that record each provider's cassettes from a live account."""
    rows = [["provider", "variables"], ["---"] * 2]
    for adapter in _built_ins():
        prefix = f"CLIENTBRIDGE_LIVE_{adapter.name.upper()}_"
        required = [s.name for s in adapter.settings_spec if s.required or s.secret]
        optional = [s.name for s in adapter.settings_spec if s.name not in required]
        names = [f"`{prefix}{required[0].upper()}`"] if required else []
        names += [f"`..._{name.upper()}`" for name in required[1:]]
        if optional:
            names.append("optional " + ", ".join(f"`..._{n.upper()}`" for n in optional))
        rows.append([adapter.display_name, ", ".join(names)])
    return _table(rows)


def cassette_layout() -> str:
    """The tree of the cassette tests and cassettes, one test module and folder each."""
    names = [adapter.name for adapter in _built_ins()]
    width = max([len(f"test_cassettes_{name}.py") for name in names] + [30])
    lines = [
        "```text",
        "tests/",
        "├── cassette_support.py            Target, Scrubber, the JSON-body matcher, "
        "the credential scan",
        "├── cassette_tests/",
        "│   ├── conftest.py                vcr_config, the `target` fixture: record or replay",
        "│   ├── scenarios.py               the clients sent, the ids the seeded sandbox gives",
        "│   ├── test_cassettes_common.py   scenarios every provider shares, run once per provider",
        *(f"│   ├── {f'test_cassettes_{name}.py':<{width}} its own scenarios" for name in names),
        "│   └── test_cassettes_scrubbed.py the scan: no credential in any cassette",
        "└── cassettes/",
        *(f"    ├── {name}/<scenario>.yaml" for name in names),
        "    └── live/                      live-account recordings (ignored by git)",
        "```",
    ]
    return "\n".join(lines) + "\n"


def sandbox_banner() -> str:
    """What ``clientbridge sandbox serve --all --port 8765`` prints (its first connection)."""
    from clientbridge.sandbox.emulators import EMULATORS

    emulators = {name: EMULATORS[name]() for name in EMULATORS if name in _built_in_names()}
    urls = {
        name: emulator.connect_settings(f"{_EXAMPLE_SERVER}/{name}")["base_url"]
        for name, emulator in emulators.items()
    }
    width = max(len(name) for name in emulators)
    url_width = max(len(url) for url in urls.values())
    first, emulator = next(iter(emulators.items()))
    settings = emulator.connect_settings(f"{_EXAMPLE_SERVER}/{first}")
    second = list(emulators)[1] if len(emulators) > 1 else first
    lines = [
        "```text",
        f"clientbridge sandbox: {len(emulators)} emulators listening "
        "(stop them with Ctrl+C or SIGTERM)",
        f"inspector: {_EXAMPLE_SERVER}/ (open it to watch every request arrive)",
        *(
            f"  {name:<{width}}  {urls[name]:<{url_width}}  credential: {e.credential}"
            for name, e in emulators.items()
        ),
        "",
        "# clientbridge.toml: one connection per provider",
        f"[connections.{first}]",
        f'provider = "{first}"',
        *(f'{key} = "{value}"' for key, value in settings.items()),
        "",
        f"[connections.{second}]",
        "...",
        "# end of clientbridge.toml",
        "```",
    ]
    return "\n".join(lines) + "\n"


def _built_in_names() -> set[str]:
    return {adapter.name for adapter in _built_ins()}


def _table(rows: list[list[str]]) -> str:
    return "".join(
        "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |\n" for row in rows
    )


def _generated(name: str, docs: Path) -> str:
    lists = {
        "provider-table": lambda: provider_table(docs),
        "provider-pages": provider_pages,
        "duplicate-protection": duplicate_protection,
        "live-recording": live_recording,
        "cassette-layout": cassette_layout,
        "sandbox-banner": sandbox_banner,
    }
    if name in lists:
        return lists[name]()
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


def render_pages(text: str, docs: Path = Path("docs")) -> str:
    """``text`` with every generated block brought up to date (``docs``: the docs folder,
    where the provider pages are)."""

    def replace(match: re.Match[str]) -> str:
        return match.group(1) + _generated(match.group("name"), docs) + match.group(4)

    def replace_yaml(match: re.Match[str]) -> str:
        if match.group("name") != "providers-nav":
            raise ValueError(f"unknown generated block {match.group('name')!r}")
        return match.group(1) + providers_nav(match.group("indent")) + match.group(5)

    return _YAML_BLOCK.sub(replace_yaml, _BLOCK.sub(replace, text))


def generated_files(docs: Path) -> list[Path]:
    """The pages of ``docs``, and the README and ``mkdocs.yml`` of the site it belongs to."""
    pages = sorted(docs.rglob("*.md"))
    if (docs.parent / "mkdocs.yml").is_file():
        pages += [docs.parent / name for name in ROOT_FILES if (docs.parent / name).is_file()]
    return pages


def update_docs(docs: Path, *, check: bool) -> list[Path]:
    """Rewrite (or with ``check`` only list) the pages whose generated blocks are stale."""
    stale = []
    for page in generated_files(docs):
        text = page.read_text(encoding="utf-8")
        fresh = render_pages(text, docs)
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
