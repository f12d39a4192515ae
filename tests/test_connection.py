"""Connections: create, create_many, preview, on_unsupported, sync/async parity."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import anyio
import httpx
import pytest

import clientbridge as cb
from clientbridge.registry import adapter_class

from .conftest import CANARY, Recorder, respond

ROOSTED = {"api_key": CANARY}
PLACIO = {"token": CANARY, "workspace_id": "ws1", "base_url": "https://placio.example"}


def roosted_echo(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    if body["client_name"] == "Broken Ltd":
        return httpx.Response(422, json={"message": "client_name is reserved"})
    return httpx.Response(201, json={"id": f"id-{body['client_name']}", **body, "pending": False})


def test_preview_lists_the_request_with_secrets_redacted_and_sends_nothing() -> None:
    recorder = Recorder(respond(201, {}))
    with cb.connect("placio", transport=recorder.transport(), **PLACIO) as conn:
        plan = conn.preview(cb.Client(name="Ada", email="ada@example.com"))
    assert recorder.requests == []
    assert len(plan) == 1
    assert isinstance(plan[0], cb.HttpRequest)
    assert plan[0].method == "POST"
    assert plan[0].url == "https://placio.example/v1/workspace/ws1/clients"
    assert plan[0].headers["Authorization"] == "***"
    assert plan[0].json["name"] == "Ada"
    assert CANARY not in repr(plan)


def test_preview_validates_like_create() -> None:
    with cb.connect("placio", **PLACIO) as conn, pytest.raises(cb.ValidationError):
        conn.preview(cb.Client(name="Ada"))


def test_create_many_reports_each_client_in_input_order() -> None:
    clients = [
        cb.Client(company_name="One"),
        cb.Client(email="no-name@example.com"),  # invalid: no client_name
        cb.Client(company_name="Broken Ltd"),  # rejected by the provider
        cb.Client(company_name="Four"),
    ]
    transport = httpx.MockTransport(roosted_echo)
    with cb.connect("roostedhr", transport=transport, **ROOSTED) as conn:
        batch = conn.create_many(clients)
    assert not batch.ok
    assert [result.id for result in batch.succeeded] == ["id-One", "id-Four"]
    assert batch.succeeded_indices == (0, 3)
    assert [(failure.index, type(failure.error)) for failure in batch.failed] == [
        (1, cb.ValidationError),
        (2, cb.ProviderValidationError),
    ]
    assert batch.failed[0].client == clients[1]


def test_create_many_of_nothing_is_ok() -> None:
    with cb.connect("roostedhr", **ROOSTED) as conn:
        batch = conn.create_many([])
    assert batch.ok
    assert len(batch) == 0


def test_create_many_refuses_things_that_are_not_clients() -> None:
    with cb.connect("roostedhr", **ROOSTED) as conn, pytest.raises(TypeError, match="position 1"):
        conn.create_many([cb.Client(company_name="A"), {"company_name": "B"}])  # type: ignore[list-item]


def test_on_unsupported_error_raises_before_any_io() -> None:
    recorder = Recorder(roosted_echo)
    conn = cb.connect(
        "roostedhr", transport=recorder.transport(), on_unsupported="error", **ROOSTED
    )
    with conn, pytest.raises(cb.UnsupportedFeatureError, match="title") as caught:
        conn.create(cb.Client(company_name="Acme", title="Dr"))
    assert caught.value.fields == ("title",)
    assert recorder.requests == []


def test_on_unsupported_ignore_still_lists_dropped_fields_without_warning() -> None:
    transport = httpx.MockTransport(roosted_echo)
    with cb.connect("roostedhr", transport=transport, on_unsupported="ignore", **ROOSTED) as conn:
        result = conn.create(cb.Client(company_name="Acme", title="Dr"))
    assert result.dropped_fields == ("title",)
    assert result.warnings == ()


def test_unset_fields_are_never_warned_about() -> None:
    transport = httpx.MockTransport(roosted_echo)
    with cb.connect("roostedhr", transport=transport, **ROOSTED) as conn:
        result = conn.create(cb.Client(company_name="Acme"))
    assert result.warnings == ()
    assert result.dropped_fields == ()


def test_extras_for_another_provider_are_ignored_silently() -> None:
    recorder = Recorder(roosted_echo)
    with cb.connect("roostedhr", transport=recorder.transport(), **ROOSTED) as conn:
        result = conn.create(cb.Client(company_name="Acme", extras={"placio": {"x": 1}}))
    assert "x" not in recorder.bodies[0]
    assert result.dropped_fields == ()


@pytest.mark.anyio
async def test_async_create_matches_sync_create() -> None:
    client = cb.Client(company_name="Acme", title="Dr", email="ops@acme.example")
    sync_recorder, async_recorder = Recorder(roosted_echo), Recorder(roosted_echo)
    with cb.connect("roostedhr", transport=sync_recorder.transport(), **ROOSTED) as conn:
        expected = conn.create(client)
    async with cb.connect_async(
        "roostedhr", transport=async_recorder.transport(), **ROOSTED
    ) as aconn:
        actual = await aconn.create(client)
    assert actual == expected
    assert async_recorder.bodies == sync_recorder.bodies


@pytest.mark.anyio
async def test_async_create_many_matches_sync_create_many() -> None:
    clients = [cb.Client(company_name=name) for name in ("A", "Broken Ltd", "C")] + [cb.Client()]
    with cb.connect("roostedhr", transport=httpx.MockTransport(roosted_echo), **ROOSTED) as conn:
        expected = conn.create_many(clients)
    async with cb.connect_async(
        "roostedhr", transport=httpx.MockTransport(roosted_echo), **ROOSTED
    ) as aconn:
        actual = await aconn.create_many(clients)
    assert actual.succeeded == expected.succeeded
    assert actual.succeeded_indices == expected.succeeded_indices
    assert [(f.index, type(f.error)) for f in actual.failed] == [
        (f.index, type(f.error)) for f in expected.failed
    ]


@pytest.mark.anyio
async def test_async_errors_match_sync_errors() -> None:
    handler = respond(401, {"message": "bad token"})
    with cb.connect("placio", transport=httpx.MockTransport(handler), **PLACIO) as conn:
        with pytest.raises(cb.AuthenticationError) as sync_error:
            conn.create(cb.Client(name="Ada", email="a@example.com"))
    async with cb.connect_async("placio", transport=httpx.MockTransport(handler), **PLACIO) as a:
        with pytest.raises(cb.AuthenticationError) as async_error:
            await a.create(cb.Client(name="Ada", email="a@example.com"))
    assert str(async_error.value) == str(sync_error.value)


@pytest.mark.anyio
async def test_async_create_many_respects_max_concurrency() -> None:
    in_flight = 0
    peak = 0
    lock = threading.Lock()

    class SlowTransport(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            nonlocal in_flight, peak
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            await anyio.sleep(0.01)
            with lock:
                in_flight -= 1
            body = json.loads(request.content)
            return httpx.Response(201, json={"id": body["client_name"], **body})

    clients = [cb.Client(company_name=f"C{i}") for i in range(20)]
    async with cb.connect_async(
        "roostedhr", transport=SlowTransport(), max_concurrency=3, **ROOSTED
    ) as conn:
        started = time.perf_counter()
        batch = await conn.create_many(clients)
    assert batch.ok
    assert [result.id for result in batch.succeeded] == [f"C{i}" for i in range(20)]
    assert peak == 3
    assert time.perf_counter() - started < 5


def test_connection_repr_names_only_the_provider() -> None:
    with cb.connect("roostedhr", **ROOSTED) as conn:
        assert repr(conn) == "<Connection provider='roostedhr'>"


def test_wrong_transport_kind_is_a_configuration_error() -> None:
    class AsyncOnly(httpx.AsyncBaseTransport):
        pass

    with pytest.raises(cb.ConfigurationError, match="BaseTransport"):
        cb.connect("roostedhr", transport=AsyncOnly(), **ROOSTED)


@pytest.mark.parametrize(
    ("asynchronous", "option", "message"),
    [
        (False, "http_client", "http_client must be an httpx.Client for connect()"),
        (True, "http_client", "http_client must be an httpx.AsyncClient for connect_async()"),
        (False, "transport", "transport must be an httpx.BaseTransport for connect()"),
        (True, "transport", "transport must be an httpx.AsyncBaseTransport for connect_async()"),
    ],
)
def test_a_client_or_transport_of_the_wrong_kind_is_named(
    asynchronous: bool, option: str, message: str
) -> None:
    wrong = object()
    connect = cb.connect_async if asynchronous else cb.connect
    with pytest.raises(cb.ConfigurationError) as caught:
        connect("roostedhr", **{option: wrong}, **ROOSTED)
    assert str(caught.value) == message


def test_settings_are_checked_before_anything_is_sent(**_: Any) -> None:
    recorder = Recorder(roosted_echo)
    with pytest.raises(cb.ConfigurationError):
        cb.connect("roostedhr", transport=recorder.transport(), api_key="")
    assert recorder.requests == []


# --------------------------------------------------------------------------- the façade


@pytest.mark.parametrize("provider", cb.providers())
def test_check_credentials_accepts_the_sandbox_credential(provider: str) -> None:
    with cb.connect(provider, sandbox=True) as conn:
        check = conn.check_credentials()
    assert check.provider == provider
    assert check.ok
    assert check.checked == (check.request is not None)


@pytest.mark.parametrize("provider", cb.providers())
def test_check_credentials_reports_a_refused_credential_without_raising(provider: str) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"message": "Unauthorized"})

    with cb.connect(provider, sandbox=True, transport=httpx.MockTransport(refuse)) as conn:
        check = conn.check_credentials()
    if check.checked:
        assert isinstance(check.error, cb.AuthenticationError)
        assert not check.ok
    else:
        assert check.ok
        assert check.request is None


@pytest.mark.parametrize("provider", cb.providers())
def test_validate_raises_what_a_create_would_and_sends_nothing(provider: str) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise AssertionError("validate sent a request")

    with cb.connect(provider, sandbox=True, transport=httpx.MockTransport(fail)) as conn:
        with pytest.raises(cb.ValidationError):
            conn.validate(cb.Client(email="not an email"))


_FINDERS = [p for p in cb.providers() if adapter_class(p).capabilities.find_existing]
_NOT_FINDERS = [p for p in cb.providers() if p not in _FINDERS]
_ADA = cb.Client(
    first_name="Ada",
    last_name="Lovelace",
    name="Ada Lovelace",
    email="ada@example.com",
    company_name="Engines Ltd",
)


def test_find_existing_is_covered_by_a_provider_that_can_be_asked() -> None:
    assert _FINDERS, "no built-in provider can be asked: find_existing is untested"


@pytest.mark.parametrize("provider", _NOT_FINDERS)
def test_find_existing_raises_where_the_provider_cannot_be_asked(provider: str) -> None:
    with cb.connect(provider, sandbox=True) as conn, pytest.raises(NotImplementedError):
        conn.find_existing([_ADA])


@pytest.mark.parametrize("provider", _FINDERS)
def test_find_existing_finds_a_created_client_where_the_provider_can_be_asked(
    provider: str,
) -> None:
    client = _ADA
    with cb.connect(provider, sandbox=True) as conn:
        assert conn.find_existing([client]) == [[]]
        created = conn.create(client)
        [found] = conn.find_existing([client])
    assert [record.id for record in found] == [created.id]


@pytest.mark.anyio
async def test_async_facade_checks_and_finds() -> None:
    for provider in cb.providers():
        async with cb.connect_async(provider, sandbox=True) as conn:
            assert (await conn.check_credentials()).ok
            if conn.capabilities.find_existing:
                client = cb.Client(name="Grace Hopper", email="grace@example.com")
                assert await conn.find_existing([client]) == [[]]


# --------------------------------------------------------------------------- batch results


def _mixed_batch(provider: str = "placio") -> cb.BatchResult:
    clients = [
        cb.Client(name="Ada Lovelace", email="ada@example.com"),
        cb.Client(name="Bad", email="not an email"),
        cb.Client(name="Grace Hopper", email="grace@example.com"),
    ]
    with cb.connect(provider, sandbox=True) as conn:
        return conn.create_many(clients)


def test_batch_result_iterates_every_input_in_order() -> None:
    batch = _mixed_batch()
    outcomes = list(batch)
    assert [outcome.index for outcome in outcomes] == [0, 1, 2]
    assert [outcome.ok for outcome in outcomes] == [True, False, True]
    assert isinstance(outcomes[1], cb.Failure)


def test_each_success_knows_its_input_index() -> None:
    batch = _mixed_batch()
    assert [(s.index, s.result.client.email) for s in batch.successes] == [
        (0, "ada@example.com"),
        (2, "grace@example.com"),
    ]


@pytest.mark.anyio
async def test_async_create_many_takes_a_per_call_concurrency() -> None:
    sandbox = cb.sandbox.transport("roostedhr", asynchronous=True)
    in_flight = 0
    most = 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await anyio.sleep(0.01)
        in_flight -= 1
        return await sandbox.handle_async_request(request)

    clients = [cb.Client(name=f"C {n}", email=f"c{n}@example.com") for n in range(12)]
    async with cb.connect_async(
        "roostedhr", sandbox=True, transport=httpx.MockTransport(slow), max_concurrency=8
    ) as conn:
        await conn.create_many(clients, max_concurrency=2)
        assert most == 2
        with pytest.raises(ValueError, match="at least 1"):
            await conn.create_many(clients, max_concurrency=0)


def test_a_credential_that_is_a_common_word_does_not_garble_our_own_text() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"message": "bad credential for this account"})

    transport = httpx.MockTransport(refuse)
    with cb.connect("roostedhr", api_key="credential", transport=transport) as conn:
        with pytest.raises(cb.AuthenticationError) as caught:
            conn.create(cb.Client(company_name="Acme"))
    message = str(caught.value)
    assert "bad *** for this account" in message  # the provider's words: redacted
    assert "Check the credential setting" in message  # ours: intact


@pytest.mark.anyio
async def test_the_async_connection_keeps_one_email_in_flight_once() -> None:
    # ProConvey refuses a second client with one email, reliably only for requests one
    # after another: concurrent creates and create_many calls of one connection never
    # have two requests for one email in flight; the second is sent after the first's
    # answer, and the provider refuses it.
    sandbox = cb.sandbox.transport("proconvey", asynchronous=True)
    in_flight: dict[str, int] = {}
    most = 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal most
        body = request.content.decode().lower()
        emails = [email for email in ("same@example.com", "other@example.com") if email in body]
        for email in emails:
            in_flight[email] = in_flight.get(email, 0) + 1
            most = max(most, in_flight[email])
        await anyio.sleep(0.02)
        for email in emails:
            in_flight[email] -= 1
        return await sandbox.handle_async_request(request)

    same = cb.Client(first_name="Sam", last_name="Same", email="same@example.com")
    outcomes: list[str] = []

    async def create(client: cb.Client) -> None:
        try:
            await conn.create(client)
        except cb.DuplicateClientError:
            outcomes.append("refused")
        else:
            outcomes.append("created")

    async def create_many(clients: list[cb.Client]) -> None:
        batch = await conn.create_many(clients)
        outcomes.extend("created" for _ in batch.succeeded)
        outcomes.extend(
            "refused"
            for failure in batch.failed
            if isinstance(failure.error, cb.DuplicateClientError)
        )

    with anyio.fail_after(10):
        async with cb.connect_async(
            "proconvey", sandbox=True, transport=httpx.MockTransport(slow), max_concurrency=8
        ) as conn:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(create, same)
                tasks.start_soon(
                    create, cb.Client(first_name="Sam", last_name="Again", email="SAME@example.com")
                )
                tasks.start_soon(
                    create_many,
                    [
                        cb.Client(first_name="Oth", last_name="Other", email="other@example.com"),
                        same,
                    ],
                )
            assert not conn.in_flight._held  # every claim was released
    assert most == 1
    assert sorted(outcomes) == ["created", "created", "refused", "refused"]
