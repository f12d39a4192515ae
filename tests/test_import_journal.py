"""The import journal: resume without creating anything twice, whatever happened before."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from clientbridge import AsyncConnection
from clientbridge.importer import ImportSetupError, Journal
from clientbridge.importer.rows.check import JournalWriteError

from .conftest import CANARY
from .import_fakes import (
    ROOSTED,
    FakeRoostedHR,
    import_into,
    in_waves,
    invoke,
    journal_rows,
    people,
    set_state,
    write_csv,
)


@pytest.fixture
def clients(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "clients.csv", people(5))


def run(clients: Path, fake: FakeRoostedHR, *extra: str) -> tuple[int, list[dict[str, str]]]:
    code, rows, _ = import_into(clients, fake, *extra)
    return code, rows


def test_the_journal_sits_next_to_the_input_in_wal_mode(clients: Path) -> None:
    run(clients, FakeRoostedHR())
    journal = clients.with_name("clients.csv.journal.sqlite")
    with closing(sqlite3.connect(journal)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert journal_rows(journal) == {line: ("created", f"r{line - 1}") for line in range(2, 7)}


def test_the_journal_holds_no_credential(clients: Path) -> None:
    run(clients, FakeRoostedHR())
    journal = clients.with_name("clients.csv.journal.sqlite")
    assert CANARY.encode() not in journal.read_bytes()


def test_created_rows_are_skipped_with_their_id(clients: Path) -> None:
    fake = FakeRoostedHR()
    run(clients, fake)
    code, rows = run(clients, fake)
    assert code == 0
    assert len(fake.creates) == 5  # nothing sent the second time
    assert [(row["outcome"], row["id"]) for row in rows] == [
        ("skipped", f"r{n}") for n in range(1, 6)
    ]


def test_failed_rows_are_sent_again_only_with_retry_failed(clients: Path) -> None:
    fake = FakeRoostedHR()
    fake.fail = {"p2@example.com": 503}
    assert run(clients, fake, "--set", "max_retries=0")[0] == 1
    fake.fail = {}
    code, rows = run(clients, fake)
    assert code == 1
    assert len(fake.creates) == 5  # not sent again
    assert rows[1]["outcome"] == "failed"
    assert "--retry-failed" in rows[1]["error"]
    code, rows = run(clients, fake, "--retry-failed")
    assert code == 0
    assert rows[1]["outcome"] == "created"
    assert fake.created_emails().count("p2@example.com") == 1


def test_a_fixed_failed_row_is_sent_again_without_a_flag(tmp_path: Path) -> None:
    fake = FakeRoostedHR()
    path = write_csv(tmp_path / "clients.csv", [*people(1), ["Firm 2", "P", "Q", "not-an-email"]])
    run(path, fake)
    write_csv(path, [*people(1), ["Firm 2", "P", "Q", "fixed@example.com"]])
    code, rows = run(path, fake)
    assert code == 0
    assert [row["outcome"] for row in rows] == ["skipped", "created"]


def test_unknown_rows_are_never_sent_again_while_nothing_can_check_them(clients: Path) -> None:
    fake = FakeRoostedHR()
    fake.fail = {"p3@example.com": 500}
    code, rows = run(clients, fake)
    assert (code, rows[2]["outcome"]) == (1, "unknown")
    fake.fail = {}
    fake.list_status = 500  # the look-up cannot settle it
    for _ in range(2):
        code, rows = run(clients, fake, "--set", "max_retries=0")
        assert (code, rows[2]["outcome"]) == (1, "unknown")
        assert "HTTP 500" in rows[2]["error"]
    assert [request for request in fake.creates if b"p3@" in request.content] == [fake.creates[2]]
    code, rows = run(clients, fake, "--retry-unknown", "--yes", "--set", "max_retries=0")
    assert (code, rows[2]["outcome"]) == (0, "resent")


def test_retry_unknown_counts_an_already_exists_answer_as_created(clients: Path) -> None:
    fake = FakeRoostedHR()
    fake.fail = {"p3@example.com": 500}
    run(clients, fake)
    fake.fail = {"p3@example.com": 409}  # the first attempt did create it
    # A short settle window: the run still waits it out and looks p3 up again (not 40 s).
    code, rows = run(clients, fake, "--retry-unknown", "--settle-after", "0.5")
    assert code == 0
    assert rows[2]["outcome"] == "created"
    assert "already exists" in rows[2]["warnings"]
    code, rows = run(clients, fake)
    assert rows[2]["outcome"] == "skipped"


def test_a_row_left_sending_is_reported_unknown_and_not_sent(clients: Path) -> None:
    fake = FakeRoostedHR()
    run(clients, fake)
    journal = clients.with_name("clients.csv.journal.sqlite")
    set_state(journal, 4, "sending")  # as a killed import leaves it
    fake.list_status = 500  # the look-up cannot settle it
    code, rows = run(clients, fake, "--set", "max_retries=0")
    assert code == 1
    assert rows[2]["outcome"] == "unknown"
    assert "stopped while this row was being sent" in rows[2]["error"]
    assert len(fake.creates) == 5
    assert journal_rows(journal)[4][0] == "unknown"


def test_an_invalid_row_left_sending_is_failed_not_unknown(tmp_path: Path) -> None:
    fake = FakeRoostedHR()
    path = write_csv(tmp_path / "clients.csv", [*people(1), ["Firm 2", "P", "Q", "not-an-email"]])
    run(path, fake)
    set_state(path.with_name("clients.csv.journal.sqlite"), 3, "sending")
    _, rows = run(path, fake)
    assert rows[1]["outcome"] == "failed"  # it could not have been sent
    assert "email" in rows[1]["error"]


def test_a_changed_row_that_was_created_is_not_sent_again(clients: Path) -> None:
    fake = FakeRoostedHR()
    write_csv(clients, people(5, ids=True))
    run(clients, fake)
    rows = people(5, ids=True)
    rows[2][3] = "new-address@example.com"  # same external id, other content
    write_csv(clients, rows)
    code, report = run(clients, fake)
    assert code == 1
    assert report[1]["outcome"] == "failed"
    assert "changed since an earlier run created it as r2" in report[1]["error"]
    assert len(fake.creates) == 5


def test_a_changed_row_without_an_external_id_is_another_row(clients: Path) -> None:
    fake = FakeRoostedHR()
    run(clients, fake)
    rows = people(5)
    rows[2][3] = "new-address@example.com"
    write_csv(clients, rows)
    code, report = run(clients, fake)
    assert code == 0
    assert [row["outcome"] for row in report] == ["skipped", "created", *["skipped"] * 3]
    assert fake.created_emails()[-1] == "new-address@example.com"


def test_a_journal_for_another_target_is_refused(clients: Path) -> None:
    fake = FakeRoostedHR()
    run(clients, fake)
    other = ["--set", "base_url=https://staging.roostedhr.example"]
    result = invoke(["import", str(clients), *ROOSTED, *other], fake.transport)
    assert result.exit_code == 2
    assert "records an import into roostedhr base_url=https://api.roostedhr.com" in result.stderr
    assert len(fake.creates) == 5


def test_a_file_with_other_columns_is_refused(clients: Path) -> None:
    fake = FakeRoostedHR()
    run(clients, fake)
    rows = [[*row, "x"] for row in people(5)]
    rows[0][-1] = "Source"
    write_csv(clients, rows)
    result = invoke(["import", str(clients), *ROOSTED], fake.transport)
    assert result.exit_code == 2
    assert "the columns of" in result.stderr
    assert len(fake.creates) == 5


def test_a_journal_in_use_by_another_import_is_refused(clients: Path) -> None:
    path = clients.with_name("clients.csv.journal.sqlite")
    journal = Journal.open(path, target="t", layout="l", source="s")
    try:
        with pytest.raises(ImportSetupError, match="in use by another import"):
            Journal.open(path, target="t", layout="l", source="s")
    finally:
        journal.close()
    Journal.open(path, target="t", layout="l", source="s").close()


def test_a_file_that_is_not_a_journal_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("my notes", encoding="utf-8")
    with pytest.raises(ImportSetupError, match="not a clientbridge journal"):
        Journal.open(path, target="t", layout="l", source="s")


def test_no_journal_means_every_row_is_sent_again(clients: Path) -> None:
    fake = FakeRoostedHR()
    run(clients, fake, "--no-journal")
    code, _ = run(clients, fake, "--no-journal")
    assert code == 0
    assert len(fake.creates) == 10
    assert not list(clients.parent.glob("*.sqlite"))


CRASHING_IMPORT = """
import os, sys
import httpx
from clientbridge.cli import CliContext, cli

