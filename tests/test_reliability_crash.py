"""Crash and resume: `clientbridge import` killed with SIGKILL mid-flight, resumed each time.

A `clientbridge sandbox serve` process on 127.0.0.1 plays the provider, with latency so
that requests are in flight when the import dies; the kill points are drawn from a seed
(as the number of clients the server holds before the kill, plus a little jitter). After
every round the server holds no client twice; the rows left ``sending`` (the unknown
window) are settled by ONE plain re-run: looked up where the provider can be asked
(RoostedHR's client list) and sent once the settle window has passed if not found, or sent
again where the provider refuses a second client with the same email (AgencyHandy). The
server then holds every row exactly once.

Every process has a timeout and is killed in a ``finally``.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from .import_fakes import deadline, people, read_report, write_csv
from .sandbox_process import serve_provider

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")

ROWS = 2_000
SEED = 20_260_601
KEY = "crash-test-credential-7731"
#: The e-mail each provider's records hold the client's address under.
EMAIL_KEYS = {"roostedhr": "client_contact_email", "agencyhandy": "email"}
CLI = [sys.executable, "-m", "clientbridge.cli"]
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


@contextmanager
def sandbox_server(provider: str, latency_ms: int) -> Iterator[dict[str, str]]:
    """``clientbridge sandbox serve`` in its own process; its announced lines."""
    arguments = ["--credential", KEY, "--latency-ms", str(latency_ms), "--seed", "7"]
    with serve_provider(provider, *arguments) as lines:
        assert lines["base_url"].startswith("http://127.0.0.1:")
        yield lines


class Import:
    """``clientbridge import`` of one file into the server, run as a subprocess."""

    def __init__(
        self,
        tmp_path: Path,
        provider: str,
        server: dict[str, str],
        *options: str,
        rows: int = ROWS,
    ) -> None:
        self.provider = provider
        self.server = server
        self.options = options
        self.rows = rows
        self.file = write_csv(tmp_path / "clients.csv", people(rows))
        self.journal = tmp_path / "clients.csv.journal.sqlite"
        self.tmp_path = tmp_path
        self.runs = 0

    def command(self, *extra: str) -> list[str]:
        self.runs += 1
        target = ["-p", self.provider, "--set", f"api_key={KEY}"]
        target += ["--set", f"base_url={self.server['base_url']}", "--set", "timeout=10"]
        report = ["--report", str(self.report_path)]
        return [*CLI, "import", str(self.file), *target, *self.options, *report, *extra]

    @property
    def report_path(self) -> Path:
        return self.tmp_path / f"report-{self.runs}.csv"

    def run(self, *extra: str) -> tuple[int, list[dict[str, str]]]:
        """Run to the end; the exit code and the report."""
        finished = subprocess.run(
            self.command(*extra), capture_output=True, text=True, timeout=90, env=ENV, check=False
        )
        assert finished.returncode in (0, 1), finished.stderr + finished.stdout
        assert KEY not in finished.stdout + finished.stderr
        self.output = finished.stdout
        return finished.returncode, read_report(self.report_path)

    def run_and_kill(self, after: int, jitter: float) -> bool:
        """Start a run and SIGKILL it once the server holds ``after`` more clients (plus
        ``jitter`` seconds). False when the run finished first."""
        process = subprocess.Popen(
            self.command(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=ENV,
        )
        try:
            target = len(self.records()) + after
            give_up = time.monotonic() + 60
            while process.poll() is None and time.monotonic() < give_up:
                if len(self.records()) >= target:
                    time.sleep(jitter)
                    break
                time.sleep(0.01)
            if process.poll() is not None:
                assert process.returncode in (0, 1)
                return False
            process.send_signal(signal.SIGKILL)
            assert process.wait(timeout=10) == -signal.SIGKILL
            return True
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)

    def records(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = httpx.get(self.server["records"], timeout=10).json()
        return records

    def emails_held(self) -> Counter[str]:
        return Counter(record[EMAIL_KEYS[self.provider]] for record in self.records())

    def ids_held(self) -> dict[str, str]:
        """email → the id the server gave its client."""
        id_key = "_id" if self.provider == "agencyhandy" else "id"
        return {record[EMAIL_KEYS[self.provider]]: record[id_key] for record in self.records()}

    def journaled(self, state: str) -> set[int]:
        """The lines the journal holds in ``state`` (the killed import holds no lock)."""
        with closing(sqlite3.connect(self.journal)) as db:
            found = db.execute("SELECT row FROM rows WHERE state = ?", (state,)).fetchall()
        return {line for (line,) in found}


def email_of(line: int) -> str:
    """The e-mail of the row on ``line`` (`people` numbers its rows from 1, the header is 1)."""
    return f"p{line - 1}@example.com"


def assert_no_client_twice(run: Import) -> None:
    held = run.emails_held()
    assert held, "nothing was created"
    assert max(held.values()) == 1, [email for email, n in held.items() if n > 1][:5]


def test_a_killed_roostedhr_import_is_finished_by_one_plain_rerun(tmp_path: Path) -> None:
    random_points = random.Random(SEED)
    with sandbox_server("roostedhr", latency_ms=10) as server:
        run = Import(tmp_path, "roostedhr", server, "--progress", "none", "--settle-after", "1")
        windows: list[set[int]] = []
        for _ in range(4):
            after, jitter = random_points.randint(100, 350), random_points.uniform(0, 0.03)
            if not run.run_and_kill(after, jitter):
                break
            assert_no_client_twice(run)
            windows.append(run.journaled("sending"))
        assert len(windows) >= 3
        in_window = set().union(*windows)
        assert in_window, "no kill landed while requests were in flight"

        code, report = run.run()  # ONE plain re-run settles everything
        assert code == 0, run.output
        held = run.emails_held()
        assert held == Counter(email_of(line) for line in range(2, ROWS + 2))  # exactly once
        ids = run.ids_held()
        outcomes = {int(row["row"]): row for row in report}
        assert sorted(outcomes) == list(range(2, ROWS + 2))  # every row is reported
        found = [line for line in in_window if outcomes[line]["outcome"] == "skipped"]
        sent = [line for line in in_window if outcomes[line]["outcome"] == "created"]
        for line in found:  # found by the look-up, with the id the server gave it
            assert outcomes[line]["id"] == ids[email_of(line)]
        assert len(found) + len(sent) == len(in_window)
        assert found, "the look-up resolved no row"
        print(
            f"\nroostedhr: {ROWS:,} rows, {len(windows)} kills, {len(in_window)} rows in the "
            f"unknown window: {len(found)} found by the look-up, {len(sent)} not found after "
            f"the settle window and sent by the same plain re-run; {len(held):,} clients, "
            "0 duplicates"
        )


SEEDED_ROWS = 400


@pytest.mark.parametrize("provider", ["roostedhr", "agencyhandy"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kills_at_random_points_then_one_plain_rerun_create_every_row_exactly_once(
    tmp_path: Path, provider: str, seed: int
) -> None:
    random_points = random.Random(SEED + 10 * seed)
    bulk = provider == "agencyhandy"  # bulk requests of 200: whole bulks in flight
    latency = 150 if bulk else 10
    options = ["--progress", "none", "--settle-after", "1", "--concurrency", "2" if bulk else "8"]
    with sandbox_server(provider, latency_ms=latency) as server:
        run = Import(tmp_path, provider, server, *options, rows=SEEDED_ROWS)
        kills = 0
        for _ in range(2):
            after = 200 if bulk else random_points.randint(20, 150)
            if not run.run_and_kill(after, random_points.uniform(0, 0.05)):
                break
            kills += 1
            assert_no_client_twice(run)
        assert kills, "the import finished before it could be killed"
        code, report = run.run()
        assert code == 0, run.output
        held = run.emails_held()
        assert held == Counter(email_of(line) for line in range(2, SEEDED_ROWS + 2))
        assert {row["outcome"] for row in report} <= {"created", "skipped"}


def test_an_import_that_had_finished_when_ctrl_c_came_exits_0(tmp_path: Path) -> None:
    # The sandbox stores a client before it waits out its latency: once it holds every row,
    # the last answers are on their way and nothing is left to send.
    with sandbox_server("roostedhr", latency_ms=1500) as server:
        run = Import(tmp_path, "roostedhr", server, "--progress", "none", rows=3)
        process = subprocess.Popen(
            run.command(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV
        )
        try:
            with deadline(60):
                while len(run.records()) < 3:
                    assert process.poll() is None, "the import ended before every row was held"
                    time.sleep(0.01)
            process.send_signal(signal.SIGINT)
            stdout, stderr = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        assert process.returncode == 0, stdout + stderr
        assert "Interrupted" not in stdout
        assert [row["outcome"] for row in read_report(run.report_path)] == ["created"] * 3


def test_a_killed_agencyhandy_import_resumes_and_settles_every_row_by_sending_it_again(
    tmp_path: Path,
) -> None:
    random_points = random.Random(SEED + 1)
    # Bulk requests of 200 clients, two at a time: the latency keeps whole bulks in flight.
    with sandbox_server("agencyhandy", latency_ms=300) as server:
        run = Import(tmp_path, "agencyhandy", server, "--progress", "none", "--concurrency", "2")
        windows: list[set[int]] = []
        for _ in range(3):
            after = 200 * random_points.randint(1, 2)
            if not run.run_and_kill(after, random_points.uniform(0, 0.1)):
                break
            assert_no_client_twice(run)
            windows.append(run.journaled("sending"))
        assert windows
        in_window = set().union(*windows)
        assert in_window, "no kill landed while requests were in flight"

        # AgencyHandy refuses a second client with the same email: the resume sends the
        # unknown rows again, and "already exists" settles those the killed run created.
        code, report = run.run()
        assert code == 0
        outcomes = {int(row["row"]): row for row in report}
        assert sorted(outcomes) == list(range(2, ROWS + 2))
        assert {row["outcome"] for row in report} <= {"created", "skipped"}
        # Settled by this run (created) or by a resume that was itself killed (skipped).
        settled = {line: outcomes[line] for line in in_window}
        assert {row["outcome"] for row in settled.values()} <= {"created", "skipped"}
        already = [row for row in settled.values() if "already exists" in row["warnings"]]
        assert already, "no re-sent row was answered 'already exists'"
        held = run.emails_held()
        assert held == Counter(email_of(line) for line in range(2, ROWS + 2))  # exactly once
        print(
            f"\nagencyhandy: {ROWS:,} rows, {len(windows)} kills, {len(in_window)} rows in the "
            f"unknown window, sent again by the resume: {len(already)} answered 'already "
            f"exists' (created by a killed run), {len(settled) - len(already)} created; "
            f"{len(held):,} clients, 0 duplicates"
        )
