"""A re-run finishes the job: unknown rows are settled where they can be, blind re-sends
are said and confirmed, an import that had finished is not called interrupted, and two rows
with the same email are never in flight together where the provider refuses a second one.

The settle window is given short (or the journal aged) so that nothing here waits long;
no assertion is about time.
"""

from __future__ import annotations

import importlib
import json
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from clientbridge.importer import ImportOptions, ImportSetupError
from clientbridge.registry import adapter_class, providers
from clientbridge.sandbox import Sandbox

from .import_fakes import (
    FakeRoostedHR,
    import_into,
    invoke,
    journal_rows,
    people,
    read_report,
    set_state,
    write_csv,
)

#: An hour: older than any settle window.
LONG_AGO = 3600.0


def age(journal: Path, line: int, seconds: float) -> None:
    """Make the journal say ``line`` was last written ``seconds`` ago (and nothing since)."""
    with closing(sqlite3.connect(journal)) as db, db:
        db.execute("UPDATE rows SET updated_at = ? WHERE row = ?", (time.time() - seconds, line))
        if seconds >= LONG_AGO:  # the whole run that sent it is that old
            db.execute("UPDATE rows SET updated_at = updated_at - ?", (seconds,))


@pytest.fixture
def clients(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "clients.csv", people(5))


@pytest.fixture
def journal(clients: Path) -> Path:
    return clients.with_name("clients.csv.journal.sqlite")


def crashed_with_row_4_in_flight(clients: Path, journal: Path, *, created: bool) -> FakeRoostedHR:
    """A provider that can be asked (it lists its clients), and a journal as an import
    killed while row 4 was in flight leaves it; the provider holds row 4's client if
    ``created``."""
    fake = FakeRoostedHR()
    fake.listing = True
    import_into(clients, fake)
    set_state(journal, 4, "sending")
    if not created:
        fake.created = [record for record in fake.created if record["id"] != "r3"]
    fake.requests.clear()
    return fake


# --------------------------------------------------------------------------- the settle window


def test_a_row_not_found_after_the_settle_window_is_sent_by_a_plain_rerun(
    clients: Path, journal: Path
) -> None:
    fake = crashed_with_row_4_in_flight(clients, journal, created=False)
    age(journal, 4, LONG_AGO)
    code, rows, output = import_into(clients, fake)
    assert code == 0, output
    assert rows[2]["outcome"] == "created"
    assert fake.created_emails().count("p3@example.com") == 1
    assert "1 row not found at the provider after the settle window: sent" in output
    assert journal_rows(journal)[4][0] == "created"


def test_a_row_found_after_the_window_is_skipped_and_not_sent(clients: Path, journal: Path) -> None:
    fake = crashed_with_row_4_in_flight(clients, journal, created=True)
    age(journal, 4, LONG_AGO)
    code, rows, _ = import_into(clients, fake)
    assert (code, rows[2]["outcome"], rows[2]["id"]) == (0, "skipped", "r3")
    assert fake.creates == []


def test_a_row_younger_than_the_window_is_looked_up_again_once_it_has_passed(
    clients: Path, journal: Path
) -> None:
    fake = crashed_with_row_4_in_flight(clients, journal, created=False)
    lists = 0

    def arrives_late(request: httpx.Request) -> None:
        # The killed run's request reaches the provider after the first look-up.
        nonlocal lists
        if request.method == "GET":
            lists += 1
            if lists == 2 and not any(r["id"] == "r-late" for r in fake.created):
                body = {"client_name": "Firm 3", "client_contact_name": "Person N3"}
                body["client_contact_email"] = "p3@example.com"
                fake.created.append({"id": "r-late", "pending": False, **body})

    fake.on_request = arrives_late
    code, rows, output = import_into(clients, fake, "--settle-after", "0.5")
    assert code == 0, output
    assert "Waiting" in output  # said while it waited
    assert (rows[2]["outcome"], rows[2]["id"]) == ("skipped", "r-late")
    assert fake.creates == []
    assert lists >= 2


def test_a_young_row_still_not_found_after_the_window_is_sent(clients: Path, journal: Path) -> None:
    fake = crashed_with_row_4_in_flight(clients, journal, created=False)
    code, rows, output = import_into(clients, fake, "--settle-after", "0.3")
    assert code == 0, output
    assert rows[2]["outcome"] == "created"
    assert fake.created_emails().count("p3@example.com") == 1
    assert len([r for r in fake.requests if r.method == "GET"]) >= 2  # looked up twice
    assert "1 row not found at the provider after the settle window: sent" in output


