"""Rows are known by what they are, not the line they are on: editing the file between
two runs (inserting, deleting, moving or duplicating rows) sends no row twice.

Every registered provider takes part, in one in-memory sandbox that outlives each command:
those that refuse a second client with the same email and those that do not.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from contextlib import closing
from pathlib import Path

import httpx
import pytest

import clientbridge as cb
from clientbridge.importer.rows.journal import SCHEMA_VERSION
from clientbridge.sandbox import Sandbox

from .import_fakes import (
    ROOSTED,
    FakeRoostedHR,
    emails_in,
    import_into,
    invoke,
    people,
    read_report,
    write_csv,
)

PROVIDERS = cb.providers()
INVALID = "not-an-email"


class CountingSandbox:
    """One sandbox for every provider, counting how often each email was sent."""

    def __init__(self) -> None:
        self.sandbox = Sandbox()
        self.sent: Counter[str] = Counter()

    def transport(self, provider: str, asynchronous: bool) -> httpx.MockTransport:
        inner = self.sandbox.transport(provider, asynchronous=True)

        async def handle(request: httpx.Request) -> httpx.Response:
            if request.method == "POST":
                self.sent.update(emails_in(json.loads(request.content or b"null")))
            return await inner.handle_async_request(request)

        return httpx.MockTransport(handle)


def ten_rows(*, ids: bool = False) -> list[list[str]]:
    """A header and ten clients; the fifth has an invalid email (it fails, unsent)."""
    rows = people(10, ids=ids)
    rows[5][3] = INVALID
    return rows


def run(provider: str, path: Path, sandbox: CountingSandbox) -> tuple[int, list[dict[str, str]]]:
    report = path.with_name("report.csv")
    args = ["import", str(path), "--provider", provider, "--sandbox", "--progress", "none"]
    args += ["--journal", str(path.with_name("journal.sqlite")), "--report", str(report)]
    result = invoke(args, sandbox.transport)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, read_report(report)


def outcomes(report: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(row["row"], row["outcome"]) for row in report]


def valid_emails(rows: list[list[str]]) -> list[str]:
    return [row[3] for row in rows[1:] if row[3] != INVALID]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_row_inserted_between_runs_is_sent_once_and_no_other_row_again(
    provider: str, tmp_path: Path
) -> None:
    sandbox = CountingSandbox()
    rows = ten_rows()
    path = write_csv(tmp_path / "clients.csv", rows)
    run(provider, path, sandbox)
    new = ["Firm 99", "Person", "N99", "p99@example.com"]
    rows.insert(1, new)
    write_csv(path, rows)
    _, report = run(provider, path, sandbox)
    assert sandbox.sent == Counter(valid_emails(rows))  # every client sent exactly once
    assert report[0] == {**report[0], "row": "2", "outcome": "created"}
    assert [outcome for _, outcome in outcomes(report)[1:]] == [
        "skipped" if row[3] != INVALID else "failed" for row in rows[2:]
    ]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_row_deleted_between_runs_sends_nothing(provider: str, tmp_path: Path) -> None:
    sandbox = CountingSandbox()
    rows = ten_rows()
    path = write_csv(tmp_path / "clients.csv", rows)
    run(provider, path, sandbox)
    del rows[2]
    write_csv(path, rows)
    _, report = run(provider, path, sandbox)
    assert sandbox.sent == Counter(valid_emails(ten_rows()))
    assert outcomes(report)[3] == ("5", "failed")  # the invalid row, one line up
    assert {outcome for _, outcome in outcomes(report)} == {"skipped", "failed"}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_rows_reordered_between_runs_are_skipped_with_their_ids(
    provider: str, tmp_path: Path
) -> None:
    sandbox = CountingSandbox()
    rows = ten_rows()
    path = write_csv(tmp_path / "clients.csv", rows)
    _, first = run(provider, path, sandbox)
    ids = {row[3]: report["id"] for row, report in zip(rows[1:], first, strict=True)}
    write_csv(path, [rows[0], *reversed(rows[1:])])
    _, report = run(provider, path, sandbox)
    assert sandbox.sent == Counter(valid_emails(rows))
    for row, line in zip(reversed(rows[1:]), report, strict=True):
        assert line["id"] == ids[row[3]]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_row_edited_under_its_external_id_is_reported_changed_not_sent(
    provider: str, tmp_path: Path
) -> None:
    sandbox = CountingSandbox()
    rows = ten_rows(ids=True)
    path = write_csv(tmp_path / "clients.csv", rows)
    run(provider, path, sandbox)
    rows[3][2] = "Renamed"
    rows.insert(1, ["Firm 99", "Person", "N99", "p99@example.com", "C99"])  # it moves, too
    write_csv(path, rows)
    code, report = run(provider, path, sandbox)
    assert code == 1
    assert sandbox.sent == Counter(valid_emails(rows))
    assert outcomes(report)[3] == ("5", "failed")
    assert "changed since an earlier run created it" in report[3]["error"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_row_edited_under_its_email_is_reported_changed_not_created_again(
    provider: str, tmp_path: Path
) -> None:
    sandbox = CountingSandbox()
    rows = ten_rows()  # no external id: the email names the client
    path = write_csv(tmp_path / "clients.csv", rows)
    run(provider, path, sandbox)
    rows[3][2] = "Renamed"
    rows.insert(1, ["Firm 99", "Person", "N99", "p99@example.com"])
    write_csv(path, rows)
    code, report = run(provider, path, sandbox)
    assert code == 1
    assert sandbox.sent == Counter(valid_emails(rows))  # the edited client is not sent twice
    assert outcomes(report)[3] == ("5", "failed")
    assert "changed since an earlier run created it" in report[3]["error"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_identical_rows_are_told_apart_by_their_occurrence(provider: str, tmp_path: Path) -> None:
    sandbox = CountingSandbox()
    rows = people(4)
    rows.append(rows[2])  # the same row twice: lines 4 and 6
    path = write_csv(tmp_path / "clients.csv", rows)
    _, before = run(provider, path, sandbox)
    first = sandbox.sent.copy()
    rows.insert(1, ["Firm 99", "Person", "N99", "p99@example.com"])
    write_csv(path, rows)
    _, report = run(provider, path, sandbox)
    assert sandbox.sent == first + Counter(["p99@example.com"])  # only the new row
    assert outcomes(report)[0] == ("2", "created")
    # each copy keeps its own outcome (a provider that refuses the second one failed it)
    assert [line["outcome"] for line in report[1:]] == [
        "skipped" if line["outcome"] == "created" else line["outcome"] for line in before
    ]


def test_a_journal_holds_no_client_data(tmp_path: Path) -> None:
    sandbox = CountingSandbox()
    path = write_csv(tmp_path / "clients.csv", people(3, ids=True))
    run(PROVIDERS[0], path, sandbox)
    journal = path.with_name("journal.sqlite")
    assert b"p1@example.com" not in journal.read_bytes()
    with closing(sqlite3.connect(journal)) as db:
        keys = [key for (key,) in db.execute("SELECT key FROM rows")]
    assert len(keys) == 3
    assert all(key.startswith("id:") and "C1" not in key for key in keys)  # a digest


# ---------------------------------------------------------------- journals of schema 2


def schema_2_journal(
    path: Path, layout_from: Path, rows: dict[int, tuple[str, str | None]], *, schema: int = 2
) -> None:
    """A journal as clientbridge wrote it before rows had identities: keyed by line, with
    the digests of the rows of ``layout_from`` on those lines (schema 1: without the
    connection column)."""
    from clientbridge.importer import open_source

    with open_source(layout_from) as source:
        layout = source.layout
        digests = {row.line: row.digest for row in source.rows()}
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        connection = "connection TEXT NOT NULL DEFAULT ''," if schema == 2 else ""
        first = "'', " if schema == 2 else ""
        db.execute(
            f"CREATE TABLE rows ({connection} row INTEGER NOT NULL, "
            "digest TEXT NOT NULL, state TEXT NOT NULL, client_id TEXT, error TEXT, "
            "attempts INTEGER NOT NULL DEFAULT 0, updated_at REAL NOT NULL, "
            f"PRIMARY KEY ({'connection, ' if schema == 2 else ''}row))"
        )
        db.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("schema", str(schema)), ("layout", layout), ("source", str(layout_from))],
        )
        db.executemany(
            f"INSERT INTO rows VALUES ({first}?, ?, ?, ?, 'refused', 1, 0)",
            [(line, digests[line], state, client_id) for line, (state, client_id) in rows.items()],
        )


def target_of(path: Path, fake: FakeRoostedHR) -> str:
    """The target fingerprint an import into ``fake`` records (from a throwaway run)."""
    scratch = write_csv(path.with_name("scratch.csv"), people(1))
    import_into(scratch, fake, "--journal", str(path.with_name("scratch.sqlite")))
    with closing(sqlite3.connect(path.with_name("scratch.sqlite"))) as db:
        return str(db.execute("SELECT value FROM meta WHERE key = 'target'").fetchone()[0])


def test_a_schema_2_journal_is_converted_by_reading_the_file(tmp_path: Path) -> None:
    fake = FakeRoostedHR()
    path = write_csv(tmp_path / "clients.csv", people(3))
    journal = tmp_path / "clients.csv.journal.sqlite"
    schema_2_journal(journal, path, {2: ("created", "r7"), 3: ("failed", None)})
    with closing(sqlite3.connect(journal)) as db, db:
        db.execute("INSERT INTO meta VALUES ('target', ?)", (target_of(path, fake),))
    fake.requests.clear()
    code, report, output = import_into(path, fake)
    assert code == 1, output
    assert [(line["outcome"], line["id"]) for line in report] == [
        ("skipped", "r7"),
        ("failed", ""),  # as the old journal said
        ("created", "r2"),  # r1: the throwaway run's
    ]
    with closing(sqlite3.connect(journal)) as db:
        schema = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0]
    assert schema == SCHEMA_VERSION
    rows = people(3)
    rows.insert(1, ["Firm 0", "Person", "N0", "p0@example.com"])  # now the file can change
    write_csv(path, rows)
    sent = len(fake.creates)
    code, report, output = import_into(path, fake)
    assert [(line["outcome"], line["id"]) for line in report] == [
        ("created", "r3"),
        ("skipped", "r7"),
        ("failed", ""),
        ("skipped", "r2"),
    ]
    assert len(fake.creates) == sent + 1


def test_a_schema_2_journal_is_refused_when_the_file_changed_under_a_created_row(
    tmp_path: Path,
) -> None:
    fake = FakeRoostedHR()
    path = write_csv(tmp_path / "clients.csv", people(3))
    journal = tmp_path / "clients.csv.journal.sqlite"
    schema_2_journal(journal, path, {2: ("created", "r7"), 3: ("created", "r8")})
    with closing(sqlite3.connect(journal)) as db, db:
        db.execute("INSERT INTO meta VALUES ('target', ?)", (target_of(path, fake),))
    fake.requests.clear()
    rows = people(3)
    rows.insert(1, ["Firm 0", "Person", "N0", "p0@example.com"])
    write_csv(path, rows)
    code, _, output = import_into(path, fake)
    assert code == 2
    assert "knew rows by their line" in output
    assert "line 2 is no longer the row it journaled (created as r7)" in output
    assert fake.requests == []
    with closing(sqlite3.connect(journal)) as db:  # left as it was
        assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0] == "2"


def test_the_summary_counts_sent_rows_no_longer_in_the_file(tmp_path: Path) -> None:
    fake = FakeRoostedHR()
    path = write_csv(tmp_path / "clients.csv", people(4))
    import_into(path, fake)
    rows = people(4)
    del rows[1]  # deleted
    rows[1][3] = "edited@example.com"  # edited, without an external id: another row
    write_csv(path, rows)
    _, report, output = import_into(path, fake)
    assert [line["outcome"] for line in report] == ["created", "skipped", "skipped"]
    assert "2 rows an earlier run created (or may have) are no longer in the file" in output
    _, report, output = import_into(path, fake)  # the journal still holds them
    assert "2 rows an earlier run created" in output


def test_the_summary_says_nothing_of_missing_rows_when_the_file_is_whole(tmp_path: Path) -> None:
    fake = FakeRoostedHR()
    path = write_csv(tmp_path / "clients.csv", people(4))
    import_into(path, fake)
    _, _, output = import_into(path, fake)
    assert "no longer in the file" not in output


def test_a_schema_1_journal_is_converted_too(tmp_path: Path) -> None:
    fake = FakeRoostedHR()
    path = write_csv(tmp_path / "clients.csv", people(2))
    journal = tmp_path / "clients.csv.journal.sqlite"
    schema_2_journal(journal, path, {2: ("created", "r7")}, schema=1)
    with closing(sqlite3.connect(journal)) as db, db:
        db.execute("INSERT INTO meta VALUES ('target', ?)", (target_of(path, fake),))
    code, report, output = import_into(path, fake)
    assert code == 0, output
    assert [(line["outcome"], line["id"]) for line in report] == [
        ("skipped", "r7"),
        ("created", "r2"),
    ]


def test_the_default_journal_follows_the_file_a_symlink_points_to(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    path = write_csv(data / "clients.csv", people(3))
    link = tmp_path / "latest.csv"
    link.symlink_to(path)
    fake = FakeRoostedHR()
    args = ["import", str(path), *ROOSTED]
    assert invoke(args, fake.transport).exit_code == 0
    assert (data / "clients.csv.journal.sqlite").exists()
    # The same file reached through a symlink resumes: nothing is sent twice.
    result = invoke(["import", str(link), *ROOSTED], fake.transport)
    assert result.exit_code == 0, result.output
    assert len(fake.creates) == 3
    assert not (tmp_path / "latest.csv.journal.sqlite").exists()


def test_an_email_written_in_nfd_and_in_nfc_is_one_identity(tmp_path: Path) -> None:
    """Two spellings of one address (a decomposed é from one tool, a composed one from
    another) name one client: the second row is the same identity's second occurrence."""
    import unicodedata

    from clientbridge.importer import open_source
    from clientbridge.importer.rows.schema import base_identity, identify

    composed = "zoé@example.com"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    path = tmp_path / "clients.csv"
    path.write_text(
        f"first_name,email\nZoe,{decomposed}\nZoe,{composed}\nAda,ada@example.com\n",
        encoding="utf-8",
    )
    with open_source(path) as source:
        rows = list(identify(source.rows()))
    assert rows[0].client is not None
    assert rows[0].client.email == composed  # the model keeps one spelling (NFC)
    assert base_identity(rows[0]) == base_identity(rows[1])
    assert rows[0].digest != rows[1].digest  # the content differs: a changed row is noticed
    assert [row.key for row in rows[:2]] == [rows[0].key, rows[0].key + "#1"]
    assert base_identity(rows[2]) != base_identity(rows[0])
