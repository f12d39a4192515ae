"""Fault soak: thousands of creates per provider against the sandbox, with faults injected.

What must hold whatever the faults: every client is created exactly once, or reported as
possibly created (`outcome_unknown`) and never sent again on its own.

The fast profile (CI) makes 1,000 creates per provider and driver in process, and 200 over
the loopback server; ``CLIENTBRIDGE_SOAK=full`` makes 5,000 and 1,000. The driver's back-off
is instant (``no_sleep``). ``pytest tests/test_reliability_soak.py -s`` prints the figures
quoted in docs/reliability.md.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import anyio
import httpx
import pytest

import clientbridge as cb
from clientbridge.errors import outcome_unknown
from clientbridge.sandbox import Sandbox, running_server

from .providers import BUILTINS, fixture

FULL = os.environ.get("CLIENTBRIDGE_SOAK") == "full"
#: Creates per provider and driver, in process.
CREATES = 5_000 if FULL else 1_000
#: Creates per provider over the loopback server (real sockets are slower).
SERVER_CREATES = 1_000 if FULL else 200
PROVIDERS = BUILTINS
DRIVERS = ("sync", "async")

#: Percent of create calls hit by each fault. These three happen before the request is
#: processed, so nothing is created and the driver may send again.
RETRYABLE = {"rate_limited": 5, "unavailable": 5, "disconnect": 2}
#: The record is created, then the provider answers 500: the ambiguous case.
AFTER_CREATE = {"error_after_create": 5}

Outcome = cb.CreateResult | cb.ClientBridgeError
EMAIL = re.compile(rb"soak\d+@example\.com")


def soak_clients(count: int) -> list[cb.Client]:
    """Clients every provider accepts, told apart by their email."""
    return [
        cb.Client(
            first_name="Soak",
            last_name=f"Person{number}",
            email=f"soak{number}@example.com",
            company_name=f"Soak Firm {number}",
        )
        for number in range(count)
    ]


def fault_mix(*shares: Mapping[str, int]) -> dict[str, Any]:
    """Sandbox options drawing each kind with its share (in percent) of create calls."""
    merged = {kind: share for mix in shares for kind, share in mix.items()}
    kinds = [kind for kind, share in merged.items() for _ in range(share)]
    return {"fail_rate": sum(merged.values()) / 100, "fault_kinds": kinds}


def record_email(provider: str, record: Mapping[str, Any]) -> str:
    return fixture(provider).record_email(record)


class CountingTransport:
    """Stands between the connection and the sandbox: every create request, in order,
    with the email it carries and its answer (0 when the connection dropped)."""

    def __init__(self, inner: httpx.MockTransport) -> None:
        self.inner = inner
        self.attempts: list[tuple[str, int]] = []

    def _note(self, request: httpx.Request, status: int) -> None:
        if request.method == "POST":
            found = EMAIL.search(request.content)
            assert found is not None
            self.attempts.append((found.group().decode(), status))

    def sync(self) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            try:
                response = self.inner.handle_request(request)
            except httpx.TransportError:
                self._note(request, 0)
                raise
            self._note(request, response.status_code)
            return response

        return httpx.MockTransport(answer)

    def asynchronous(self) -> httpx.MockTransport:
        async def answer(request: httpx.Request) -> httpx.Response:
            try:
                response = await self.inner.handle_async_request(request)
            except httpx.TransportError:
                self._note(request, 0)
                raise
            self._note(request, response.status_code)
            return response

        return httpx.MockTransport(answer)


def create_each(
    connect: Callable[[], cb.Connection], clients: Sequence[cb.Client]
) -> list[Outcome]:
    """``conn.create`` for each client, in turn; the outcome or the error of each."""
    outcomes: list[Outcome] = []
    with connect() as conn:
        for client in clients:
            try:
                outcomes.append(conn.create(client))
            except cb.ClientBridgeError as error:
                outcomes.append(error)
    return outcomes


def create_each_async(
    connect: Callable[[], cb.AsyncConnection], clients: Sequence[cb.Client]
) -> list[Outcome]:
    """``await conn.create`` for each client, eight at a time."""

    async def run() -> list[Outcome]:
        outcomes: dict[int, Outcome] = {}
        limit = anyio.Semaphore(8)

        async def create(conn: cb.AsyncConnection, index: int, client: cb.Client) -> None:
            async with limit:
                try:
                    outcomes[index] = await conn.create(client)
                except cb.ClientBridgeError as error:
                    outcomes[index] = error

        async with connect() as conn, anyio.create_task_group() as tasks:
            for index, client in enumerate(clients):
                tasks.start_soon(create, conn, index, client)
        return [outcomes[index] for index in range(len(clients))]

    return anyio.run(run)


class Soak:
    """Creates clients in one provider's sandbox through the sync or the async driver,
    counting every create request."""

    def __init__(self, provider: str, driver: str, sandbox: Sandbox) -> None:
        self.provider = provider
        self.driver = driver
        self.sandbox = sandbox
        inner = sandbox.transport(provider, asynchronous=driver == "async")
        self.counting = CountingTransport(inner)

    def create(self, clients: Sequence[cb.Client]) -> list[Outcome]:
        if self.driver == "sync":
            transport = self.counting.sync()
            return create_each(
                lambda: cb.connect(self.provider, sandbox=True, transport=transport), clients
            )
        transport = self.counting.asynchronous()
        return create_each_async(
            lambda: cb.connect_async(self.provider, sandbox=True, transport=transport), clients
        )

    @property
    def requests(self) -> int:
        return len(self.counting.attempts)

    def emails_held(self) -> Counter[str]:
        records = self.sandbox.records(self.provider)
        return Counter(record_email(self.provider, record) for record in records)

    def never_sent_again_after(self, statuses: set[int]) -> None:
        """No email was sent again once it was answered with one of ``statuses``."""
        answered: set[str] = set()
        for email, status in self.counting.attempts:
            assert email not in answered, f"{email} was sent again after one of {statuses}"
            if status in statuses:
                answered.add(email)


@pytest.mark.usefixtures("no_sleep")
@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_faults_before_processing_still_create_every_client_exactly_once(
    provider: str, driver: str
) -> None:
    run = Soak(provider, driver, Sandbox(seed=f"soak-{provider}-{driver}", **fault_mix(RETRYABLE)))
    clients = soak_clients(CREATES)
    outcomes = run.create(clients)
    # A client hit on every try (1 + the default 3 retries) failed without being created:
    # sending it again is safe, as `clientbridge import --retry-failed` would.
    passes = 1
    while failed := [i for i, o in enumerate(outcomes) if not isinstance(o, cb.CreateResult)]:
        assert passes < 5
        for index in failed:
            assert not outcome_unknown(outcomes[index]), outcomes[index]
        for index, outcome in zip(failed, run.create([clients[i] for i in failed]), strict=True):
            outcomes[index] = outcome
        passes += 1

    held = run.emails_held()
    assert held == Counter(client.email for client in clients)  # 100% created, 0 duplicates
    assert len({o.id for o in outcomes if isinstance(o, cb.CreateResult)}) == CREATES
    injected = run.sandbox.injected
    assert set(injected) == set(RETRYABLE)  # every kind was really injected
    # Each fault cost exactly one more request, and nothing else was ever sent again.
    assert run.requests == CREATES + sum(injected.values())
    run.never_sent_again_after({200, 201})
    print(
        f"\n{provider} {driver}: {CREATES:,} creates, faults {dict(injected)} "
        f"({sum(injected.values()) / run.requests:.1%} of {run.requests:,} requests): "
        f"{len(held):,} created, {sum(held.values()) - len(held)} duplicates, "
        f"{passes - 1} extra pass(es)"
    )


@pytest.mark.usefixtures("no_sleep")
@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_500_after_create_is_reported_unknown_and_never_sent_again(
    provider: str, driver: str
) -> None:
    mix = fault_mix(RETRYABLE, AFTER_CREATE)
    run = Soak(provider, driver, Sandbox(seed=f"ambiguous-{provider}-{driver}", **mix))
    clients = soak_clients(CREATES)
    outcomes = run.create(clients)

    injected = run.sandbox.injected
    held = run.emails_held()
    duplicated = sorted(email for email, count in held.items() if count > 1)
    assert not duplicated, f"{len(duplicated)} clients created twice, e.g. {duplicated[:3]}"
    unknown = [o for o in outcomes if not isinstance(o, cb.CreateResult) and outcome_unknown(o)]
    assert 0 < len(unknown) == injected["error_after_create"]
    for error in unknown:
        assert isinstance(error, cb.ProviderUnavailableError)
        assert (error.status_code, error.retryable) == (500, False)
        assert "check whether the client was created" in str(error)
    # A client hit on every try by the retryable faults failed, created nothing.
    not_created = {
        client.email
        for client, outcome in zip(clients, outcomes, strict=True)
        if not isinstance(outcome, cb.CreateResult) and not outcome_unknown(outcome)
    }
    assert set(held) == {client.email for client in clients} - not_created
    retries = sum(injected[kind] for kind in RETRYABLE)
    # Each retryable fault cost one more request (but the last of a client that gave up);
    # not one request more after a 500.
    assert run.requests == CREATES + retries - len(not_created)
    run.never_sent_again_after({200, 201, 500})
    print(
        f"\n{provider} {driver}: {CREATES:,} creates, faults {dict(injected)}: "
        f"{CREATES - len(unknown) - len(not_created):,} created, {len(unknown)} unknown (every "
        f"one created once, none sent again), {len(not_created)} failed retryable, "
        f"{sum(held.values()) - len(held)} duplicates"
    )


@pytest.mark.usefixtures("no_sleep")
@pytest.mark.parametrize("provider", PROVIDERS)
def test_dropped_connections_over_real_http_are_maybe_sent_and_never_resent(
    provider: str,
) -> None:
    # Over a socket a dropped connection comes after the request left: it may have
    # reached the provider, so it is never sent again (the sandbox dropped it unread).
    mix = fault_mix({"rate_limited": 5, "unavailable": 5, "disconnect": 5})
    clients = soak_clients(SERVER_CREATES)
    with running_server(provider, seed=f"server-{provider}", **mix) as server:
        settings = {**server.settings, "timeout": 10}
        outcomes = create_each(lambda: cb.connect(provider, **settings), clients)
        records = httpx.get(server.records_url, timeout=10).json()
        injected = server.sandbox.injected
    dropped = [outcome for outcome in outcomes if isinstance(outcome, cb.TransportError)]
    assert 0 < len(dropped) == injected["disconnect"]
    assert all(error.maybe_sent and outcome_unknown(error) for error in dropped)
    held = Counter(record_email(provider, record) for record in records)
    assert max(held.values()) == 1
    created = [outcome for outcome in outcomes if isinstance(outcome, cb.CreateResult)]
    assert len(created) == len(held)
    assert (
        len(created)
        + len(dropped)
        + sum(1 for o in outcomes if isinstance(o, cb.ProviderError) and o.retryable)
        == SERVER_CREATES
    )
    print(
        f"\n{provider} over HTTP: {SERVER_CREATES} creates, faults {dict(injected)}: "
        f"{len(created)} created, {len(dropped)} dropped connections reported maybe_sent "
        f"(none resent), {sum(held.values()) - len(held)} duplicates"
    )


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_soak_counts_requests_by_the_email_they_carry(provider: str) -> None:
    # The helpers the soak relies on: one attempt per create request, with its email and
    # status; the email read back from the emulator's record.
    sandbox = Sandbox()
    counting = CountingTransport(sandbox.transport(provider))
    with cb.connect(provider, sandbox=True, transport=counting.sync()) as conn:
        conn.create(soak_clients(1)[0])
    assert [email for email, _ in counting.attempts] == ["soak0@example.com"]
    assert [record_email(provider, record) for record in sandbox.records(provider)] == [
        "soak0@example.com"
    ]
