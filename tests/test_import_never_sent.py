"""Never sent is never unknown: rows that waited for their turn when a stop came, and rows
refused before any byte left (a proxy refusing the tunnel), are not sent, and a plain
re-run sends them; a refusal that would repeat for every row stops the import."""

from __future__ import annotations

import os
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import httpx
import pytest

from .import_fakes import (
    ROOSTED,
    FakeRoostedHR,
    invoke,
    journal_rows,
    people,
    read_report,
    write_csv,
)

PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy")


def test_rows_waiting_on_the_rate_limit_when_a_stop_comes_are_not_sent(tmp_path: Path) -> None:
    fake = FakeRoostedHR()

    def interrupt_at_the_first(request: httpx.Request) -> None:
        if len(fake.creates) == 1:
            os.kill(os.getpid(), signal.SIGINT)

    fake.on_request = interrupt_at_the_first
    path = write_csv(tmp_path / "clients.csv", people(20))
    report = tmp_path / "report.csv"
    args = ["import", str(path), *ROOSTED, "--concurrency", "8", "--report", str(report)]
    # One request a minute: the other workers' rows wait for their turn when Ctrl-C comes.
    result = invoke([*args, "--set", "rate_limit=1/min"], fake.transport)
    assert result.exit_code == 130, result.output
    assert len(fake.creates) == 1  # nothing left after the stop
    assert {
        state for state, _ in journal_rows(tmp_path / "clients.csv.journal.sqlite").values()
    } == {"created"}
    assert [row["outcome"] for row in read_report(report)] == ["created"]
    assert "unknown" not in result.stdout.split("Stopped")[0].replace("0 unknown", "")

    fake.on_request = None
    again = invoke([*args, "--set", "rate_limit=off"], fake.transport)
    assert again.exit_code == 0, again.output
    assert sorted(fake.created_emails()) == sorted(f"p{n}@example.com" for n in range(1, 21))


class RefusingProxy:
    """An HTTP proxy on 127.0.0.1 that answers every CONNECT with ``status``."""

    def __init__(self, status: bytes) -> None:
        self.status = status
        self.connects: list[bytes] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            with closing(connection):
                connection.settimeout(5)
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = connection.recv(4096)
                    if not chunk:
                        break
                    head += chunk
                self.connects.append(head.split(b"\r\n")[0])
                connection.sendall(
                    b"HTTP/1.1 " + self.status + b'\r\nProxy-Authenticate: Basic realm="p"\r\n'
                    b"Content-Length: 0\r\nConnection: close\r\n\r\n"
                )

    @contextmanager
    def running(self) -> Iterator[RefusingProxy]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join(timeout=5)
            self._listener.close()


@pytest.mark.parametrize(
    "status", [b"407 Proxy Authentication Required", b"403 Forbidden"], ids=["407", "refused"]
)
def test_a_proxy_that_refuses_the_tunnel_stops_the_import_and_nothing_is_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: bytes
) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    path = write_csv(tmp_path / "clients.csv", people(30))
    report = tmp_path / "report.csv"
    journal = tmp_path / "journal.sqlite"
    args = ["import", str(path), *ROOSTED, "--set", "base_url=https://api.example.invalid"]
    args += ["--concurrency", "4", "--journal", str(journal), "--report", str(report)]
    with RefusingProxy(status).running() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        result = invoke(args)  # a real httpx client, which goes through the proxy
    assert result.exit_code == 2, result.output
    assert proxy.connects
    assert all(line.startswith(b"CONNECT api.example.invalid:443") for line in proxy.connects)
    assert len(proxy.connects) <= 4  # stopped: not ground through the file
    assert "Stopped" in result.stdout
    assert "was not sent" in result.stdout
    assert journal_rows(journal) == {}  # nothing sent, nothing unknown
    assert all(row["outcome"] == "failed" for row in read_report(report))
    # A plain re-run, through a proxy that lets it through, sends every row once.
    monkeypatch.delenv("HTTPS_PROXY")
    fake = FakeRoostedHR()
    again = invoke(args, fake.transport)
    assert again.exit_code == 0, again.output
    assert len(fake.creates) == 30


def test_a_plain_http_proxy_asking_for_its_credential_stops_the_import(tmp_path: Path) -> None:
    def proxy(provider: str, asynchronous: bool) -> httpx.MockTransport:
        return httpx.MockTransport(
            lambda request: httpx.Response(407, text="Proxy Authentication Required")
        )

    path = write_csv(tmp_path / "clients.csv", people(30))
    journal = tmp_path / "journal.sqlite"
    args = ["import", str(path), *ROOSTED, "--concurrency", "2", "--journal", str(journal)]
    result = invoke(args, proxy)
    assert result.exit_code == 2, result.output
    assert "HTTP 407" in result.stdout
    assert journal_rows(journal) == {}  # forwarded nothing: sent as new next time
    fake = FakeRoostedHR()
    assert invoke(args, fake.transport).exit_code == 0
    assert len(fake.creates) == 30
