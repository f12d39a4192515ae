"""The journal and the files never cause a duplicate or a loss (real processes).

`clientbridge import` runs as a subprocess against a `clientbridge sandbox serve` process
on 127.0.0.1, and the server's records are counted after each step: a damaged journal, an
output that is the input, a full disk, a write-ahead log removed mid-run, a target fixed
after every row was refused. In each, no client is ever held twice, and the run stops
(exit 2, saying what happened) before anything it cannot account for is sent.

Every process has a timeout and is killed in a ``finally``.
"""

from __future__ import annotations

import ast
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from clientbridge.registry import adapter_class

from .import_fakes import people, read_report, write_csv
from .providers import BUILTINS, fixture
from .sandbox_process import serve_provider
from .test_reliability_crash import CLI, ENV, KEY

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL, rlimits, /dev/full")


def _first(wanted: Callable[[Any], bool]) -> str:
    return next(name for name in BUILTINS if wanted(adapter_class(name).capabilities))


#: A provider that can be asked whether a client exists, one client per request.
PROVIDER = _first(lambda can: can.find_existing and can.bulk_size == 1)
#: A provider that can be asked neither way (no look-up, duplicates not refused).
UNASKABLE = _first(lambda can: not can.find_existing and not can.unique_email)


class Server:
    """A sandbox server process of one provider: its settings, and its records counted by
    email."""

    def __init__(self, provider: str, lines: dict[str, str]) -> None:
        self.provider = provider
        self.lines = lines
        # "connect: cb.connect('name', base_url='...', token='...', ...)"
        call = ast.parse(lines["connect"]).body[0]
        assert isinstance(call, ast.Expr)
        assert isinstance(call.value, ast.Call)
        self.settings = {k.arg: ast.literal_eval(k.value) for k in call.value.keywords}
        self.settings[fixture(provider).credential_setting] = KEY  # shown as *** there
        self.base_url = self.settings["base_url"]

    def target(self, **changed: str) -> list[str]:
        """The import's target options for this server (with ``changed`` settings)."""
        options = ["-p", self.provider]
        for key, value in {**self.settings, **changed}.items():
            options += ["--set", f"{key}={value}"]
        return options

    def records(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = httpx.get(self.lines["records"], timeout=10).json()
        return found

    def held(self) -> Counter[str]:
        email = fixture(self.provider).record_email
        return Counter(email(record) for record in self.records())

    def assert_no_client_twice(self) -> None:
        twice = [email for email, count in self.held().items() if count > 1]
        assert not twice, f"{len(twice)} clients created twice, e.g. {twice[:3]}"


@contextmanager
def sandbox_server(provider: str, latency_ms: int) -> Iterator[Server]:
    """``clientbridge sandbox serve`` in its own process, until the block ends."""
    arguments = ["--credential", KEY, "--latency-ms", str(latency_ms), "--seed", "7"]
    with serve_provider(provider, *arguments, until="connect") as lines:
        yield Server(provider, lines)


@pytest.fixture
def server() -> Iterator[Server]:
    with sandbox_server(PROVIDER, latency_ms=2) as running:
        yield running


@pytest.fixture
def slow_server() -> Iterator[Server]:
    with sandbox_server(PROVIDER, latency_ms=20) as running:
        yield running


def every_email(rows: int) -> Counter[str]:
    return Counter(f"p{number}@example.com" for number in range(1, rows + 1))


def run_cli(
    *arguments: str, preexec: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[str]:
    finished = subprocess.run(
        [*CLI, *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        env=ENV,
        check=False,
        preexec_fn=preexec,
    )
    assert KEY not in finished.stdout + finished.stderr
    return finished


def imports(
    file: Path, server: Server, *extra: str, preexec: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "import", str(file), *server.target(), "--progress", "none", *extra, preexec=preexec
    )


def assert_clean_stop(finished: subprocess.CompletedProcess[str], *said: str) -> None:
    """Exit 2, no traceback, and the message says what happened."""
    output = finished.stdout + finished.stderr
    assert finished.returncode == 2, output
    assert "Traceback" not in output, output
    for text in said:
        assert text in output, output


# ---------------------------------------------------------------------- outputs


def test_a_report_naming_the_input_is_refused_before_anything_is_read_or_sent(
    tmp_path: Path, server: Server
) -> None:
    clients = write_csv(tmp_path / "clients.csv", people(1_500))
    before = clients.read_bytes()
    finished = imports(clients, server, "--report", str(clients))
    assert_clean_stop(finished, "is also the input file")
    assert clients.read_bytes() == before  # not overwritten
    assert server.records() == []  # nothing sent
    assert not (tmp_path / "clients.csv.journal.sqlite").exists()


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
def test_a_report_on_the_journal_or_its_side_files_is_refused(
    tmp_path: Path, server: Server, suffix: str
) -> None:
    clients = write_csv(tmp_path / "clients.csv", people(20))
    journal = tmp_path / "j.sqlite"
    report = tmp_path / f"j.sqlite{suffix}"
    finished = imports(clients, server, "--journal", str(journal), "--report", str(report))
    assert_clean_stop(finished, "the report", "is also the journal")
    assert server.records() == []


# ---------------------------------------------------------------------- damaged journals


def truncate_to(size: Callable[[int], int]) -> Callable[[Path], None]:
    def damage(journal: Path) -> None:
        os.truncate(journal, size(journal.stat().st_size))

    return damage


def overwrite(journal: Path) -> None:
    journal.write_text("row,outcome\n2,created\n")


DAMAGE = {
    "truncated mid-file": truncate_to(lambda size: size // 2),
    "truncated to 0 bytes": truncate_to(lambda size: 0),
    "truncated to its header": truncate_to(lambda size: 100),
    "truncated to its first page": truncate_to(lambda size: 4096),
    "overwritten by another file": overwrite,
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_journal_is_refused_and_nothing_is_sent_again(
    tmp_path: Path, server: Server, damage: str
) -> None:
    rows = 600
    clients = write_csv(tmp_path / "clients.csv", people(rows))
    journal = tmp_path / "clients.csv.journal.sqlite"
    first = imports(clients, server)
    assert first.returncode == 0, first.stdout + first.stderr
    assert server.held() == every_email(rows)

    DAMAGE[damage](journal)
    damaged = journal.read_bytes()
    again = imports(clients, server)
    assert_clean_stop(again, str(journal))
    assert server.held() == every_email(rows)  # nothing sent again
    assert journal.read_bytes() == damaged  # left as it was, never reused as new
    output = again.stdout + again.stderr
    if damage == "overwritten by another file":  # no journal any more: say what it may be
        assert "If it was a journal, it was overwritten. If it is another file," in output
    else:  # a new journal would send every row again: recover this one
        assert "--journal" not in output
        assert f"clientbridge journal recover {journal}" in output


def start_and_kill(command: list[str], server: Server, after: int) -> None:
    """Run ``command`` and SIGKILL it once the server holds ``after`` more clients."""
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV
    )
    try:
        target = len(server.records()) + after
        give_up = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < give_up:
            if len(server.records()) >= target:
                break
            time.sleep(0.01)
        assert process.poll() is None, "the import finished before it was killed"
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.parametrize("fraction", [0.0, 0.5, 0.9])
def test_a_killed_import_whose_journal_is_then_truncated_sends_nothing_again(
    tmp_path: Path, slow_server: Server, fraction: float
) -> None:
    """Killed mid-run, the journal's latest rows are in its write-ahead log; the journal
    file itself then truncated (to nothing, or part way) must not be read as a journal
    that never sent those rows: it is refused, or (when every page cut off is in the log)
    whole."""
    rows = 1_000  # killed at 600: the journal has pages in its file and in its log
    clients = write_csv(tmp_path / "clients.csv", people(rows))
    journal = tmp_path / "clients.csv.journal.sqlite"
    command = [*CLI, "import", str(clients), *slow_server.target(), "--progress", "none"]
    start_and_kill(command, slow_server, after=600)
    held = slow_server.held()
    os.truncate(journal, int(journal.stat().st_size * fraction))

    again = imports(clients, slow_server)
    output = again.stdout + again.stderr
    assert "Traceback" not in output
    slow_server.assert_no_client_twice()
    if again.returncode == 2:  # refused as damaged: nothing sent
        assert slow_server.held() == held
        assert str(journal) in output
    else:  # what was cut off is all in the write-ahead log: the journal is whole
        assert again.returncode in (0, 1), output


def test_an_empty_file_at_the_journal_path_is_never_taken_for_a_new_journal(
    tmp_path: Path, server: Server
) -> None:
    clients = write_csv(tmp_path / "clients.csv", people(50))
    journal = tmp_path / "clients.csv.journal.sqlite"
    journal.touch()
    finished = imports(clients, server)
    assert_clean_stop(finished, "is an empty file")
    assert server.records() == []
    assert journal.stat().st_size == 0


def test_a_file_that_is_not_a_journal_is_refused_and_left_alone(
    tmp_path: Path, server: Server
) -> None:
    clients = write_csv(tmp_path / "clients.csv", people(50))
    notes = tmp_path / "notes.sqlite"
    shutil.copy(clients, notes)
    finished = imports(clients, server, "--journal", str(notes))
    assert_clean_stop(finished, "is not a clientbridge journal")
    assert server.records() == []
    assert notes.read_bytes() == clients.read_bytes()


def test_a_truncated_journal_is_recovered_by_asking_the_provider_then_resumes(
    tmp_path: Path, server: Server
) -> None:
    rows = 1_000
    clients = write_csv(tmp_path / "clients.csv", people(rows))
    journal = tmp_path / "clients.csv.journal.sqlite"
    assert imports(clients, server).returncode == 0
    os.truncate(journal, journal.stat().st_size // 2)

    checked = run_cli("journal", "check", str(journal))
    assert checked.returncode == 1, checked.stdout
    assert "damaged" in checked.stdout

    more = write_csv(clients, people(rows + 200))  # 200 rows appended, never sent
    recovered = run_cli("journal", "recover", str(journal), str(more), *server.target())
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert f"found in {PROVIDER}" in recovered.stdout
    assert (tmp_path / "clients.csv.journal.sqlite.damaged").exists()
    assert run_cli("journal", "check", str(journal)).returncode == 0

    report = tmp_path / "report.csv"
    resumed = imports(more, server, "--report", str(report))
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    outcomes = Counter(row["outcome"] for row in read_report(report))
    assert outcomes == {"skipped": rows, "created": 200}
    assert server.held() == every_email(rows + 200)  # every client exactly once


def test_recovery_refuses_where_the_provider_cannot_be_asked(tmp_path: Path) -> None:
    with sandbox_server(UNASKABLE, latency_ms=0) as server:
        clients = write_csv(tmp_path / "clients.csv", people(300))
        journal = tmp_path / "clients.csv.journal.sqlite"
        assert imports(clients, server).returncode == 0
        os.truncate(journal, journal.stat().st_size // 2)
        damaged = journal.read_bytes()
        recovered = run_cli("journal", "recover", str(journal), str(clients), *server.target())
        assert_clean_stop(recovered, "cannot be asked which clients exist", "nothing was written")
        assert journal.read_bytes() == damaged


# ---------------------------------------------------------------------- the write-ahead log


def test_a_write_ahead_log_removed_during_a_run_stops_it_and_nothing_is_lost(
    tmp_path: Path, slow_server: Server
) -> None:
    rows = 1_000  # the log goes at 200 rows, the kill by 500: the rest is resumed
    clients = write_csv(tmp_path / "clients.csv", people(rows))
    journal = tmp_path / "clients.csv.journal.sqlite"
    wal = journal.with_name(journal.name + "-wal")
    command = [*CLI, "import", str(clients), *slow_server.target(), "--progress", "none"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=ENV)
    try:
        give_up = time.monotonic() + 60
        while len(slow_server.records()) < 200 and time.monotonic() < give_up:
            time.sleep(0.01)
        assert process.poll() is None, "the import finished before the log was removed"
        wal.unlink()
        # Today the import goes on writing into the lost log; a crash then loses it all.
        held = len(slow_server.records())
        while (
            process.poll() is None
            and len(slow_server.records()) < held + 300
            and time.monotonic() < give_up
        ):
            time.sleep(0.01)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        assert process.stdout is not None
        output = process.stdout.read().decode()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
    assert process.returncode == 2, output
    assert "write-ahead log" in output, output
    assert "was removed" in output, output
    assert "Traceback" not in output
    slow_server.assert_no_client_twice()
    checked = run_cli("journal", "check", str(journal))
    assert checked.returncode == 0, checked.stdout  # what the lost log held was saved
    checked = run_cli("journal", "check", str(journal))
    assert checked.returncode == 0, checked.stdout  # what the lost log held was saved

    resumed = imports(clients, slow_server)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert slow_server.held() == every_email(rows)


# ---------------------------------------------------------------------- a full disk


def file_size_limit(limit: int) -> Callable[[], None]:
    """In the child: files may not grow past ``limit`` bytes, and writing past it fails
    (EFBIG) instead of killing the process (SIGXFSZ)."""

    def limit_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_files


def test_a_journal_that_cannot_grow_stops_the_import_cleanly_and_loses_nothing(
    tmp_path: Path, server: Server
) -> None:
    rows = 1_500
    clients = write_csv(tmp_path / "clients.csv", people(rows))
    journal = tmp_path / "clients.csv.journal.sqlite"
    full = imports(clients, server, preexec=file_size_limit(96 * 1024))
    assert_clean_stop(full, "cannot write the journal", str(journal))
    assert 0 < len(server.records()) < rows
    server.assert_no_client_twice()
    checked = run_cli("journal", "check", str(journal))
    assert checked.returncode == 0, checked.stdout  # whole: nothing committed was lost

    resumed = imports(clients, server, "--retry-unknown")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert server.held() == every_email(rows)  # every client exactly once


def test_a_report_on_a_full_disk_stops_the_import_cleanly_and_the_journal_keeps_all(
    tmp_path: Path, server: Server
) -> None:
    rows = 1_500
    clients = write_csv(tmp_path / "clients.csv", people(rows))
    full = imports(clients, server, "--report", "/dev/full")
    assert_clean_stop(full, "cannot write the report /dev/full", "No space left on device")
    created = len(server.records())
    assert 0 < created < rows
    server.assert_no_client_twice()

    report = tmp_path / "report.csv"
    resumed = imports(clients, server, "--report", str(report))
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    outcomes = Counter(row["outcome"] for row in read_report(report))
    assert outcomes == {"skipped": created, "created": rows - created}
    assert server.held() == every_email(rows)


# ---------------------------------------------------------------------- a fixed target


def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_a_journal_of_a_target_where_nothing_was_created_follows_the_fixed_target(
    tmp_path: Path, server: Server
) -> None:
    rows = 300
    clients = write_csv(tmp_path / "clients.csv", people(rows))
    wrong = run_cli(
        "import", str(clients), *server.target(base_url=closed_port()), "--progress", "none"
    )
    assert wrong.returncode == 2, wrong.stdout + wrong.stderr
    assert "run the same command again" in wrong.stdout

    fixed = imports(clients, server)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "no client was created: it now records this one" in fixed.stdout
    assert server.held() == every_email(rows)


def test_a_journal_of_a_target_where_clients_were_created_still_refuses_another(
    tmp_path: Path, server: Server
) -> None:
    clients = write_csv(tmp_path / "clients.csv", people(30))
    assert imports(clients, server).returncode == 0
    elsewhere = run_cli(
        "import", str(clients), *server.target(base_url=closed_port()), "--progress", "none"
    )
    assert_clean_stop(elsewhere, "records an import into")
