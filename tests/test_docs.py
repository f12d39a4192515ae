"""The docs' generated tables match the adapters' declarations (they cannot drift)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from clientbridge.cli import cli
from clientbridge.docgen import capability_matrix, field_mapping, update_docs

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_generated_tables_in_docs_are_up_to_date() -> None:
    stale = update_docs(DOCS, check=True)
    assert stale == [], (
        f"regenerate with `python -m clientbridge.docgen`: {[str(page) for page in stale]}"
    )


def test_every_provider_page_has_its_generated_tables() -> None:
    for provider in ("agencyhandy", "placio", "proconvey", "roostedhr"):
        text = (DOCS / "providers" / f"{provider}.md").read_text(encoding="utf-8")
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
