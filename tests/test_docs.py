"""The docs' generated tables match the adapters' declarations (they cannot drift)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from clientbridge.cli import cli
from clientbridge.docgen import capability_matrix, field_mapping, update_docs

from .providers import BUILTINS

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_generated_tables_in_docs_are_up_to_date() -> None:
    stale = update_docs(DOCS, check=True)
    assert stale == [], (
        f"regenerate with `python -m clientbridge.docgen`: {[str(page) for page in stale]}"
    )


@pytest.mark.parametrize("provider", BUILTINS)
def test_every_provider_page_has_its_generated_tables(provider: str) -> None:
    page = DOCS / "providers" / f"{provider}.md"
    assert page.is_file(), (
        f"the built-in provider {provider!r} needs its page: docs/providers/{provider}.md"
    )
    text = page.read_text(encoding="utf-8")
    assert f"<!-- BEGIN GENERATED: fields.{provider} -->" in text
    assert f"<!-- BEGIN GENERATED: settings.{provider} -->" in text
    assert field_mapping(provider) in text


def test_cli_markdown_prints_the_same_matrix() -> None:
    result = CliRunner().invoke(cli, ["providers", "--markdown"])
    assert result.exit_code == 0
    assert capability_matrix() in result.output


def test_a_changed_declaration_makes_the_docs_stale(tmp_path: Path) -> None:
    page = tmp_path / "index.md"
    page.write_text(
        "<!-- BEGIN GENERATED: capability-matrix -->\nold\n<!-- END GENERATED -->\n",
        encoding="utf-8",
    )
    assert update_docs(tmp_path, check=True) == [page]
    update_docs(tmp_path, check=False)
    assert update_docs(tmp_path, check=True) == []


def test_a_layout_with_no_public_source_is_documented_as_unverified() -> None:
    import attrs

    from clientbridge.docgen import export_source
    from clientbridge.importer.formats import FORMATS

    cited = FORMATS[0]
    assert export_source(cited) == f"columns from <{cited.help_url}>"
    assert "unverified" in export_source(attrs.evolve(cited, help_url=None))