def test_a_row_whose_look_up_failed_is_not_sent(clients: Path, journal: Path) -> None:
    fake = crashed_with_row_4_in_flight(clients, journal, created=False)
    age(journal, 4, LONG_AGO)
    fake.list_status = 500
    code, rows, _ = import_into(clients, fake, "--set", "max_retries=0")
    assert (code, rows[2]["outcome"]) == (1, "unknown")
    assert fake.creates == []


def test_the_default_settle_window_is_the_timeout_plus_a_margin() -> None:
    from clientbridge.settle import SETTLE_MARGIN, settle_window

    assert settle_window(timeout=10.0, settle_after=None) == 10.0 + SETTLE_MARGIN
    assert settle_window(timeout=10.0, settle_after=2.5) == 2.5
    assert settle_window(timeout=None, settle_after=None) > SETTLE_MARGIN


def test_the_python_api_takes_the_settle_window_as_an_option(clients: Path, journal: Path) -> None:
    from clientbridge.importer.api import import_file

    fake = crashed_with_row_4_in_flight(clients, journal, created=False)
    summary = import_file(
        clients,
        "roostedhr",
        journal=journal,
        options=ImportOptions(progress="none", settle_after=0.2),
        api_key=fake.key,
        transport=httpx.MockTransport(fake.answer_async),
    )
    assert summary.exit_code == 0
    assert summary.sent_after_lookup == 1
    assert fake.created_emails().count("p3@example.com") == 1


# --------------------------------------------------------------------------- blind re-sends


def blind_provider() -> str:
    """A provider that can neither be asked nor refuses a second client with one email."""
    return next(
        name
        for name in sorted(providers())
        if not adapter_class(name).capabilities.find_existing
        and not adapter_class(name).capabilities.unique_email
    )


Transports = Callable[[str, bool], httpx.MockTransport]


def created_but_unknown(tmp_path: Path) -> tuple[Sandbox, list[str], Transports]:
    """Five rows into a sandbox of `blind_provider`; rows 3 and 5 were created but their
    answer was a 500, so the journal holds them unknown. The CLI's arguments and
    transports."""
    provider = blind_provider()
    sandbox = Sandbox()
    clients = write_csv(tmp_path / "clients.csv", people(5))
    args = ["import", str(clients), "--provider", provider, "--sandbox", "--progress", "none"]
    args += ["--journal", str(tmp_path / "journal.sqlite"), "--report", str(tmp_path / "r.csv")]
    args += ["--concurrency", "1", "--set", "max_retries=0"]

    def transport(name: str, asynchronous: bool) -> httpx.MockTransport:
        return sandbox.transport(name, asynchronous=asynchronous)

    calls = 0
    original = sandbox.handle

    def fault_on_3_and_5(name: str, request: Any) -> Any:
        nonlocal calls
        if request.method == "POST":
            calls += 1
            if calls in (2, 4):
                sandbox.inject("error_after_create", provider=name)
        return original(name, request)

    sandbox.handle = fault_on_3_and_5  # type: ignore[method-assign]
    result = invoke(args, transport)
    sandbox.handle = original  # type: ignore[method-assign]
    assert result.exit_code == 1, result.output
    rows = read_report(tmp_path / "r.csv")
    assert [row["outcome"] for row in rows] == [
        "created",
        "unknown",
        "created",
        "unknown",
        "created",
    ]
    return sandbox, args, transport


def held(sandbox: Sandbox) -> int:
    return len(sandbox.records(blind_provider()))


def test_a_blind_retry_without_yes_off_a_terminal_is_refused_and_sends_nothing(
    tmp_path: Path,
) -> None:
    sandbox, args, transport = created_but_unknown(tmp_path)
    result = invoke([*args, "--retry-unknown"], transport)
    assert result.exit_code == 2, result.output
    assert "rows 3, 5" in result.output
    assert "--yes" in result.output
    assert held(sandbox) == 5  # nothing sent


def test_a_blind_retry_with_yes_reports_the_rows_as_re_sent_without_a_check(
    tmp_path: Path,
) -> None:
    sandbox, args, transport = created_but_unknown(tmp_path)
    result = invoke([*args, "--retry-unknown", "--yes"], transport)
    assert result.exit_code == 0, result.output
    rows = read_report(tmp_path / "r.csv")
    assert [row["outcome"] for row in rows] == ["skipped", "resent", "skipped", "resent", "skipped"]
    assert all("re-sent without a check" in rows[i]["warnings"] for i in (1, 3))
    assert "2 re-sent without a check" in result.output
    assert " 0 created" in result.output
    assert held(sandbox) == 7  # the earlier attempts had created them: now twice


