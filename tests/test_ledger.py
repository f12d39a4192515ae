"""Exactly once from any app (SPEC §10): every behaviour, sync and async, on a SQLite file
and on a real Redis server. The providers are sandboxes; nothing touches the network.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

import clientbridge as cb
from clientbridge.sandbox import Sandbox

from .ledger_support import MODES, Either, connected, grouped, person
from .ledger_support import ledger as ledger  # fixtures
from .ledger_support import location as location
from .ledger_support import redis_location as redis_location

pytestmark = pytest.mark.anyio

#: asks the provider (``find_existing``), and one that cannot be asked
ASKED, NOT_ASKED = "roostedhr", "placio"


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox()


# ---------------------------------------------------------------------- replay


@pytest.mark.parametrize("provider", cb.providers())
async def test_a_key_created_once_is_replayed_with_the_same_id_and_nothing_sent(
    mode: str, ledger: cb.Ledger, sandbox: Sandbox, provider: str
) -> None:
    async with connected(mode, provider, sandbox, ledger=ledger) as conn:
        first = await conn.create(person(), key="user-42")
        again = await conn.create(person(), key="user-42")
    assert first.replayed is False
    assert again.replayed is True
    assert again.id == first.id
    assert again.provider == first.provider
    assert again.client == first.client
    assert again.status == first.status
    assert len(sandbox.records(provider)) == 1


async def test_the_key_defaults_to_the_external_id_then_the_email(
    mode: str, ledger: cb.Ledger, sandbox: Sandbox
) -> None:
    async with connected(mode, ASKED, sandbox, ledger=ledger) as conn:
        by_id = await conn.create(person(1, external_id="crm-1"))
        same_id = await conn.create(person(2, external_id="crm-1"))
        by_email = await conn.create(person(3))
        same_email = await conn.create(person(3, first_name="Other"))
    assert same_id.replayed
    assert same_id.id == by_id.id
    assert same_email.replayed
    assert same_email.id == by_email.id
    assert len(sandbox.records(ASKED)) == 2
    account = conn.ledger_account().id
    assert ledger.entry(account, "crm-1") is not None
    assert ledger.entry(account, "ada3@example.com") is not None


async def test_a_client_without_external_id_or_email_is_refused_before_sending(
    mode: str, ledger: cb.Ledger, sandbox: Sandbox
) -> None:
    async with connected(mode, NOT_ASKED, sandbox, ledger=ledger) as conn:
        with pytest.raises(cb.ValidationError, match="needs a key"):
            await conn.create(cb.Client(name="Acme Ltd", phone="+44 7700 900123"))
        created = await conn.create(cb.Client(name="Acme Ltd", phone="+44 7700 900123"), key="acme")
    assert created.replayed is False
    assert len(sandbox.records(NOT_ASKED)) == 1


async def test_a_key_without_a_ledger_is_a_configuration_error(mode: str, sandbox: Sandbox) -> None:
    async with connected(mode, ASKED, sandbox) as conn:
        with pytest.raises(cb.ConfigurationError, match="needs a ledger"):
            await conn.create(person(), key="user-42")
    assert sandbox.records(ASKED) == []


@pytest.mark.parametrize("key", ["", "k" * 513])
async def test_an_empty_or_too_long_key_is_a_validation_error(
    mode: str, ledger: cb.Ledger, sandbox: Sandbox, key: str
) -> None:
    async with connected(mode, ASKED, sandbox, ledger=ledger) as conn:
        with pytest.raises(cb.ValidationError, match="key"):
            await conn.create(person(), key=key)
        longest = await conn.create(person(), key="k" * 512)
    assert longest.replayed is False
    assert len(sandbox.records(ASKED)) == 1


# ---------------------------------------------------------------------- failures


@pytest.mark.parametrize("fault", ["unavailable", "rate_limited"])
async def test_a_failure_that_proves_nothing_was_created_leaves_no_entry(
    mode: str, ledger: cb.Ledger, sandbox: Sandbox, fault: str
) -> None:
    sandbox.inject(fault, provider=NOT_ASKED)
    async with connected(mode, NOT_ASKED, sandbox, ledger=ledger, max_retries=0) as conn:
        with pytest.raises(cb.ProviderError):
            await conn.create(person(), key="user-1")
        assert ledger.entry(conn.ledger_account().id, "user-1") is None
        again = await conn.create(person(), key="user-1")
    assert again.replayed is False
    assert len(sandbox.records(NOT_ASKED)) == 1


async def test_a_client_the_provider_refuses_leaves_no_entry(
    mode: str, ledger: cb.Ledger, sandbox: Sandbox
) -> None:
    async with connected(mode, ASKED, sandbox, ledger=ledger) as conn:
        with pytest.raises(cb.ValidationError):
            await conn.create(cb.Client(email="no-name@example.com"), key="user-1")
        assert ledger.entry(conn.ledger_account().id, "user-1") is None


# ---------------------------------------------------------------------- unknown outcomes


async def test_an_unknown_outcome_is_looked_up_and_a_found_client_replayed(
    mode: str, ledger: cb.Ledger, sandbox: Sandbox
) -> None:
    sandbox.inject("error_after_create", provider=ASKED)
    async with connected(mode, ASKED, sandbox, ledger=ledger, max_retries=0) as conn:
        with pytest.raises(cb.ProviderUnavailableError):
            await conn.create(person(), key="user-1")
        entry = ledger.entry(conn.ledger_account().id, "user-1")
        assert entry is not None
        assert entry.state == "unknown"
        found = await conn.create(person(), key="user-1")
        replayed = await conn.create(person(), key="user-1")
    assert found.replayed is True
    assert found.id == sandbox.records(ASKED)[0]["id"]
    assert replayed.replayed is True
    assert replayed.id == found.id
    assert len(sandbox.records(ASKED)) == 1


async def test_not_found_inside_the_settle_window_is_unknown_with_retry_after(
    mode: str, ledger: cb.Ledger, sandbox: Sandbox
) -> None:
    sandbox.inject("server_error", provider=ASKED)  # a 500 that created nothing
    async with connected(
        mode, ASKED, sandbox, ledger=ledger, max_retries=0, settle_after=0.6
    ) as conn:
        with pytest.raises(cb.ProviderUnavailableError):
            await conn.create(person(), key="user-1")
        with pytest.raises(cb.UnknownOutcomeError) as raised:
            await conn.create(person(), key="user-1")
        assert raised.value.key == "user-1"
        assert raised.value.retry_after is not None
        assert 0 < raised.value.retry_after <= 0.6
        assert sandbox.records(ASKED) == []
        time.sleep(raised.value.retry_after)
        sent = await conn.create(person(), key="user-1")
    assert sent.replayed is False
    assert len(sandbox.records(ASKED)) == 1


async def test_the_default_settle_window_is_the_total_timeout_plus_ten_seconds(
    mode: str, ledger: cb.Ledger, sandbox: Sandbox
) -> None:
    sandbox.inject("server_error", provider=ASKED)
    async with connected(
        mode, ASKED, sandbox, ledger=ledger, max_retries=0, total_timeout=5
    ) as conn:
        with pytest.raises(cb.ProviderUnavailableError):
            await conn.create(person(), key="user-1")
        with pytest.raises(cb.UnknownOutcomeError) as raised:
            await conn.create(person(), key="user-1")
    assert raised.value.retry_after is not None
    assert 14 < raised.value.retry_after <= 15


async def test_resend_unknown_sends_inside_the_window(
    mode: str, ledger: cb.Ledger, sandbox: Sandbox
) -> None:
    sandbox.inject("server_error", provider=ASKED)
    async with connected(mode, ASKED, sandbox, ledger=ledger, max_retries=0) as conn:
        with pytest.raises(cb.ProviderUnavailableError):
            await conn.create(person(), key="user-1")
        sent = await conn.create(person(), key="user-1", resend_unknown=True)
    assert sent.replayed is False
    assert len(sandbox.records(ASKED)) == 1


async def test_a_provider_that_cannot_be_asked_raises_unknown_outcome_until_resent(
    mode: str, ledger: cb.Ledger, sandbox: Sandbox
) -> None:
    assert not cb.connect(NOT_ASKED, sandbox=True).capabilities.find_existing
    sandbox.inject("error_after_create", provider=NOT_ASKED)
    async with connected(mode, NOT_ASKED, sandbox, ledger=ledger, max_retries=0) as conn:
        with pytest.raises(cb.ProviderUnavailableError):
            await conn.create(person(), key="user-1")
        for _ in range(2):
            with pytest.raises(cb.UnknownOutcomeError) as raised:
                await conn.create(person(), key="user-1")
            assert raised.value.retry_after is None
            assert raised.value.key == "user-1"
            assert "resend_unknown=True" in str(raised.value)
        assert len(sandbox.records(NOT_ASKED)) == 1
        resent = await conn.create(person(), key="user-1", resend_unknown=True)
        replayed = await conn.create(person(), key="user-1")
    assert resent.replayed is False
    assert replayed.replayed is True
    assert replayed.id == resent.id
    assert len(sandbox.records(NOT_ASKED)) == 2  # the caller said to resend


async def test_a_connect_error_leaves_no_entry(
    mode: str, ledger: cb.Ledger, sandbox: Sandbox
) -> None:
    sandbox.inject("disconnect", provider=NOT_ASKED)  # in-process: the request never left
    async with connected(mode, NOT_ASKED, sandbox, ledger=ledger, max_retries=0) as conn:
        with pytest.raises(cb.TransportError) as raised:
            await conn.create(person(), key="user-1")
        assert raised.value.maybe_sent is False
        assert ledger.entry(conn.ledger_account().id, "user-1") is None
        assert (await conn.create(person(), key="user-1")).replayed is False


class TimesOutOnce(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """The sandbox, but the first create is stored and its answer times out."""

    def __init__(self, sandbox: Sandbox, provider: str) -> None:
        self.sync = sandbox.transport(provider)
        self.asynchronous = sandbox.transport(provider, asynchronous=True)
        self.timed_out = False

    def _once(self, request: httpx.Request) -> bool:
        first = request.method == "POST" and not self.timed_out
        self.timed_out = self.timed_out or first
        return first

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.sync.handle_request(request)
        if self._once(request):
            raise httpx.ReadTimeout("timed out", request=request)
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.asynchronous.handle_async_request(request)
        if self._once(request):
            raise httpx.ReadTimeout("timed out", request=request)
        return response


async def test_a_read_timeout_after_sending_leaves_the_key_unknown(
    mode: str, ledger: cb.Ledger, sandbox: Sandbox
) -> None:
    transport = TimesOutOnce(sandbox, NOT_ASKED)
    opened = cb.connect if mode == "sync" else cb.connect_async
    conn = Either(opened(NOT_ASKED, sandbox=True, transport=transport, ledger=ledger))
    try:
        with pytest.raises(cb.TransportError) as raised:
            await conn.create(person(), key="user-1")
        assert raised.value.maybe_sent is True
        entry = ledger.entry(conn.ledger_account().id, "user-1")
        assert entry is not None
        assert entry.state == "unknown"
        assert entry.attempted_at is not None
        assert abs(entry.attempted_at - time.time()) < 30
        with pytest.raises(cb.UnknownOutcomeError):
            await conn.create(person(), key="user-1")
    finally:
        await conn.close()
    assert len(sandbox.records(NOT_ASKED)) == 1


async def test_a_look_up_match_recorded_under_another_key_is_not_this_keys_client(
    mode: str, ledger: cb.Ledger, sandbox: Sandbox
) -> None:
    async with connected(mode, ASKED, sandbox, ledger=ledger, max_retries=0) as conn:
        first = await conn.create(person(), key="first")
        sandbox.inject("server_error", provider=ASKED)
        with pytest.raises(cb.ProviderUnavailableError):
            await conn.create(person(), key="second")  # the same person: the look-up matches
        with pytest.raises(cb.UnknownOutcomeError):
            await conn.create(person(), key="second")
        second = await conn.create(person(), key="second", resend_unknown=True)
    assert second.id != first.id


# ---------------------------------------------------------------------- accounts


async def test_two_names_for_one_account_share_entries_and_two_accounts_do_not(
    mode: str, ledger: cb.Ledger, sandbox: Sandbox
) -> None:
    async with connected(mode, NOT_ASKED, sandbox, ledger=ledger) as one:
        first = await one.create(person(), key="user-1")
    async with connected(mode, NOT_ASKED, sandbox, ledger=ledger) as same_account:
        again = await same_account.create(person(), key="user-1")
    other = Sandbox(credentials={NOT_ASKED: "another-token-0042"})
    async with connected(
        mode, NOT_ASKED, other, ledger=ledger, token="another-token-0042"
    ) as another:
        elsewhere = await another.create(person(), key="user-1")
    assert again.replayed
    assert again.id == first.id
    assert elsewhere.replayed is False
    assert len(other.records(NOT_ASKED)) == 1


# ---------------------------------------------------------------------- create_many


async def test_create_many_creates_each_client_under_its_default_key_once(
    mode: str, ledger: cb.Ledger, sandbox: Sandbox
) -> None:
    clients = [
        person(1),
        person(2, external_id="crm-2"),
        cb.Client(name="No Key", phone="+44 7700 900124"),
    ]
    async with connected(mode, NOT_ASKED, sandbox, ledger=ledger) as conn:
        first = await conn.create_many(clients)
        again = await conn.create_many(clients)
    assert [s.replayed for s in first.succeeded] == [False, False]
    assert [s.replayed for s in again.succeeded] == [True, True]
    assert [s.id for s in again.succeeded] == [s.id for s in first.succeeded]
    assert [f.index for f in first.failed] == [2]
    assert isinstance(first.failed[0].error, cb.ValidationError)
    assert len(sandbox.records(NOT_ASKED)) == 2


async def test_create_many_with_a_ledger_resends_only_what_failed(
    mode: str, ledger: cb.Ledger, sandbox: Sandbox
) -> None:
    clients = [person(number) for number in range(4)]
    async with connected(mode, NOT_ASKED, sandbox, ledger=ledger, max_retries=0) as conn:
        sandbox.inject("unavailable", provider=NOT_ASKED)
        first = await conn.create_many(clients)
        again = await conn.create_many(clients)
    assert len(first.failed) == 1
    assert again.ok
    assert sorted(s.replayed for s in again.succeeded) == [False, True, True, True]
    assert len(sandbox.records(NOT_ASKED)) == 4


# ---------------------------------------------------------------------- groups


async def test_a_group_rerun_sends_only_where_it_failed(
    mode: str, ledger: cb.Ledger, sandbox: Sandbox
) -> None:
    providers = [ASKED, NOT_ASKED]
    async with grouped(mode, sandbox, providers, ledger=ledger) as group:
        sandbox.inject("unavailable", count=4, provider=NOT_ASKED)
        first = await group.create(person(), key="user-42")
        rerun = await group.create(person(), key="user-42")
        third = await group.create(person(), key="user-42")
    assert list(first.results) == [f"to-{ASKED}"]
    assert list(first.errors) == [f"to-{NOT_ASKED}"]
    assert rerun.ok
    assert rerun.results[f"to-{ASKED}"].replayed is True
    assert rerun.results[f"to-{ASKED}"].id == first.results[f"to-{ASKED}"].id
    assert rerun.results[f"to-{NOT_ASKED}"].replayed is False
    assert all(result.replayed for result in third.results.values())
    assert len(sandbox.records(ASKED)) == 1
    assert len(sandbox.records(NOT_ASKED)) == 1


async def test_a_group_without_a_ledger_refuses_a_key(mode: str, sandbox: Sandbox) -> None:
    async with grouped(mode, sandbox, [ASKED, NOT_ASKED]) as group:
        with pytest.raises(cb.ConfigurationError, match="needs a ledger"):
            await group.create(person(), key="user-42")
    assert sandbox.records(ASKED) == sandbox.records(NOT_ASKED) == []


async def test_a_group_create_many_with_a_ledger_sends_each_client_once(
    mode: str, ledger: cb.Ledger, sandbox: Sandbox
) -> None:
    clients = [person(1), person(2)]
    async with grouped(mode, sandbox, [ASKED, NOT_ASKED], ledger=ledger) as group:
        first = await group.create_many(clients)
        again = await group.create_many(clients)
    for name in (f"to-{ASKED}", f"to-{NOT_ASKED}"):
        assert first[name].ok
        assert again[name].ok
        assert all(result.replayed for result in again[name].succeeded)
    assert len(sandbox.records(ASKED)) == len(sandbox.records(NOT_ASKED)) == 2


# ---------------------------------------------------------------------- one key at once


async def test_concurrent_tasks_with_one_key_create_once(
    ledger: cb.Ledger, sandbox: Sandbox
) -> None:
    import anyio

    sandbox.configure(latency_ms=100)
    sandbox.inject("latency", count=1, provider=NOT_ASKED)
    results: list[Any] = []
    async with connected("async", NOT_ASKED, sandbox, ledger=ledger) as conn:

        async def one() -> None:
            results.append(await conn.create(person(), key="user-1"))

        async with anyio.create_task_group() as tasks:
            for _ in range(6):
                tasks.start_soon(one)
    assert len(sandbox.records(NOT_ASKED)) == 1
    assert len({result.id for result in results}) == 1
    assert sorted(result.replayed for result in results) == [False] + [True] * 5


def test_concurrent_threads_with_one_key_create_once(ledger: cb.Ledger, sandbox: Sandbox) -> None:
    from concurrent.futures import ThreadPoolExecutor

    sandbox.configure(latency_ms=100)
    sandbox.inject("latency", count=1, provider=NOT_ASKED)
    with cb.connect(
        NOT_ASKED, sandbox=True, transport=sandbox.transport(NOT_ASKED), ledger=ledger
    ) as conn:
        with ThreadPoolExecutor(6) as pool:
            results = list(pool.map(lambda _: conn.create(person(), key="user-1"), range(6)))
    assert len(sandbox.records(NOT_ASKED)) == 1
    assert len({result.id for result in results}) == 1
    assert sorted(result.replayed for result in results) == [False] + [True] * 5


def test_a_caller_waits_no_longer_than_the_total_timeout(
    ledger: cb.Ledger, sandbox: Sandbox
) -> None:
    with cb.connect(
        NOT_ASKED,
        sandbox=True,
        transport=sandbox.transport(NOT_ASKED),
        ledger=ledger,
        total_timeout=0.3,
    ) as conn:
        account = conn.ledger_account().id
        now = time.time()
        claim = ledger.store.claim(account, "user-1", holder="other", now=now, lease_until=now + 60)
        assert claim.granted
        with pytest.raises(cb.UnknownOutcomeError, match="another caller") as raised:
            conn.create(person(), key="user-1")
    assert raised.value.retry_after is not None
    assert raised.value.retry_after > 50
    assert sandbox.records(NOT_ASKED) == []


# ---------------------------------------------------------------------- closing


def test_a_ledger_given_by_location_is_opened_and_closed_by_the_connection(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    path = tmp_path / "app.ledger"
    with cb.connect(
        NOT_ASKED, sandbox=True, transport=sandbox.transport(NOT_ASKED), ledger=str(path)
    ) as conn:
        assert conn.create(person(), key="k").replayed is False
        assert conn.ledger is not None
    with pytest.raises(cb.ConfigurationError, match="closed"):
        conn.ledger.store  # noqa: B018
    with cb.Ledger(path) as ledger:
        assert ledger.entry(conn.ledger_account().id, "k") is not None


async def test_one_key_in_two_workspaces_of_one_token_is_two_entries(
    mode: str, ledger: cb.Ledger
) -> None:
    from clientbridge.sandbox.emulators.placio import WORKSPACE_ID

    sandbox = Sandbox()
    async with connected(mode, NOT_ASKED, sandbox, ledger=ledger) as one:
        first = await one.create(person(), key="user-1")
    async with connected(
        mode, NOT_ASKED, sandbox, ledger=ledger, workspace_id=WORKSPACE_ID + "-other"
    ) as other:
        assert other.ledger_account().id != one.ledger_account().id
    assert first.replayed is False
