"""The command line survives its terminal: a closed pipe never stops an import, SIGHUP
stops it like SIGTERM, and a provider's answer cannot drive the terminal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from clientbridge.cli.terminal import printable

from .import_fakes import (
    KEY,
    ROOSTED,
    invoke,
    journal_rows,
    people,
    read_report,
    signal_once_sent,
    write_csv,
)

CLI = [sys.executable, "-m", "clientbridge.cli"]
HOSTILE = "\x1b]0;owned\x07\x1b[2J\rfake line\x9b31m"


def _cli(*args: str) -> list[str]:
    return [*CLI, "import", *args, "--provider", "roostedhr"]


@pytest.mark.skipif(sys.platform == "win32", reason="a pipe whose reader left")
@pytest.mark.parametrize("output", [[], ["--json"]])
def test_a_closed_pipe_never_stops_the_import(tmp_path: Path, output: list[str]) -> None:
    clients = write_csv(tmp_path / "clients.csv", people(40))
    journal, report = tmp_path / "journal.sqlite", tmp_path / "report.csv"
    read_end, write_end = os.pipe()
    os.close(read_end)  # `... 2>&1 | head -1`: the reader has left
    command = _cli(str(clients), "--sandbox", "--journal", str(journal), "--report", str(report))
    command += ["--progress", "plain", "--progress-interval", "0", *output]
    try:
        done = subprocess.run(command, stdout=write_end, stderr=write_end, timeout=120)
    finally:
        os.close(write_end)
    assert done.returncode == 0
    states = {line: state for line, (state, _) in journal_rows(journal).items()}
    assert states == dict.fromkeys(range(2, 42), "created")
    assert [row["outcome"] for row in read_report(report)] == ["created"] * 40


@pytest.mark.skipif(sys.platform == "win32", reason="a pipe whose reader left")
def test_the_summary_goes_to_stderr_when_stdout_is_closed(tmp_path: Path) -> None:
    clients = write_csv(tmp_path / "clients.csv", people(5))
    read_end, write_end = os.pipe()
    os.close(read_end)  # `... | head -1`: standard output's reader has left
    command = _cli(str(clients), "--sandbox", "--progress", "none")
    try:
        done = subprocess.run(
            command, stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120
        )
    finally:
        os.close(write_end)
    assert done.returncode == 0, done.stderr
    assert "5 created" in done.stderr
    assert "Traceback" not in done.stderr


class _SlowCreate(BaseHTTPRequestHandler):
    """Answers a create as the provider does, after ``delay`` seconds."""

    delay = 1.0
    lines: list[str] = []

    def do_POST(self) -> None:
        self.lines.append(self.requestline)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        time.sleep(self.delay)
        answer = json.dumps({"id": f"r{len(self.lines)}", "pending": False, **body}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def _slow_server() -> Iterator[tuple[str, list[str]]]:
    handler = type("Handler", (_SlowCreate,), {"lines": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.lines
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP")
def test_sighup_stops_the_import_like_sigterm(tmp_path: Path) -> None:
    clients = write_csv(tmp_path / "clients.csv", people(3))
    journal, report = tmp_path / "journal.sqlite", tmp_path / "report.csv"
    with _slow_server() as (base_url, lines):
        command = _cli(str(clients), "--set", f"api_key={KEY}", "--set", f"base_url={base_url}")
        command += ["--concurrency", "1", "--progress", "none", "--journal", str(journal)]
        command += ["--report", str(report)]
        returncode, stdout, stderr = signal_once_sent(command, lines, signal.SIGHUP)
    # Stopped cleanly: the request in flight finished and was journaled, nothing new sent.
    assert returncode == 130, stdout + stderr
    assert lines == ["POST /clients HTTP/1.1"]
    assert journal_rows(journal) == {2: ("created", "r1")}
    assert [row["outcome"] for row in read_report(report)] == ["created"]
    assert "Stopping" in stderr


def _answering(status: int, body: dict[str, object]) -> object:
    def transport(provider: str, asynchronous: bool) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            sent = json.loads(request.content) if request.method == "POST" else {}
            return httpx.Response(status, json={**sent, **body})

        return httpx.MockTransport(answer)

    return transport


def _assert_no_control(text: str) -> None:
    assert not any(char in text for char in "\x1b\r\x07\x9b"), repr(text)


def test_a_provider_id_reaches_the_terminal_with_its_control_characters_spelled_out() -> None:
    args = ["create", *ROOSTED[:4], "--first-name", "Ada", "--last-name", "L"]
    args += ["--email", "ada@example.com", "--company", "Acme"]
    result = invoke(args, _answering(201, {"id": HOSTILE, "pending": False}))  # type: ignore[arg-type]
    assert result.exit_code == 0, result.output
    _assert_no_control(result.output)
    assert printable(HOSTILE) in result.output
    assert "\\x1b]0;owned\\x07\\x1b[2J\\rfake line\\x9b31m" in result.output


def test_a_provider_error_reaches_the_terminal_with_its_control_characters_spelled_out(
    tmp_path: Path,
) -> None:
    answer = _answering(422, {"message": HOSTILE})
    args = ["create", *ROOSTED[:4], "--first-name", "Ada", "--last-name", "L"]
    args += ["--email", "ada@example.com", "--company", "Acme"]
    created = invoke(args, answer)  # type: ignore[arg-type]
    assert created.exit_code == 1
    _assert_no_control(created.output)
    assert "\\x1b[2J" in created.output
    path = write_csv(tmp_path / "clients.csv", people(2))
    imported = invoke(["import", str(path), *ROOSTED, "--no-journal"], answer)  # type: ignore[arg-type]
    assert imported.exit_code == 1
    _assert_no_control(imported.output)
    assert "\\x1b[2J" in imported.output
    as_json = invoke(["import", str(path), *ROOSTED, "--no-journal", "--json"], answer)  # type: ignore[arg-type]
    _assert_no_control(as_json.stdout)
    assert json.loads(as_json.stdout)["imports"]