@pytest.mark.parametrize(("answer", "sent"), [("y\n", True), ("n\n", False)])
def test_on_a_terminal_a_blind_retry_lists_the_rows_and_asks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answer: str, sent: bool
) -> None:
    sandbox, args, transport = created_but_unknown(tmp_path)
    command_module = importlib.import_module("clientbridge.cli.import_")
    monkeypatch.setattr(command_module, "on_a_terminal", lambda: True)
    result = invoke(
        [*args, "--retry-unknown"],
        transport,
        input=answer,
    )
    assert "rows 3, 5" in result.output
    assert "Send them again" in result.output
    if sent:
        assert result.exit_code == 0, result.output
        assert held(sandbox) == 7
    else:
        assert result.exit_code == 2, result.output
        assert held(sandbox) == 5


def test_the_python_api_refuses_a_blind_retry_unless_told_explicitly(tmp_path: Path) -> None:
    from clientbridge.importer.api import import_file

    sandbox, _, _ = created_but_unknown(tmp_path)
    provider = blind_provider()

    def run(**options: Any) -> Any:
        return import_file(
            tmp_path / "clients.csv",
            provider,
            journal=tmp_path / "journal.sqlite",
            options=ImportOptions(progress="none", retry_unknown=True, **options),
            sandbox=True,
            transport=sandbox.transport(provider, asynchronous=True),
        )

    with pytest.raises(ImportSetupError, match="without a check") as refused:
        run()
    assert "--" not in str(refused.value)  # library text names no flag
    assert held(sandbox) == 5
    summary = run(resend_unchecked=True)
    assert summary.counts["resent"] == 2
    assert summary.counts["created"] == 0
    assert held(sandbox) == 7


def test_a_retry_after_a_failed_look_up_is_a_re_send_without_a_check_too(
    clients: Path, journal: Path
) -> None:
    fake = crashed_with_row_4_in_flight(clients, journal, created=True)
    age(journal, 4, LONG_AGO)
    fake.list_status = 500
    code, _, output = import_into(clients, fake, "--retry-unknown", "--set", "max_retries=0")
    assert code == 2, output
    assert "row 4" in output
    assert fake.creates == []
    fake.list_status = 200  # the look-up works again: it settles the row, no question asked
    code, rows, output = import_into(clients, fake, "--retry-unknown")
    assert (code, rows[2]["outcome"], rows[2]["id"]) == (0, "skipped", "r3")
    assert fake.creates == []


def test_a_retry_into_a_provider_that_refuses_a_second_email_asks_nothing(
    tmp_path: Path,
) -> None:
    provider = unique_email_provider()
    sandbox = Sandbox()
    sandbox.inject("error_after_create", provider=provider)  # the one bulk request
    clients = write_csv(tmp_path / "clients.csv", people(3))
    args = ["import", str(clients), "--provider", provider, "--sandbox", "--progress", "none"]
    args += ["--journal", str(tmp_path / "journal.sqlite"), "--report", str(tmp_path / "r.csv")]
    assert invoke(args, sandbox_transport(sandbox)).exit_code == 1
    result = invoke([*args, "--retry-unknown"], sandbox_transport(sandbox))
    assert result.exit_code == 0, result.output
    assert {row["outcome"] for row in read_report(tmp_path / "r.csv")} == {"created"}
    assert len(sandbox.records(provider)) == 3


# --------------------------------------------------------------------------- resume wording


def test_an_interrupted_import_without_a_journal_does_not_advise_resuming(tmp_path: Path) -> None:
    import os
    import signal

    fake = FakeRoostedHR()

    def interrupt_at_the_third(request: httpx.Request) -> None:
        if len(fake.creates) == 3:
            os.kill(os.getpid(), signal.SIGINT)

    fake.on_request = interrupt_at_the_third
    path = write_csv(tmp_path / "clients.csv", people(20))
    args = ["import", str(path), "--provider", "roostedhr", "--set", f"api_key={fake.key}"]
    args += ["--progress", "none", "--concurrency", "1", "--no-journal"]
    result = invoke(args, fake.transport)
    assert result.exit_code == 130
    assert "to resume" not in result.output
    assert "No journal was kept" in result.output


# --------------------------------------------------------------------------- same email


