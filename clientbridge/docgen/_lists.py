"""Every list of the built-in providers in the docs (the README's table, the provider pages and
their nav, the duplicate protection, live recording, the cassette layout, the sandbox banner),
from the registry: adding a provider edits none of them by hand."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from clientbridge.adapters.base import Adapter
from clientbridge.docgen._tables import markdown_table
from clientbridge.registry import adapter_class
from clientbridge.settle import Settling, settling

if TYPE_CHECKING:
    pass

#: The sandbox server's address in the docs' examples.
_EXAMPLE_SERVER = "http://127.0.0.1:8765"


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
    return markdown_table(rows)


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
    return markdown_table(rows)


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
    return markdown_table(rows)


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
