"""`clientbridge import`: sending, reporting, exit codes, concurrency, batching, interruption."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import CANARY
from .import_fakes import (
    ROOSTED,
    FakeRoostedHR,
    deadline,
    in_waves,
    invoke,
    no_requests,
    people,
    read_report,
    write_csv,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "clients.csv"


def test_every_row_is_created_and_reported_in_input_order(tmp_path: Path) -> None:
    fake = FakeRoostedHR()
    path = write_csv(tmp_path / "clients.csv", people(12))
    report = tmp_path / "report.csv"
    result = invoke(["import", str(path), *ROOSTED, "--report", str(report)], fake.transport)
    assert result.exit_code == 0, result.output
    assert len(fake.creates) == 12
    rows = read_report(report)
    assert list(rows[0]) == ["row", "outcome", "id", "error", "warnings"]
    assert [row["row"] for row in rows] == [str(line) for line in range(2, 14)]
    assert {row["outcome"] for row in rows} == {"created"}
    assert sorted(row["id"] for row in rows) == sorted(f"r{n}" for n in range(1, 13))
    assert "12 created" in result.stdout


def test_a_row_that_cannot_become_a_client_fails_alone(tmp_path: Path) -> None:
    fake = FakeRoostedHR()
    rows = [*people(2), ["Firm 3", "Person", "N3", "not-an-email"], ["Firm 4", "x"]]
    path = write_csv(tmp_path / "clients.csv", rows)
    report = tmp_path / "report.csv"
    result = invoke(["import", str(path), *ROOSTED, "--report", str(report)], fake.transport)
    assert result.exit_code == 1
    outcomes = {row["row"]: (row["outcome"], row["error"]) for row in read_report(report)}
    assert outcomes["2"][0] == outcomes["3"][0] == "created"
    assert outcomes["4"][0] == "failed"
    assert "email: is not a valid email address" in outcomes["4"][1]
    assert outcomes["5"][0] == "failed"
    assert "2 cells but the header has 4" in outcomes["5"][1]
    assert len(fake.creates) == 2


def test_dropped_field_warnings_go_into_the_report(tmp_path: Path) -> None:
    fake = FakeRoostedHR()
    path = write_csv(
        tmp_path / "c.csv", [["Company", "Email", "Phone"], ["Acme", "a@x.com", "+44 7911 123456"]]
    )
    report = tmp_path / "report.csv"
    invoke(["import", str(path), *ROOSTED, "--report", str(report)], fake.transport)
    [row] = read_report(report)
    assert row["warnings"] == "phone is not supported by roostedhr and was not sent"


def test_provider_errors_are_failed_or_unknown_rows_with_the_reason(tmp_path: Path) -> None:
    fake = FakeRoostedHR()
    fake.fail = {"p2@example.com": 422, "p3@example.com": 500, "p4@example.com": 409}
    path = write_csv(tmp_path / "clients.csv", people(4))
    report = tmp_path / "report.csv"
    result = invoke(["import", str(path), *ROOSTED, "--report", str(report)], fake.transport)
    assert result.exit_code == 1
    rows = {row["row"]: row for row in read_report(report)}
    assert rows["2"]["outcome"] == "created"
    assert rows["3"]["outcome"] == "failed"
    assert "HTTP 422" in rows["3"]["error"]
    assert rows["4"]["outcome"] == "unknown"
    assert "HTTP 500" in rows["4"]["error"]
    assert "looks it up" in rows["4"]["error"]  # what running again does
    assert rows["5"]["outcome"] == "failed"
    assert "already exists" in rows["5"]["error"]
    assert "1 row may have been created" in result.stdout


def test_dry_run_sends_nothing_and_prints_requests_without_secrets(tmp_path: Path) -> None:
    rows = [*people(3), ["Firm 4", "Person", "N4", "not-an-email"]]
    path = write_csv(tmp_path / "clients.csv", rows)
    report = tmp_path / "report.csv"
    result = invoke(
        ["import", str(path), *ROOSTED, "--dry-run", "--show", "2", "--report", str(report)],
        no_requests,
    )
    assert result.exit_code == 1  # one row is invalid
    assert result.stdout.count("POST https://api.roostedhr.com/api/1_12/clients") == 2
    assert "X-API-KEY: ***" in result.stdout
    assert '"client_name": "Firm 1"' in result.stdout
    assert "1 more valid rows not shown" in result.stdout
    assert "Dry run, nothing sent" in result.stdout
    assert CANARY not in result.output
    assert [row["outcome"] for row in read_report(report)] == ["valid"] * 3 + ["failed"]
    assert not list(tmp_path.glob("*.sqlite"))  # no journal either


def test_dry_run_of_a_valid_file_exits_zero(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "clients.csv", people(2))
    result = invoke(["import", str(path), *ROOSTED, "--dry-run"], no_requests)
    assert result.exit_code == 0, result.output


def test_unknown_columns_are_a_usage_error_before_anything_is_sent(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [["Email", "Shoe size"], ["a@x.com", "9"]])
    result = invoke(["import", str(path), *ROOSTED], no_requests)
    assert result.exit_code == 2
    assert "unknown column: 'Shoe size'" in result.stderr
    assert "Traceback" not in result.output


def test_ignore_unknown_columns_and_map_options(tmp_path: Path) -> None:
    fake = FakeRoostedHR()
    path = write_csv(
        tmp_path / "c.csv", [["Firm", "Mail", "Shoe size"], ["Acme", "a@example.com", "9"]]
    )
    args = ["import", str(path), *ROOSTED, "--map", "Firm=company_name", "--map", "Mail=email"]
    result = invoke([*args, "--ignore-unknown-columns"], fake.transport)
    assert result.exit_code == 0, result.output
    assert fake.created[0]["client_name"] == "Acme"
    assert fake.created[0]["client_contact_email"] == "a@example.com"


def test_jsonl_files_are_imported(tmp_path: Path) -> None:
    fake = FakeRoostedHR()
    path = tmp_path / "clients.jsonl"
    path.write_text(
        '{"company_name": "Acme", "email": "a@example.com"}\n{"company_name": "Beta"}\n',
        encoding="utf-8",
    )
    result = invoke(["import", str(path), *ROOSTED], fake.transport)
    assert result.exit_code == 0, result.output
    assert [record["client_name"] for record in fake.created] == ["Acme", "Beta"]


def test_configuration_errors_exit_2_without_a_traceback(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "clients.csv", people(1))
    result = invoke(["import", str(path), "--provider", "roostedhr"], no_requests)
    assert result.exit_code == 2
    assert "missing setting 'api_key'" in result.stderr
    assert "Traceback" not in result.output


def test_exit_zero_turns_failed_rows_into_success(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "clients.csv", [*people(1), ["F", "P", "Q", "not-an-email"]])
    result = invoke(["import", str(path), *ROOSTED, "--exit-zero"], FakeRoostedHR().transport)
    assert result.exit_code == 0
    assert "1 failed" in result.stdout


def test_a_bad_credential_stops_the_import_and_rows_are_sent_next_time(tmp_path: Path) -> None:
    fake = FakeRoostedHR(key="the-right-key")
    path = write_csv(tmp_path / "clients.csv", people(30))
    result = invoke(["import", str(path), *ROOSTED, "--concurrency", "2"], fake.transport)
    assert result.exit_code == 2
    assert "Stopped:" in result.stdout
    assert "HTTP 401" in result.stdout
    assert len(fake.creates) < 30  # it stopped early instead of hammering the provider
    fake.key = CANARY  # the credential is fixed
    again = invoke(["import", str(path), *ROOSTED], fake.transport)
    assert again.exit_code == 0, again.output
    assert sorted(fake.created_emails()) == sorted(f"p{n}@example.com" for n in range(1, 31))


def test_concurrency_bounds_the_requests_in_flight(tmp_path: Path) -> None:
    fake = FakeRoostedHR(latency=0.02)
    path = write_csv(tmp_path / "clients.csv", people(24))
    result = invoke(["import", str(path), *ROOSTED, "--concurrency", "3"], fake.transport)
    assert result.exit_code == 0, result.output
    assert len(fake.created) == 24
    assert fake.max_in_flight == 3


class FakeAgencyHandy:
    """AgencyHandy's company look-up and bulk create, answered in the documented seed shape."""

    def __init__(self) -> None:
        self.bulk_sizes: list[int] = []
        self.lookups = 0

    def answer(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/accounts/companies":
            self.lookups += 1
            return httpx.Response(200, json={"companies": [{"_id": "c" * 24, "name": "Acme"}]})
        members = json.loads(request.content)
        self.bulk_sizes.append(len(members))
        created = [
            {
                "_id": f"{len(self.bulk_sizes):04d}{index:020d}",
                "name": f"{member['firstName']} {member['lastName']}",
                "status": "New",
                "role": "client",
            }
            for index, member in enumerate(members)
        ]
        return httpx.Response(201, json={"message": "ok", "createdMembers": created})

    def transport(self, provider: str, asynchronous: bool) -> httpx.MockTransport:
        return httpx.MockTransport(self.answer)


def test_agencyhandy_rows_are_sent_at_most_200_per_request(tmp_path: Path) -> None:
    pytest.importorskip("clientbridge.adapters.agencyhandy")
    fake = FakeAgencyHandy()
    path = write_csv(tmp_path / "clients.csv", people(450))
    report = tmp_path / "report.csv"
    args = ["import", str(path), "--provider", "agencyhandy", "--set", "api_key=k"]
    result = invoke([*args, "--progress", "none", "--report", str(report)], fake.transport)
    assert result.exit_code == 0, result.output
    assert sorted(fake.bulk_sizes) == [50, 200, 200]
    assert fake.lookups == 1  # the first chunk fills the cache; the others wait for it
    assert {row["outcome"] for row in read_report(report)} == {"created"}


def test_plain_progress_lines_on_a_pipe(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "clients.csv", people(3))
    args = ["import", str(path), *ROOSTED[:4], "--progress", "plain", "--progress-interval", "0"]
    result = invoke(args, FakeRoostedHR().transport)
    assert result.exit_code == 0, result.output
    assert "clients.csv: 3 rows (100%): 3 created, 0 failed, 0 unknown, 0 skipped" in result.stderr
    assert "rows/s" in result.stderr


def test_the_progress_bar_runs(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "clients.csv", people(3))
    result = invoke(
        ["import", str(path), *ROOSTED[:4], "--progress", "bar"], FakeRoostedHR().transport
    )
    assert result.exit_code == 0, result.output
    assert "3 created" in result.stdout


def test_ctrl_c_stops_feeding_finishes_in_flight_and_resumes(tmp_path: Path) -> None:
    fake = FakeRoostedHR()

    def interrupt_at_the_fifth(request: httpx.Request) -> None:
        if len(fake.creates) == 5:
            os.kill(os.getpid(), signal.SIGINT)

    fake.on_request = interrupt_at_the_fifth
    path = write_csv(tmp_path / "clients.csv", people(40))
    report = tmp_path / "report.csv"
    args = ["import", str(path), *ROOSTED, "--concurrency", "1", "--report", str(report)]
    result = invoke(args, fake.transport)
    assert result.exit_code == 130
    assert "Stopping" in result.stderr
    assert "Interrupted. Run the same command again" in result.stdout
    created_first = len(fake.created)
    assert 5 <= created_first < 40
    assert [row["outcome"] for row in read_report(report)] == ["created"] * created_first

    fake.on_request = None
    again = invoke(args, fake.transport)
    assert again.exit_code == 0, again.output
    emails = fake.created_emails()
    assert sorted(emails) == sorted(f"p{n}@example.com" for n in range(1, 41))  # each once
    outcomes = [row["outcome"] for row in read_report(report)]
    assert outcomes == ["skipped"] * created_first + ["created"] * (40 - created_first)


@pytest.mark.parametrize("provider", ["agencyhandy", "placio", "proconvey", "roostedhr"])
def test_the_example_file_imports_into_the_sandbox(provider: str, tmp_path: Path) -> None:
    pytest.importorskip("clientbridge.sandbox")
    pytest.importorskip(f"clientbridge.adapters.{provider}")
    report = tmp_path / "report.csv"
    args = ["import", str(EXAMPLES), "--provider", provider, "--sandbox", "--report", str(report)]
    result = invoke([*args, "--progress", "none"])
    assert result.exit_code == 1  # the deliberately invalid rows
    rows = read_report(report)
    assert len(rows) == 38
    failed = {row["row"] for row in rows if row["outcome"] == "failed"}
    assert {"35", "36"} <= failed  # a bad email, a missing name
    assert len(failed) <= 4
    assert all(row["outcome"] in {"created", "failed"} for row in rows)
    assert not list(EXAMPLES.parent.glob("*.sqlite"))  # the in-process sandbox keeps no journal


def test_a_long_run_of_skipped_rows_behind_an_unsent_chunk_does_not_stall(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("clientbridge.adapters.agencyhandy")
    monkeypatch.setattr("clientbridge.importer.running.book.MAX_REORDER", 4)
    fake = FakeAgencyHandy()
    path = write_csv(tmp_path / "clients.csv", people(30))
    args = ["import", str(path), "--provider", "agencyhandy", "--set", "api_key=k"]
    args += ["--progress", "none", "--report", str(tmp_path / "report.csv")]
    assert invoke(args, fake.transport).exit_code == 0
    journal = tmp_path / "clients.csv.journal.sqlite"
    with closing(sqlite3.connect(journal)) as db, db:
        db.execute("UPDATE rows SET state = 'failed' WHERE row = 2")
    # Row 2 waits in a bulk chunk while 29 skipped rows queue up behind it in the report.
    with deadline(30):
        result = invoke([*args, "--retry-failed"], fake.transport)
    assert result.exit_code == 0, result.output
    assert fake.bulk_sizes == [30, 1]
    outcomes = [row["outcome"] for row in read_report(tmp_path / "report.csv")]
    assert outcomes == ["created"] + ["skipped"] * 29


def test_a_provider_that_cannot_be_reached_stops_the_import(tmp_path: Path) -> None:
    def unreachable(provider: str, asynchronous: bool) -> httpx.MockTransport:
        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("connection refused", request=request)

        return httpx.MockTransport(refuse)

    path = write_csv(tmp_path / "clients.csv", people(20))
    args = ["import", str(path), *ROOSTED, "--set", "max_retries=0", "--concurrency", "2"]
    result = invoke(args, unreachable)
    assert result.exit_code == 2
    assert "Stopped: POST to roostedhr failed (ConnectError" in result.stdout
    assert "the request was not sent" in result.stdout
    fake = FakeRoostedHR()
    assert invoke(args, fake.transport).exit_code == 0
    assert len(fake.created) == 20


def test_a_stop_before_the_warming_chunk_is_sent_does_not_leave_workers_waiting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("clientbridge.adapters.agencyhandy")
    from clientbridge.importer.running.book import RowBook

    # No yield while reading: the first chunk's worker has not run yet when the stop comes.
    monkeypatch.setattr("clientbridge.importer.running.run.YIELD_EVERY", 100_000)
    decide = RowBook.decide

    def ctrl_c_at_the_end_of_the_second_chunk(book: RowBook, seq: int, row: object) -> object:
        pending = decide(book, seq, row)  # type: ignore[arg-type]
        if seq == 399:  # what the signal watcher does on a first Ctrl-C
            book.summary.interrupted = True
            book.halt()
        return pending

    monkeypatch.setattr(RowBook, "decide", ctrl_c_at_the_end_of_the_second_chunk)
    fake = FakeAgencyHandy()
    path = write_csv(tmp_path / "clients.csv", people(450))
    args = ["import", str(path), "--provider", "agencyhandy", "--set", "api_key=k"]
    with deadline(30):  # the worker given the second chunk waited for a look-up never made
        result = invoke([*args, "--progress", "none", "--concurrency", "2"], fake.transport)
    assert result.exit_code == 130, result.output
    assert fake.bulk_sizes == []  # the first chunk was taken, but nothing new is sent
    assert "Interrupted. Run the same command again" in result.stdout


@pytest.mark.parametrize("late_turns", [1, 2])
def test_nothing_reaches_the_connection_after_a_stop_not_even_rows_waiting_for_a_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, late_turns: int
) -> None:
    """Workers share the journal's commits. A bad credential that stops the import while
    other workers wait for such a commit: their rows are not sent, and are sent next time."""

    from clientbridge import AsyncConnection
    from clientbridge.importer.running.book import RowBook

    stopped = False
    after_stop: list[str] = []
    stop, create_many = RowBook.halt, AsyncConnection.create_many

    def spy_stop(book: RowBook) -> None:
        nonlocal stopped
        stopped = True
        stop(book)

    async def spy_create_many(conn: AsyncConnection, clients: Any, **options: Any) -> Any:
        clients = list(clients)
        if stopped:
            after_stop.extend(client.email for client in clients)
        return await create_many(conn, clients, **options)

    monkeypatch.setattr(RowBook, "halt", spy_stop)
    monkeypatch.setattr(AsyncConnection, "create_many", spy_create_many)
    fake = FakeRoostedHR()
    fake.fail = {"p3@example.com": 401}
    path = write_csv(tmp_path / "clients.csv", people(40))
    args = ["import", str(path), *ROOSTED, "--concurrency", "4"]
    # Answered in waves of four; the refused row's answer comes a little after its wave.
    waves = in_waves(fake.answer, 4, late=b"p3@example.com", turns=late_turns)
    result = invoke(args, waves)
    assert result.exit_code == 2, result.output
    assert after_stop == []
    sent = set(fake.created_emails())
    fake.fail = {}
    assert invoke(args, fake.transport).exit_code == 0
    assert sorted(fake.created_emails(), key=lambda e: int(e[1:].split("@")[0])) == [
        f"p{number}@example.com" for number in range(1, 41)
    ]  # each once: rows held back by the stop were sent the second time, not before
    assert sent < set(fake.created_emails())
