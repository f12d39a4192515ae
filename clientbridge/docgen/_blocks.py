"""The generated blocks: the markers that delimit them in a page (Markdown or YAML), which
renderer fills each, and the pages of a site brought up to date (or checked)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from clientbridge.docgen._imports import import_headers
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
    settings_table,
)

if TYPE_CHECKING:
    pass


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
    parser = argparse.ArgumentParser(
        prog="python -m clientbridge.docgen",
        description="Documentation tables generated from the adapters' declarations.",
    )
    parser.add_argument("docs", nargs="?", default="docs", type=Path)
    parser.add_argument("--check", action="store_true", help="only report stale pages")
    args = parser.parse_args(argv)
    stale = update_docs(args.docs, check=args.check)
    for page in stale:
        print(f"{'stale' if args.check else 'updated'}: {page}")
    return 1 if args.check and stale else 0
