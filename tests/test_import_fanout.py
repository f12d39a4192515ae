"""`clientbridge import FILE` into several connections at once (a fan-out import).

In process, every registered provider takes part, each in its own in-memory sandbox. The
crash test runs the real command against two `clientbridge sandbox serve` processes and
kills it with SIGKILL.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

import clientbridge as cb
from clientbridge.registry import adapter_class
from clientbridge.sandbox import DEFAULT_CREDENTIALS, SANDBOX_SETTINGS, Sandbox

from .import_fakes import emails_in, invoke, people, read_report, write_csv
from .redis_server import free_port
from .sandbox_process import serve_provider

PROVIDERS = cb.providers()
ROWS = 30


def config_file(tmp_path: Path, routing: str = "", **extra: str) -> Path:
    tables = [
        f'[connections.to-{provider}]\nprovider = "{provider}"\nsandbox = true\n'
        + "".join(f"{key} = {value}\n" for key, value in extra.items())
        for provider in PROVIDERS
    ]
    path = tmp_path / "clientbridge.toml"
    path.write_text("\n".join(tables) + routing, encoding="utf-8")
    return path


class Sandboxes:
    """One in-memory sandbox for all providers, counting the creates each receives, with
    providers that can be made to answer 503 to every create."""

    def __init__(self) -> None:
        self.sandbox = Sandbox()
        self.posts: Counter[str] = Counter()
        self.failing: set[str] = set()

    def transport(self, provider: str, asynchronous: bool) -> httpx.MockTransport:
        inner = self.sandbox.transport(provider, asynchronous=True)

        async def handle(request: httpx.Request) -> httpx.Response:
            if request.method == "POST":
                if provider in self.failing:
                    return httpx.Response(503, json={"message": "down for maintenance"})
                self.posts[provider] += 1
            return await inner.handle_async_request(request)

        return httpx.MockTransport(handle)

    def emails(self, provider: str) -> list[str]:
        return [email for record in self.sandbox.records(provider) for email in emails_in(record)]


def fanout(
    tmp_path: Path, sandboxes: Sandboxes, *extra: str, config: Path | None = None
) -> tuple[int, list[dict[str, str]], str]:
    clients = tmp_path / "clients.csv"
    if not clients.exists():
        write_csv(clients, people(ROWS))
    report = tmp_path / "report.csv"
    args = ["import", str(clients), "--config", str(config or config_file(tmp_path))]
    args += ["--journal", str(tmp_path / "journal.sqlite"), "--report", str(report)]
    result = invoke([*args, *extra], sandboxes.transport)
    return result.exit_code, read_report(report), result.output


def expected_emails(start: int = 1, count: int = ROWS) -> list[str]:
    return [f"p{number}@example.com" for number in range(start, start + count)]


def test_every_row_lands_once_in_every_connection_with_a_report_line_each(
    tmp_path: Path,
) -> None:
    sandboxes = Sandboxes()
    code, report, output = fanout(tmp_path, sandboxes, "--all-connections")
    assert code == 0, output
    for provider in PROVIDERS:
        assert sorted(sandboxes.emails(provider)) == sorted(expected_emails())
        assert f"into connection 'to-{provider}'" in output
    assert list(report[0]) == ["row", "connection", "outcome", "id", "error", "warnings"]
    lines = Counter((line["row"], line["connection"]) for line in report)
    assert len(lines) == ROWS * len(PROVIDERS)
    assert set(lines.values()) == {1}
    assert {line["outcome"] for line in report} == {"created"}


def test_bulk_providers_keep_their_bulk_requests_in_a_fanout(tmp_path: Path) -> None:
    sandboxes = Sandboxes()
    code, _, output = fanout(tmp_path, sandboxes, "--all-connections")
    assert code == 0, output
    bulk = [p for p in PROVIDERS if adapter_class(p).capabilities.bulk_size > 1]
    assert bulk, "no provider sends in bulk: nothing to check"
    for provider in bulk:
        size = adapter_class(provider).capabilities.bulk_size
        assert sandboxes.posts[provider] == math.ceil(ROWS / size)
    for provider in set(PROVIDERS) - set(bulk):
        assert sandboxes.posts[provider] == ROWS


def test_a_connection_that_fails_does_not_stop_the_others_and_a_rerun_fills_it_in(
    tmp_path: Path,
) -> None:
    sandboxes = Sandboxes()
    broken, *working = PROVIDERS
    sandboxes.failing.add(broken)
    config = config_file(tmp_path, max_retries="0")
    code, report, output = fanout(tmp_path, sandboxes, "--all-connections", config=config)
    assert code == 1, output
    assert sandboxes.emails(broken) == []
    for provider in working:
        assert sorted(sandboxes.emails(provider)) == sorted(expected_emails())
    failed = {line["connection"] for line in report if line["outcome"] != "created"}
    assert failed == {f"to-{broken}"}

    sandboxes.failing.clear()
    before = Counter(sandboxes.posts)
    code, report, output = fanout(
        tmp_path, sandboxes, "--all-connections", "--retry-failed", config=config
    )
    assert code == 0, output
    for provider in PROVIDERS:
        assert sorted(sandboxes.emails(provider)) == sorted(expected_emails())
    for provider in working:  # nothing sent again where the rows were created
        assert sandboxes.posts[provider] == before[provider]
    outcomes = {(line["connection"], line["outcome"]) for line in report}
    assert outcomes == {(f"to-{broken}", "created")} | {
        (f"to-{provider}", "skipped") for provider in working
    }


def test_routes_decide_which_connections_each_row_goes_to(tmp_path: Path) -> None:
    first, second, *_ = PROVIDERS
    routing = (
        '\n[routing]\ndefault = ["to-' + first + '", "to-' + second + '"]\n\n'
        "[[routing.routes]]\n"
        'when = { email = ["p1@example.com", "p2@example.com"] }\n'
        'to = ["to-' + first + '"]\n'
    )
    sandboxes = Sandboxes()
    config = config_file(tmp_path, routing)
    code, report, output = fanout(tmp_path, sandboxes, "--all-connections", config=config)
    assert code == 0, output
    assert sorted(sandboxes.emails(first)) == sorted(expected_emails())
    assert sorted(sandboxes.emails(second)) == sorted(expected_emails(3, ROWS - 2))
    for provider in PROVIDERS[2:]:
        assert sandboxes.emails(provider) == []
    assert len(report) == ROWS + ROWS - 2
    assert "routed to other connections" in output


def test_naming_connections_imports_into_those_only(tmp_path: Path) -> None:
    first, second, *rest = PROVIDERS
    sandboxes = Sandboxes()
    code, report, output = fanout(
        tmp_path, sandboxes, "--connection", f"to-{first}", "--connection", f"to-{second}"
    )
    assert code == 0, output
    assert {line["connection"] for line in report} == {f"to-{first}", f"to-{second}"}
    for provider in rest:
        assert sandboxes.emails(provider) == []


def test_a_single_target_journal_is_not_reused_for_several_connections(tmp_path: Path) -> None:
    sandboxes = Sandboxes()
    first, second, *_ = PROVIDERS
    code, _, output = fanout(tmp_path, sandboxes, "--connection", f"to-{first}")
    assert code == 0, output
    code, _, output = fanout(
        tmp_path, sandboxes, "--connection", f"to-{first}", "--connection", f"to-{second}"
    )
    assert code == 2
    assert "records an import into one target" in output


# --------------------------------------------------------------------------- crash

CLI = [sys.executable, "-m", "clientbridge.cli"]
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}
CRASH_ROWS = 400


@contextmanager
def sandbox_server(provider: str, port: int, latency_ms: int) -> Iterator[dict[str, str]]:
    """``clientbridge sandbox serve`` in its own process; its announced lines."""
    with serve_provider(provider, "--port", str(port), "--latency-ms", str(latency_ms)) as lines:
        yield lines


def served_emails(server: dict[str, str]) -> list[str]:
    return emails_in(httpx.get(server["records"], timeout=10).json())


def crash_config(tmp_path: Path, servers: dict[str, tuple[str, str]]) -> Path:
    """Connections ``up`` and ``down``: (provider, base URL) each."""
    tables = []
    for name, (provider, base_url) in servers.items():
        credential = next(s.name for s in adapter_class(provider).settings_spec if s.secret)
        settings = {
            **SANDBOX_SETTINGS.get(provider, {}),
            "base_url": base_url,
            credential: DEFAULT_CREDENTIALS[provider],
        }
        lines = [f"[connections.{name}]", f'provider = "{provider}"', "max_retries = 0"]
        lines += [f'{key} = "{value}"' for key, value in settings.items()]
        lines.append("timeout = 10")
        tables.append("\n".join(lines) + "\n")
    path = tmp_path / "clientbridge.toml"
    path.write_text("\n".join(tables), encoding="utf-8")
    return path


def run_import(command: list[str]) -> subprocess.CompletedProcess[str]:
    finished = subprocess.run(
        command, capture_output=True, text=True, timeout=120, env=ENV, check=False
    )
    assert finished.returncode in (0, 1), finished.stderr + finished.stdout
    return finished


def kill_when(command: list[str], ready: Callable[[], bool]) -> bool:
    """Start ``command`` and SIGKILL it once ``ready()``; False when it finished first."""
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV
    )
    try:
        give_up = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < give_up and not ready():
            time.sleep(0.01)
        if process.poll() is not None:
            return False
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL
        return True
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_killed_fanout_import_resumes_with_each_row_once_in_each_connection(
    tmp_path: Path,
) -> None:
    # Providers whose unknown rows a later run can settle without a duplicate: it can ask
    # whether the client exists, or the provider refuses a second client with its email.
    # One request per client first, so that requests are in flight at the kill.
    settled = [
        p
        for p in PROVIDERS
        if adapter_class(p).capabilities.find_existing or adapter_class(p).capabilities.unique_email
    ]
    assert len(settled) >= 2, "two providers that can settle unknown rows are needed"
    by_bulk = sorted(settled, key=lambda p: adapter_class(p).capabilities.bulk_size)
    up_provider, down_provider = by_bulk[0], by_bulk[1]
    clients = write_csv(tmp_path / "clients.csv", people(CRASH_ROWS))
    journal = tmp_path / "clients.journal.sqlite"
    down_port = free_port()
    with sandbox_server(down_provider, down_port, 0) as probe:  # learns the base URL
        down_url = probe["base_url"]
    with sandbox_server(up_provider, free_port(), 20) as up:
        config = crash_config(
            tmp_path, {"up": (up_provider, up["base_url"]), "down": (down_provider, down_url)}
        )
        command = [*CLI, "import", str(clients), "--all-connections", "--config", str(config)]
        command += ["--journal", str(journal), "--concurrency", "4", "--progress", "none"]

        # Run 1: "down" cannot be reached for the whole run; killed midway through "up".
        killed = kill_when(command, lambda: len(served_emails(up)) >= CRASH_ROWS // 3)
        assert killed, "the import finished before it could be killed"
        created = served_emails(up)
        assert len(created) == len(set(created))

        with sandbox_server(down_provider, down_port, 20) as down:
            # Run 2: resumes "up" (never sending a row twice) and fills in "down"; killed
            # once "down" holds a third of the rows.
            kill_when(command, lambda: len(served_emails(down)) >= CRASH_ROWS // 3)
            for server in (up, down):
                seen = served_emails(server)
                assert len(seen) == len(set(seen))
            # Run 3 settles what the kills left unknown: the sandboxes refuse a second
            # client with the same email, so an "already exists" answer counts as created.
            finished = run_import(
                [*command, "--retry-unknown", "--report", str(tmp_path / "r.csv")]
            )
            assert "canary" not in finished.stdout
            finished = run_import([*command, "--report", str(tmp_path / "final.csv")])
            assert finished.returncode == 0, finished.stdout + finished.stderr
            wanted = sorted(f"p{number}@example.com" for number in range(1, CRASH_ROWS + 1))
            for server in (up, down):
                assert sorted(served_emails(server)) == wanted  # each row exactly once
            final = read_report(tmp_path / "final.csv")
            assert len(final) == 2 * CRASH_ROWS
            assert {line["outcome"] for line in final} == {"skipped"}


# --------------------------------------------------------------------------- done when

DONE_ROWS = 2_000


def test_three_connections_one_failing_30_percent_end_with_every_row_once_everywhere(
    tmp_path: Path, no_sleep: list[float]
) -> None:
    # The failing connection is one whose unknown rows a re-run can settle (a 500 after
    # the record was stored leaves its outcome unknown): it can be asked whether a client
    # exists, or refuses a second client with the same email.
    settled = [
        p
        for p in PROVIDERS
        if adapter_class(p).capabilities.find_existing or adapter_class(p).capabilities.unique_email
    ]
    failing = min(settled, key=lambda p: adapter_class(p).capabilities.bulk_size)
    others = [p for p in PROVIDERS if p != failing][:2]
    chosen = [failing, *others]
    healthy = Sandboxes()
    faulty = Sandbox(fail_rate=0.3, seed=16)

    def transport(provider: str, asynchronous: bool) -> httpx.MockTransport:
        if provider == failing:
            return faulty.transport(provider, asynchronous=True)
        return healthy.transport(provider, asynchronous)

    write_csv(tmp_path / "clients.csv", people(DONE_ROWS))
    config = config_file(tmp_path)  # the driver's retries of 429/503/not-sent (no sleeping)
    args = ["import", str(tmp_path / "clients.csv"), "--config", str(config)]
    args += ["--journal", str(tmp_path / "journal.sqlite"), "--concurrency", "8"]
    args += [arg for provider in chosen for arg in ("--connection", f"to-{provider}")]
    result = invoke(args, transport)
    assert result.exit_code == 1, result.output  # some creates failed in one connection
    assert sum(faulty.injected.values()) > 0, "no fault was injected"
    reruns = 0
    while result.exit_code != 0 and reruns < 15:
        reruns += 1
        # A plain re-run settles the unknown rows itself (a look-up, or a second email
        # refused); the in-process sandbox has answered every request it got.
        result = invoke([*args, "--retry-failed", "--settle-after", "0"], transport)
        assert result.exit_code in (0, 1), result.output
    assert result.exit_code == 0, result.output
    wanted = sorted(expected_emails(1, DONE_ROWS))
    emails = [e for record in faulty.records(failing) for e in emails_in(record)]
    assert sorted(emails) == wanted
    for provider in others:
        assert sorted(healthy.emails(provider)) == wanted
    assert reruns >= 1


def _rename(config: Path, old: str, new: str) -> None:
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace(f"[connections.{old}]", f"[connections.{new}]"), "utf-8")


def test_renaming_the_connection_of_an_import_resumes_it_instead_of_sending_again(
    tmp_path: Path,
) -> None:
    """A journal belongs to an account, not to a connection's name."""
    sandboxes = Sandboxes()
    first = PROVIDERS[0]
    config = config_file(tmp_path)
    code, _, output = fanout(tmp_path, sandboxes, "--connection", f"to-{first}", config=config)
    assert code == 0, output
    posts = sandboxes.posts[first]
    _rename(config, f"to-{first}", "renamed")
    code, report, output = fanout(tmp_path, sandboxes, "--connection", "renamed", config=config)
    assert code == 0, output
    assert sandboxes.posts[first] == posts  # nothing sent again
    assert {line["outcome"] for line in report} == {"skipped"}
    assert sorted(sandboxes.emails(first)) == sorted(expected_emails())


