"""A scriptable RoostedHR stand-in and helpers for the CLI and import tests (no network)."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
from click.testing import CliRunner, Result

from clientbridge.cli import CliContext, cli

from .conftest import CANARY

#: The RoostedHR key the fake accepts (a canary: it must never be printed or stored).
KEY = CANARY
ROOSTED = ["--provider", "roostedhr", "--set", f"api_key={KEY}", "--progress", "none"]

#: email → the status the fake answers instead of creating the client
ANSWERS: Mapping[int, Any] = {
    401: {"message": "invalid api key"},
    409: {"message": "client already exists"},
    422: {"errors": {"client_contact_email": ["is not accepted"]}},
    500: {"message": "internal error"},
    503: {"message": "try later"},
}


class FakeRoostedHR:
    """Answers RoostedHR creates like the provider page says, keeping what it created.

    ``fail`` maps an email to the HTTP status to answer for it (once, or ``times``);
    ``latency`` (seconds) applies to async requests, which are counted in flight.
    """

    def __init__(self, *, latency: float = 0.0, key: str = KEY) -> None:
        self.latency = latency
        self.key = key
        self.fail: dict[str, int] = {}
        self.created: list[dict[str, Any]] = []
        self.requests: list[httpx.Request] = []
        self.in_flight = 0
        self.max_in_flight = 0
        #: whether ``GET /clients`` lists the created clients, and the status it answers
        self.listing = False
        self.list_status = 200
        #: called with each request before it is answered (e.g. to interrupt the import)
        self.on_request: Callable[[httpx.Request], None] | None = None

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.on_request is not None:
            self.on_request(request)
        if request.headers.get("x-api-key") != self.key:
            return httpx.Response(401, json=ANSWERS[401])
        if request.method == "GET":
            return self.client_list(request)
        body = json.loads(request.content)
        status = self.fail.get(body.get("client_contact_email") or "")
        if status is not None:
            return httpx.Response(status, json=ANSWERS[status])
        record = {"id": f"r{len(self.created) + 1}", "pending": False, **body}
        self.created.append(record)
        return httpx.Response(201, json=record)

    def client_list(self, request: httpx.Request) -> httpx.Response:
        """``GET /clients``: one page of what was created, when ``listing`` is on (the
        default fake lists nothing, like an account whose list the key cannot read)."""
        if self.list_status != 200:
            return httpx.Response(self.list_status, json=ANSWERS[self.list_status])
        if not self.listing:
            return httpx.Response(200, json={"clients": [], "total_count": 0})
        size = int(request.url.params.get("items_per_page", "10"))
        page = int(request.url.params.get("page", "1"))
        chunk = self.created[(page - 1) * size : page * size]
        return httpx.Response(200, json={"clients": chunk, "total_count": len(self.created)})

    async def answer_async(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.latency:
                await anyio.sleep(self.latency)
            return self.answer(request)
        finally:
            self.in_flight -= 1

    def transport(self, provider: str, asynchronous: bool) -> httpx.MockTransport:
        return httpx.MockTransport(self.answer_async if asynchronous else self.answer)

    @property
    def creates(self) -> list[httpx.Request]:
        return [request for request in self.requests if request.method == "POST"]

    def created_emails(self) -> list[str]:
        return [record.get("client_contact_email") for record in self.created]


def in_waves(
    answer: Callable[[httpx.Request], httpx.Response],
    size: int,
    *,
    late: bytes = b"",
    turns: int = 0,
) -> Callable[[str, bool], httpx.MockTransport]:
    """A transport factory whose requests are answered in waves of ``size``, so that
    ``size`` workers are ready at the same moment. A request whose body holds ``late`` is
    answered ``turns`` turns of the event loop after the rest of its wave."""
    wave, waiting = anyio.Event(), 0

    async def leave(request: httpx.Request) -> httpx.Response:
        nonlocal wave, waiting
        waiting += 1
        current = wave
        if waiting == size:
            waiting, wave = 0, anyio.Event()
            current.set()
        with anyio.move_on_after(1):  # the last, smaller wave
            await current.wait()
        if late and late in request.content:
            for _ in range(turns):
                await anyio.lowlevel.checkpoint()
        return answer(request)

    return lambda provider, asynchronous: httpx.MockTransport(leave)


def no_requests(provider: str, asynchronous: bool) -> httpx.MockTransport:
    """A transport that fails the test if anything is sent."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"nothing should be sent, but {request.method} {request.url} was")

    return httpx.MockTransport(refuse)


def invoke(
    args: Sequence[str],
    transport: Callable[[str, bool], httpx.MockTransport] | None = None,
    **kwargs: Any,
) -> Result:
    """Run the CLI in process with ``transport`` for every connection it opens."""
    return CliRunner().invoke(cli, list(args), obj=CliContext(transport), **kwargs)


def import_into(
    clients: Path, fake: FakeRoostedHR, *extra: str
) -> tuple[int, list[dict[str, str]], str]:
    """``clientbridge import`` of ``clients`` into ``fake``, with a report next to the file:
    the exit code, the report's rows and what was printed."""
    report = clients.with_name("report.csv")
    result = invoke(
        ["import", str(clients), *ROOSTED, "--report", str(report), *extra], fake.transport
    )
    return result.exit_code, read_report(report), result.output


def write_csv(path: Path, rows: Sequence[Sequence[str]], *, delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def people(count: int, *, start: int = 1, ids: bool = False) -> list[list[str]]:
    """A header and ``count`` clients with distinct names and emails (and, with ``ids``,
    an external id: ``C<number>``)."""
    rows = [["Company", "First Name", "Last Name", "Email Address"] + (["ID"] if ids else [])]
    for number in range(start, start + count):
        row = [f"Firm {number}", "Person", f"N{number}", f"p{number}@example.com"]
        rows.append(row + ([f"C{number}"] if ids else []))
    return rows


def read_report(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail instead of hanging (a stalled import would wait forever)."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"the import did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def journal_rows(path: Path) -> dict[int, tuple[str, str | None]]:
    """What the journal at ``path`` holds: line → (state, client id)."""
    with closing(sqlite3.connect(path)) as db:
        found = db.execute("SELECT row, state, client_id FROM rows").fetchall()
    return {row: (state, client_id) for row, state, client_id in found}


def set_state(path: Path, row: int, state: str) -> None:
    """Put ``row`` of the journal in ``state`` (``sending``: as a killed import leaves it,
    with no client id)."""
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE rows SET state = ?, client_id = NULL WHERE row = ?", (state, row))


def emails_in(value: Any) -> list[str]:
    """The email addresses anywhere in a request body or a provider's record (each
    provider nests them differently)."""
    if isinstance(value, str):
        return [value] if value.endswith("@example.com") else []
    if isinstance(value, dict):
        return [email for item in value.values() for email in emails_in(item)]
    if isinstance(value, list):
        return [email for item in value for email in emails_in(item)]
    return []


def signal_once_sent(
    command: Sequence[str], requests: Sequence[object], signal_number: int
) -> tuple[int, str, str]:
    """Run ``command``, and send it ``signal_number`` once its server holds a request
    (``requests``, filled by the server): its exit code, standard output and error."""
    process = subprocess.Popen(
        list(command),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        give_up = time.monotonic() + 30
        while not requests and time.monotonic() < give_up:
            time.sleep(0.02)
        assert requests, "the import sent nothing"
        process.send_signal(signal_number)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
    return process.returncode, stdout, stderr
