"""A journal is trusted only when whole, outputs never overwrite what the import reads, and a
journal that holds nothing sent follows a fixed target (in process; the real processes are
in test_reliability_journal.py)."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

from clientbridge.importer import ImportOptions, ImportSetupError, Journal, open_source, run_import

from .import_fakes import (
    ROOSTED,
    FakeRoostedHR,
    invoke,
    journal_rows,
    no_requests,
    people,
    set_state,
    write_csv,
)


@pytest.fixture
def clients(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "clients.csv", people(5))


def journal_check() -> Any:
    """The integrity-check module (imported by each test: a test fails, not the module)."""
    from clientbridge.importer.rows import check as journal_check

    return journal_check


def open_journal(path: Path, target: str = "t") -> Journal:
    return Journal.open(path, target=target, layout="l", source="s")


# ---------------------------------------------------------------------- outputs


@pytest.mark.parametrize("link", [os.symlink, os.link])
def test_a_report_reaching_the_input_through_a_link_is_refused(clients: Path, link: object) -> None:
    report = clients.with_name("report.csv")
    link(clients, report)  # type: ignore[operator]
    before = clients.read_bytes()
    result = invoke(["import", str(clients), "--provider", "roostedhr", "--sandbox",
                     "--report", str(report)], no_requests)  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "is also the input file" in result.output
    assert clients.read_bytes() == before


def test_a_journal_naming_the_input_is_refused(clients: Path) -> None:
    before = clients.read_bytes()
    result = invoke(
        ["import", str(clients), "--provider", "roostedhr", "--sandbox", "--journal", str(clients)],
        no_requests,
    )
    assert result.exit_code == 2, result.output
    assert "the journal" in result.output
    assert "is also the input file" in result.output
    assert clients.read_bytes() == before


def test_the_python_api_refuses_a_report_on_its_input_too(clients: Path) -> None:
    import click

    from clientbridge.cli._base import CliContext
    from clientbridge.cli.target import TargetOptions, build_target

    with click.Context(click.Command("x"), obj=CliContext(no_requests)) as ctx:
        target = build_target(ctx, TargetOptions(provider="roostedhr", sandbox=True))
    before = clients.read_bytes()
    with open_source(clients) as source, pytest.raises(ImportSetupError, match="input file"):
        run_import(source, target, ImportOptions(progress="none"), journal=None, report=clients)
    assert clients.read_bytes() == before


def test_a_report_that_cannot_be_written_stops_a_dry_run_cleanly(clients: Path) -> None:
    result = invoke(
        ["import", str(clients), "--provider", "roostedhr", "--sandbox", "--dry-run",
         "--report", "/dev/full", "--progress", "none"],
        no_requests,
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "cannot write the report /dev/full" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# ---------------------------------------------------------------------- opening


def test_an_sqlite_file_of_another_program_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    other = tmp_path / "app.sqlite"
    with closing(sqlite3.connect(other)) as db, db:
        db.execute("CREATE TABLE notes (text TEXT)")
    before = other.read_bytes()
    with pytest.raises(journal_check().JournalDamagedError, match="not a clientbridge journal"):
        open_journal(other)
    assert other.read_bytes() == before


def test_an_empty_journal_file_is_refused_not_taken_for_a_new_journal(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    path.touch()
    with pytest.raises(journal_check().JournalDamagedError, match="empty file") as refused:
        open_journal(path)
    assert "--journal" not in str(refused.value)
    assert path.stat().st_size == 0


def test_a_truncated_journal_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with open_journal(path) as journal:
        for line in range(2, 2_000):
            journal.record(f"k{line}", line, "d", "created", client_id=f"c{line}")
    os.truncate(path, path.stat().st_size // 2)
    with pytest.raises(journal_check().JournalDamagedError, match="damaged"):
        open_journal(path)


def test_a_new_journal_appears_whole_and_leaves_nothing_beside_it(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    open_journal(path).close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal.sqlite"]
    with closing(sqlite3.connect(path)) as db:
        meta = dict(db.execute("SELECT key, value FROM meta"))
    assert meta["target"] == "t"
    assert meta["schema"]


def test_a_replaced_write_ahead_log_is_saved_into_the_journal_and_stops_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.sqlite"
    journal = open_journal(path)
    wal = path.with_name(path.name + "-wal")
    journal.record("k2", 2, "d", "created", client_id="c2")
    journal.commit()
    os.replace(tmp_path / _copy(wal, tmp_path / "other"), wal)  # another file, same name
    journal.record("k3", 3, "d", "created", client_id="c3")
    with pytest.raises(journal_check().JournalLostError, match="was replaced by another file"):
        journal.commit()
    journal.close()
    # Read as a crash would leave it: the journal file alone.
    wal.unlink(missing_ok=True)
    assert journal_rows(path) == {2: ("created", "c2"), 3: ("created", "c3")}


def _copy(source: Path, target: Path) -> Path:
    target.write_bytes(source.read_bytes())
    return target


# ---------------------------------------------------------------------- another target


def test_a_journal_where_nothing_was_sent_is_bound_to_the_new_target(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with open_journal(path, "wrong url") as journal:
        journal.record("k2", 2, "d", "failed", error="refused")
    with open_journal(path, "right url") as journal:
        assert journal.rebound == {"": "wrong url"}
        assert journal.previous("k2") is None  # that target's failure is not this one's
    with open_journal(path, "right url") as journal:
        assert journal.rebound == {}


@pytest.mark.parametrize("state", ["created", "sending", "unknown"])
def test_a_journal_where_a_client_was_or_may_have_been_created_refuses_another_target(
    tmp_path: Path, state: str
) -> None:
    path = tmp_path / "journal.sqlite"
    with open_journal(path, "first") as journal:
        journal.record("k2", 2, "d", "failed", error="refused")
        journal.record("k3", 3, "d", "created", client_id="c3")
    set_state(path, 3, state)
    with pytest.raises(ImportSetupError, match="records an import into first"):
        open_journal(path, "second")


def test_fixing_the_base_url_after_every_row_was_refused_resumes(clients: Path) -> None:
    fake = FakeRoostedHR()

    def unreachable_or_fake(provider: str, asynchronous: bool) -> httpx.MockTransport:
        async def answer(request: httpx.Request) -> httpx.Response:
            if request.url.host == "wrong.example":
                raise httpx.ConnectError("connection refused", request=request)
            return fake.answer(request)

        return httpx.MockTransport(answer)

    args = ["import", str(clients), *ROOSTED, "--set", "max_retries=0"]
    wrong = invoke([*args, "--set", "base_url=https://wrong.example"], unreachable_or_fake)
    assert wrong.exit_code == 2, wrong.output
    assert "run the same command again" in wrong.output
    fixed = invoke(args, unreachable_or_fake)
    assert fixed.exit_code == 0, fixed.output
    assert "The journal recorded another target (roostedhr base_url=https://wrong.example)" in (
        " ".join(fixed.output.split())
    )
    assert len(fake.created) == 5


# ---------------------------------------------------------------------- journal check


def test_journal_check_says_whole_or_damaged(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with open_journal(path) as journal:
        journal.record("k2", 2, "d", "created", client_id="c2")
    whole = invoke(["journal", "check", str(path)])
    assert whole.exit_code == 0, whole.output
    assert f"{path}: ok" in whole.output
    assert "1 created" in whole.output
    os.truncate(path, 0)
    emptied = invoke(["journal", "check", str(path)])
    assert emptied.exit_code == 1, emptied.output
    assert f"{path}: empty" in emptied.output
    assert "journal recover" in emptied.output


# ---------------------------------------------------------------------- journal recover


def test_recovery_marks_lost_rows_unknown_where_the_provider_refuses_duplicates(
    tmp_path: Path,
) -> None:
    import click

    from clientbridge.cli._base import CliContext
    from clientbridge.cli.target import TargetOptions, build_target
    from clientbridge.importer.rows.schema import identify
    from clientbridge.importer.running.recovery import recover_journal
    from clientbridge.registry import adapter_class

    from .providers import BUILTINS

    provider = next(
        name
        for name in BUILTINS
        if adapter_class(name).capabilities.unique_email
        and not adapter_class(name).capabilities.find_existing
    )
    with click.Context(click.Command("x"), obj=CliContext(no_requests)) as ctx:
        target = build_target(ctx, TargetOptions(provider=provider, sandbox=True))
    clients = write_csv(tmp_path / "clients.csv", people(5))
    path = tmp_path / "journal.sqlite"
    with open_source(clients) as source:
        journal = Journal.open(
            path, target=target.fingerprint, layout=source.layout, source=str(clients)
        )
        with journal:
            for row in identify(source.rows()):
                if row.line <= 3:
                    key, line, digest = row.key, row.line, row.digest
                    journal.record(key, line, digest, "created", client_id=f"c{line}")
    os.truncate(path, 0)  # every row lost

    with open_source(clients) as source:
        recovery = recover_journal(path, source, target)
    assert recovery.lost == 5
    assert recovery.unknown == 5
    assert recovery.damaged.stat().st_size == 0  # kept as it was found
    assert {state for state, _ in journal_rows(path).values()} == {"unknown"}
    with open_source(clients) as source:  # a whole journal: nothing to recover
        with pytest.raises(ImportSetupError, match="is whole"):
            recover_journal(path, source, target)


def test_journal_check_of_a_journal_in_use_says_so_not_damaged(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with open_journal(path) as journal:
        journal.record("k2", 2, "d", "created", client_id="c2")
        journal.commit()
        busy = invoke(["journal", "check", str(path)])
    assert busy.exit_code == 1, busy.output
    assert f"{path}: in use" in busy.output
    assert "damaged" not in busy.output
