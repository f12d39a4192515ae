"""Input that used to be lost or crash the import: stray quotes, streams, deep JSON."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from clientbridge.importer import open_source

from .import_fakes import ROOSTED, FakeRoostedHR, import_into, invoke, people, read_report


def journal_states(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as db:
        return [state for (state,) in db.execute("SELECT state FROM rows")]


# ---------------------------------------------------------------- deep JSON Lines


def test_a_jsonl_line_nested_too_deeply_fails_alone_and_leaves_nothing_sending(
    tmp_path: Path,
) -> None:
    path = tmp_path / "clients.jsonl"
    deep = "[" * 100_000 + "]" * 100_000
    lines = [
        json.dumps({"company_name": "Acme", "email": "a@example.com"}),
        '{"company_name": "Deep", "custom_fields": {"x": ' + deep + "}}",
        json.dumps({"company_name": "Beta", "email": "b@example.com"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fake = FakeRoostedHR()
    code, rows, output = import_into(path, fake)
    assert code == 1, output
    assert [(row["row"], row["outcome"]) for row in rows] == [
        ("1", "created"),
        ("2", "failed"),
        ("3", "created"),
    ]
    assert "nested too deeply" in rows[1]["error"]
    assert [record["client_name"] for record in fake.created] == ["Acme", "Beta"]
    journal = path.with_name("clients.jsonl.journal.sqlite")
    assert sorted(journal_states(journal)) == ["created", "created", "failed"]


def test_a_jsonl_line_nested_too_deeply_fails_alone_in_a_dry_run(tmp_path: Path) -> None:
    path = tmp_path / "clients.jsonl"
    path.write_text('{"company_name": "A"}\n' + "[" * 50_000 + "\n", encoding="utf-8")
    with open_source(path) as source:
        rows = list(source.rows())
    assert [(row.line, row.client is not None) for row in rows] == [(1, True), (2, False)]
    assert "nested too deeply" in (rows[1].error or "")