def test_renaming_a_connection_of_several_resumes_it_instead_of_sending_again(
    tmp_path: Path,
) -> None:
    sandboxes = Sandboxes()
    first, second, *_ = PROVIDERS
    config = config_file(tmp_path)
    both = ["--connection", f"to-{first}", "--connection", f"to-{second}"]
    code, _, output = fanout(tmp_path, sandboxes, *both, config=config)
    assert code == 0, output
    posts = dict(sandboxes.posts)
    _rename(config, f"to-{first}", "renamed")
    again = ["--connection", "renamed", "--connection", f"to-{second}"]
    code, report, output = fanout(tmp_path, sandboxes, *again, config=config)
    assert code == 0, output
    assert dict(sandboxes.posts) == posts  # nothing sent again, to either
    assert {line["connection"] for line in report} == {"renamed", f"to-{second}"}
    assert {line["outcome"] for line in report} == {"skipped"}


def test_a_journal_that_named_its_connection_resumes_under_the_account(tmp_path: Path) -> None:
    """A journal written when the target's name was part of it still resumes."""
    import sqlite3
    from contextlib import closing

    sandboxes = Sandboxes()
    first = PROVIDERS[0]
    config = config_file(tmp_path)
    code, _, output = fanout(tmp_path, sandboxes, "--connection", f"to-{first}", config=config)
    assert code == 0, output
    with closing(sqlite3.connect(tmp_path / "journal.sqlite")) as db, db:
        db.execute(
            "UPDATE meta SET value = value || ? WHERE key = 'target'",
            (f" (connection 'to-{first}')",),
        )
    posts = sandboxes.posts[first]
    code, report, output = fanout(tmp_path, sandboxes, "--connection", f"to-{first}", config=config)
    assert code == 0, output
    assert sandboxes.posts[first] == posts
    assert {line["outcome"] for line in report} == {"skipped"}