sent = 0

def answer(request):
    global sent
    sent += 1
    if sent == 3:
        os._exit(9)  # killed while the third request is in flight
    body = __import__("json").loads(request.content)
    return httpx.Response(201, json={"id": f"r{sent}", **body})

cli.main(
    args=sys.argv[1:],
    obj=CliContext(lambda provider, asynchronous: httpx.MockTransport(answer)),
)
"""


def test_a_killed_import_resumes_without_sending_anything_twice(clients: Path) -> None:
    script = clients.with_name("crash.py")
    script.write_text(textwrap.dedent(CRASHING_IMPORT), encoding="utf-8")
    args = ["import", str(clients), *ROOSTED, "--concurrency", "1"]
    crashed = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, timeout=60, check=False
    )
    assert crashed.returncode == 9, crashed.stderr
    journal = clients.with_name("clients.csv.journal.sqlite")
    # Committed before the third request left: two created, the third "sending".
    assert journal_rows(journal) == {
        2: ("created", "r1"),
        3: ("created", "r2"),
        4: ("sending", None),
    }
    fake = FakeRoostedHR()
    fake.list_status = 500  # the look-up cannot settle it
    code, rows = run(clients, fake, "--set", "max_retries=0")
    assert code == 1
    assert [row["outcome"] for row in rows] == [
        "skipped",
        "skipped",
        "unknown",
        "created",
        "created",
    ]
    assert fake.created_emails() == ["p4@example.com", "p5@example.com"]


def test_an_unknown_row_stays_unknown_when_its_retry_is_refused(clients: Path) -> None:
    fake = FakeRoostedHR()
    fake.fail = {"p3@example.com": 500}
    run(clients, fake)
    fake.fail, fake.key = {}, "rotated-key"
    code, rows = run(clients, fake, "--retry-unknown", "--yes")  # the look-up fails too
    assert code == 2
    assert rows[2]["outcome"] == "unknown"
    assert "HTTP 401" in rows[2]["error"]
    fake.key = CANARY
    fake.list_status = 500  # the look-up cannot settle it
    code, rows = run(clients, fake, "--set", "max_retries=0")  # still never sent on its own
    assert (code, rows[2]["outcome"]) == (1, "unknown")
    assert fake.created_emails().count("p3@example.com") == 0


def test_every_row_is_committed_sending_before_its_request_leaves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers that are ready together share one commit (group commit), but no request
    leaves before the commit that holds its row's mark: a crash at any moment cannot
    hide a row that was sent."""
    clients = write_csv(tmp_path / "clients.csv", people(64))
    committed: set[int] = set()
    commits = 0
    original = Journal.commit

    def spy(journal: Journal) -> None:
        nonlocal commits
        original(journal)
        commits += 1
        committed.update(line for (line,) in journal._db.execute("SELECT row FROM rows"))

    original_create_many = AsyncConnection.create_many

    async def create_many(conn: AsyncConnection, clients: Any, **options: Any) -> Any:
        """The moment the importer hands rows to the connection: they must be committed."""
        for client in clients:
            number = int(client.email[1:].split("@")[0])
            if number + 1 not in committed:  # the row's line (after the header)
                sent_uncommitted.append(number)
        return await original_create_many(conn, clients, **options)

    fake = FakeRoostedHR()
    sent_uncommitted: list[int] = []
    monkeypatch.setattr(Journal, "commit", spy)
    monkeypatch.setattr(AsyncConnection, "create_many", create_many)
    # Answered in waves of eight: the eight workers are ready at the same time.
    result = invoke(
        ["import", str(clients), *ROOSTED, "--concurrency", "8"], in_waves(fake.answer, 8)
    )
    assert result.exit_code == 0, result.output
    assert len(fake.created) == 64
    assert sent_uncommitted == []
    assert commits < 64 / 2  # workers ready together share a commit


def test_writes_that_could_not_be_written_are_kept_for_the_next_commit(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    journal = Journal.open(path, target="t", layout="l", source="s")
    journal.mark_sending([("k2", 2, "d2"), ("k3", 3, "d3")])
    journal.commit()
    journal.record("k2", 2, "d2", "created", client_id="r1")
    journal.record("k3", 3, "d3", "failed", error="refused")
    db = journal._db

    class DiskFull:
        """The journal's SQLite connection, with a disk that is full for one write."""

        def __getattr__(self, name: str) -> Any:
            return getattr(db, name)

        def executemany(self, statement: str, parameters: Any) -> None:
            raise sqlite3.OperationalError("database or disk is full")

    journal._db = DiskFull()  # type: ignore[assignment]
    with pytest.raises(JournalWriteError, match="disk is full"):
        journal.commit()
    journal._db = db
    journal.close()
    assert journal_rows(path) == {2: ("created", "r1"), 3: ("failed", None)}
