"""A look-up that gets no answer creates nothing: the create after it was never sent.

For every provider that looks something up before a create (`Capabilities.lookups`): when
the look-up times out or its connection fails, each client fails with a `TransportError`
that says nothing was sent (retryable, outcome known), and an import stops as for a
provider that cannot be reached, its rows sent as new by the next run. A server error
(5xx) answering the look-up leaves nothing unknown either.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

import clientbridge as cb
from clientbridge.errors import is_retryable, outcome_unknown
from clientbridge.registry import adapter_class
from clientbridge.sandbox import Sandbox

from .import_fakes import invoke, journal_rows, people, read_report, write_csv
from .providers import BUILTINS, fixture

LOOKING_UP = [name for name in BUILTINS if adapter_class(name).capabilities.lookups]
FAILURES = [
    httpx.ReadTimeout("timed out"),
    httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
]


class FailingLookups:
    """A transport factory whose every GET fails with ``error``; it records the methods."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.methods: list[str] = []

    def __call__(self, provider: str, asynchronous: bool) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            self.methods.append(request.method)
            if request.method == "GET":
                raise type(self.error)(str(self.error), request=request)
            return httpx.Response(500)  # never reached: no create is sent

        return httpx.MockTransport(answer)


def test_some_provider_looks_something_up() -> None:
    assert LOOKING_UP  # else this module tests nothing


@pytest.mark.usefixtures("no_sleep")
@pytest.mark.parametrize("error", FAILURES, ids=type)
@pytest.mark.parametrize("provider", LOOKING_UP)
def test_a_create_whose_look_up_failed_was_not_sent(provider: str, error: Exception) -> None:
    transport = FailingLookups(error)
    with cb.connect(provider, sandbox=True, transport=transport(provider, False)) as conn:
        batch = conn.create_many([fixture(provider).minimal])
    [failure] = batch.failed
    assert isinstance(failure.error, cb.TransportError)
    assert not outcome_unknown(failure.error)
    assert is_retryable(failure.error)
    assert "nothing was created" in str(failure.error)
    assert set(transport.methods) == {"GET"}  # retried (idempotent), never a create


@pytest.mark.anyio
@pytest.mark.usefixtures("no_sleep")
@pytest.mark.parametrize("provider", LOOKING_UP)
async def test_an_async_create_whose_look_up_failed_was_not_sent(provider: str) -> None:
    transport = FailingLookups(FAILURES[0])
    async with cb.connect_async(
        provider, sandbox=True, transport=transport(provider, True)
    ) as conn:
        with pytest.raises(cb.TransportError, match="nothing was created") as raised:
            await conn.create(fixture(provider).minimal)
    assert not outcome_unknown(raised.value)
    assert set(transport.methods) == {"GET"}


@pytest.mark.usefixtures("no_sleep")
@pytest.mark.parametrize("status", [500, 502, 504])
@pytest.mark.parametrize("provider", LOOKING_UP)
def test_a_server_error_to_a_look_up_leaves_nothing_unknown(provider: str, status: int) -> None:
    methods: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        methods.append(request.method)
        return httpx.Response(status, json={"message": "internal error"})

    transport = httpx.MockTransport(answer)
    with cb.connect(provider, sandbox=True, transport=transport) as conn:
        [failure] = conn.create_many([fixture(provider).minimal]).failed
    assert isinstance(failure.error, cb.ProviderUnavailableError)
    assert not outcome_unknown(failure.error)
    assert is_retryable(failure.error)
    assert "nothing was created" in str(failure.error)
    assert "internal error" in str(failure.error)
    assert set(methods) == {"GET"}


def test_a_server_error_to_a_create_still_leaves_it_unknown() -> None:
    error = cb.ProviderUnavailableError("failed", provider="p", status_code=500)
    assert outcome_unknown(error)
    assert not is_retryable(error)


def run_import(
    tmp_path: Path, provider: str, transport: Callable[[str, bool], httpx.MockTransport]
) -> tuple[int, list[dict[str, str]], str]:
    clients = tmp_path / "clients.csv"
    if not clients.exists():
        write_csv(clients, people(5))
    report = tmp_path / "report.csv"
    args = ["import", str(clients), "--provider", provider, "--sandbox", "--progress", "none"]
    args += ["--report", str(report), "--journal", str(tmp_path / "journal.sqlite")]
    result = invoke(args, transport)
    return result.exit_code, read_report(report), result.output


@pytest.mark.usefixtures("no_sleep")
@pytest.mark.parametrize("provider", LOOKING_UP)
def test_an_import_whose_look_up_fails_stops_as_unreachable_and_resends_next_time(
    tmp_path: Path, provider: str
) -> None:
    failing = FailingLookups(FAILURES[0])
    code, rows, output = run_import(tmp_path, provider, failing)
    assert code == 2, output
    assert {row["outcome"] for row in rows} <= {"failed"}
    assert all("nothing was created" in row["error"] for row in rows)
    assert "Stopped:" in output
    assert "unknown" not in output.split("Stopped:")[1]
    assert set(failing.methods) == {"GET"}
    assert journal_rows(tmp_path / "journal.sqlite") == {}  # sent as new next time

    sandbox = Sandbox()
    code, rows, output = run_import(
        tmp_path,
        provider,
        lambda name, asynchronous: sandbox.transport(name, asynchronous=asynchronous),
    )
    assert code == 0, output
    assert len(rows) == 5
    assert {row["outcome"] for row in rows} == {"created"}