def sandbox_transport(
    sandbox: Sandbox, watch: Callable[[httpx.Request], Any] | None = None
) -> Callable[[str, bool], httpx.MockTransport]:
    def factory(provider: str, asynchronous: bool) -> httpx.MockTransport:
        inner = sandbox.transport(provider, asynchronous=asynchronous)
        if watch is None:
            return inner

        async def handle(request: httpx.Request) -> httpx.Response:
            async with watch(request):
                response = await inner.handle_async_request(request)
                await response.aread()
                return response

        return httpx.MockTransport(handle)

    return factory


def unique_email_provider() -> str:
    return next(
        name for name in sorted(providers()) if adapter_class(name).capabilities.unique_email
    )


def members(request: httpx.Request) -> list[dict[str, Any]]:
    body = json.loads(request.content)
    found = body["members"] if isinstance(body, dict) and "members" in body else body
    return found if isinstance(found, list) else [found]


class EmailsInFlight:
    """Watches the create requests: the emails in flight together; holds each request
    until a second one is in flight (or a moment has passed), so that requests the
    importer lets overlap do overlap."""

    def __init__(self) -> None:
        self.now: Counter[str] = Counter()
        self.together: list[str] = []
        self.sent: list[list[str]] = []
        self._wave = anyio.Event()
        self._waiting = 0

    def __call__(self, request: httpx.Request) -> Any:
        watcher = self

        class Watch:
            async def __aenter__(self) -> None:
                if request.method != "POST":
                    return
                emails = [str(m.get("email", "")).casefold() for m in members(request)]
                watcher.sent.append(emails)
                for email in emails:
                    watcher.now[email] += 1
                    if watcher.now[email] > 1:
                        watcher.together.append(email)
                watcher._waiting += 1
                wave = watcher._wave
                if watcher._waiting >= 2:
                    watcher._waiting, watcher._wave = 0, anyio.Event()
                    wave.set()
                with anyio.move_on_after(1):
                    await wave.wait()
                self.emails = emails

            async def __aexit__(self, *exc: object) -> None:
                for email in getattr(self, "emails", []):
                    watcher.now[email] -= 1

        return Watch()


def same_email_import(
    tmp_path: Path, rows: list[list[str]], watch: EmailsInFlight | None = None
) -> tuple[int, dict[int, dict[str, str]], Sandbox]:
    provider = unique_email_provider()
    sandbox = Sandbox()
    clients = write_csv(tmp_path / "clients.csv", rows)
    report = tmp_path / "report.csv"
    args = ["import", str(clients), "--provider", provider, "--sandbox", "--progress", "none"]
    args += ["--report", str(report), "--concurrency", "2"]
    result = invoke(args, sandbox_transport(sandbox, watch))
    return result.exit_code, {int(r["row"]): r for r in read_report(report)}, sandbox


def test_two_rows_with_one_email_in_one_chunk_go_one_after_the_other(tmp_path: Path) -> None:
    rows = people(3)
    rows[2] = ["Other Firm", "Someone", "Else", rows[1][3]]  # line 3 repeats line 2's email
    watch = EmailsInFlight()
    code, report, sandbox = same_email_import(tmp_path, rows, watch)
    assert code == 1
    assert report[2]["outcome"] == "created"
    assert report[3]["outcome"] == "failed"
    assert "already" in report[3]["error"]  # the provider's answer (exists, in use)
    assert "row 2 " in report[3]["error"].casefold()  # and which row of the file holds the email
    assert "client 0 of the batch" not in report[3]["error"]
    assert [email for emails in watch.sent for email in emails].count("p1@example.com") == 2
    assert watch.together == []
    emails = [record["email"] for record in sandbox.records(unique_email_provider())]
    assert sorted(emails) == ["p1@example.com", "p3@example.com"]


def test_two_rows_with_one_email_in_concurrent_chunks_are_never_in_flight_together(
    tmp_path: Path,
) -> None:
    bulk = adapter_class(unique_email_provider()).capabilities.bulk_size
    rows = people(2 * bulk + 5)
    # The first chunk warms the look-up cache alone; the second and third go together.
    first, second = bulk + 1, 2 * bulk + 1  # lines 1 + bulk + 1 and 1 + 2 * bulk + 1
    rows[second] = ["Other Firm", "Someone", "Else", rows[first][3]]
    watch = EmailsInFlight()
    code, report, sandbox = same_email_import(tmp_path, rows, watch)
    assert watch.together == []
    assert code == 1
    assert report[first + 1]["outcome"] == "created"
    assert report[second + 1]["outcome"] == "failed"
    assert "already" in report[second + 1]["error"]
    assert f"row {first + 1} " in report[second + 1]["error"].casefold()
    assert len(sandbox.records(unique_email_provider())) == 2 * bulk + 4
