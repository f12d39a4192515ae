"""Several back-offices at once (SPEC §9): groups, fan-out results, routing, previews.

Every provider of the registry takes part, each in its own sandbox; nothing touches the
network.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

import clientbridge as cb
from clientbridge.registry import adapter_class
from clientbridge.sandbox import Sandbox
from clientbridge.testing import RICH_CLIENT

from .conftest import CANARY

PROVIDERS = cb.providers()


def person(number: int = 1, **fields: Any) -> cb.Client:
    values: dict[str, Any] = {
        "first_name": "Ada",
        "last_name": f"Lovelace{number}",
        "email": f"ada{number}@example.com",
        "company_name": "Analytical Engines Ltd",
        "address": cb.Address(
            line1="1 Main St", city="London", postal_code="SW1A 1AA", country="GB"
        ),
    }
    values.update(fields)
    return cb.Client(**values)


def names() -> list[str]:
    return [f"to-{provider}" for provider in PROVIDERS]


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox()


@pytest.fixture
def group(sandbox: Sandbox) -> Iterator[cb.ConnectionGroup]:
    connections = {
        f"to-{provider}": cb.connect(provider, sandbox=True, transport=sandbox.transport(provider))
        for provider in PROVIDERS
    }
    with cb.ConnectionGroup(connections) as made:
        yield made


def failing(status: int, **headers: str) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, json={}, headers=headers))


def down(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


# --------------------------------------------------------------------------- create


def test_create_lands_in_every_connection_in_the_order_given(
    group: cb.ConnectionGroup, sandbox: Sandbox
) -> None:
    fan = group.create(person())
    assert fan.ok
    assert list(fan.results) == names() == group.names()
    assert fan.errors == {}
    assert {result.provider for result in fan.results.values()} == set(PROVIDERS)
    for provider in PROVIDERS:
        assert sandbox.created(provider) == 1
    fan.raise_for_errors()  # nothing failed: does not raise


def test_one_connection_down_does_not_stop_the_others_and_nothing_is_deleted(
    sandbox: Sandbox, no_sleep: list[float]
) -> None:
    broken, *working = PROVIDERS
    sent: list[str] = []

    def watch(provider: str) -> httpx.MockTransport:
        inner = sandbox.transport(provider)

        def handle(request: httpx.Request) -> httpx.Response:
            sent.append(request.method)
            return inner.handle_request(request)

        return httpx.MockTransport(handle)

    connections = {"broken": cb.connect(broken, sandbox=True, transport=httpx.MockTransport(down))}
    connections.update(
        {
            provider: cb.connect(provider, sandbox=True, transport=watch(provider))
            for provider in working
        }
    )
    with cb.ConnectionGroup(connections) as group:
        fan = group.create(person())
    assert not fan.ok
    assert set(fan.errors) == {"broken"}
    assert isinstance(fan.errors["broken"], cb.TransportError)
    assert list(fan.results) == working
    for provider in working:
        assert sandbox.created(provider) == 1  # kept: clientbridge never deletes
    assert set(sent) <= {"GET", "POST"}


def test_rate_limited_connection_is_reported_with_its_delay(sandbox: Sandbox) -> None:
    limited, other = PROVIDERS[:2]
    connections = {
        "limited": cb.connect(
            limited, sandbox=True, max_retries=0, transport=failing(429, **{"Retry-After": "7"})
        ),
        "other": cb.connect(other, sandbox=True, transport=sandbox.transport(other)),
    }
    with cb.ConnectionGroup(connections) as group:
        fan = group.create(person())
    error = fan.errors["limited"]
    assert isinstance(error, cb.RateLimitedError)
    assert error.retry_after == 7
    assert "other" in fan.results


def test_a_client_one_provider_cannot_take_is_refused_there_only(
    group: cb.ConnectionGroup, sandbox: Sandbox
) -> None:
    # An organisation with no person's name: which providers refuse it is their data.
    client = cb.Client(company_name="Acme Corp", email="ops@acme.test")
    refusing = set()
    for name in group.names():
        try:
            group[name].validate(client)
        except cb.ValidationError:
            refusing.add(name)
    assert refusing, "some provider must require a person's name for this test to mean anything"
    assert refusing != set(group.names()), "some provider must take an organisation"

    fan = group.create(client)
    assert set(fan.errors) == refusing
    assert all(isinstance(error, cb.ValidationError) for error in fan.errors.values())
    assert set(fan.results) == set(group.names()) - refusing
    for name in refusing:
        assert sandbox.created(group[name].provider) == 0


def test_raise_for_errors_names_every_failed_connection(no_sleep: list[float]) -> None:
    first, second, third = PROVIDERS[:3]
    connections = {
        "first": cb.connect(first, sandbox=True, transport=httpx.MockTransport(down)),
        "second": cb.connect(second, sandbox=True, max_retries=0, transport=failing(503)),
        "third": cb.connect(third, sandbox=True),
    }
    with cb.ConnectionGroup(connections) as group:
        fan = group.create(person())
    with pytest.raises(cb.FanoutError) as raised:
        fan.raise_for_errors()
    assert isinstance(raised.value, cb.ClientBridgeError)
    assert dict(raised.value.errors) == dict(fan.errors)
    assert set(raised.value.errors) == {"first", "second"}
    assert "first" in str(raised.value)
    assert "second" in str(raised.value)
    assert "third" not in str(raised.value)


def test_sync_group_asks_the_connections_at_the_same_time() -> None:
    # Each answer waits until every connection has sent its request: a group asking one
    # connection after another would break the barrier (and fail) instead.
    barrier = threading.Barrier(len(PROVIDERS), timeout=10)
    sandbox = Sandbox()

    def together(provider: str) -> httpx.MockTransport:
        inner = sandbox.transport(provider)

        def handle(request: httpx.Request) -> httpx.Response:
            if request.method == "POST":
                barrier.wait()
            return inner.handle_request(request)

        return httpx.MockTransport(handle)

    connections = {
        provider: cb.connect(provider, sandbox=True, transport=together(provider))
        for provider in PROVIDERS
    }
    with cb.ConnectionGroup(connections) as group:
        fan = group.create(person())
    assert fan.ok, fan.errors


def test_a_group_refuses_what_is_not_a_client(group: cb.ConnectionGroup) -> None:
    with pytest.raises(TypeError, match=r"clientbridge\.Client"):
        group.create({"email": "ada@example.com"})  # type: ignore[arg-type]


def test_only_chooses_the_connections(group: cb.ConnectionGroup, sandbox: Sandbox) -> None:
    chosen = group.names()[1:3]
    fan = group.create(person(), only=chosen)
    assert list(fan.results) == chosen
    with pytest.raises(cb.ConfigurationError, match="no connection 'nowhere'"):
        group.create(person(2), only=["nowhere"])


# --------------------------------------------------------------------------- create_many


def test_create_many_gives_a_batch_per_connection_in_input_positions(
    group: cb.ConnectionGroup,
) -> None:
    clients = [person(1), cb.Client(email="not-an-email"), person(3)]
    batches = group.create_many(clients)
    assert list(batches) == group.names()
    for batch in batches.values():
        assert batch.succeeded_indices == (0, 2)
        assert [failure.index for failure in batch.failed] == [1]
        assert batch.failed[0].client == clients[1]


# --------------------------------------------------------------------------- preview


def test_group_preview_sends_nothing_and_gives_a_preview_per_connection() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        pytest.fail(f"preview sent {request.method} {request.url}")

    connections = {
        provider: cb.connect(provider, sandbox=True, transport=httpx.MockTransport(refuse))
        for provider in PROVIDERS
    }
    with cb.ConnectionGroup(connections) as group:
        views = group.preview(RICH_CLIENT)
    assert list(views) == list(PROVIDERS)
    for view in views.values():
        assert isinstance(view, cb.Preview)
        assert isinstance(view, list)
        assert all(isinstance(request, cb.HttpRequest) for request in view)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("on_unsupported", ["warn", "ignore"])
@pytest.mark.parametrize(
    "client",
    [
        RICH_CLIENT,
        person(lead=True, title="Dr", source="website"),
        person(
            address=cb.Address(line1="5 Rue X", city="Paris", postal_code="75001", country="FR")
        ),
        person(address=cb.Address(line1="1 Main St", postal_code="SW1A 1AA", uprn="1000")),
    ],
    ids=["every-field", "lead", "foreign-address", "uprn"],
)
def test_preview_reports_what_a_create_reports(
    provider: str, on_unsupported: str, client: cb.Client
) -> None:
    # Every provider takes these clients (a refusal would leave nothing compared).
    with cb.connect(provider, sandbox=True, on_unsupported=on_unsupported) as conn:
        view = conn.preview(client)
        result = conn.create(client)
    assert view.dropped_fields == result.dropped_fields
    assert view.warnings == result.warnings


@pytest.mark.parametrize("provider", PROVIDERS)
def test_preview_names_the_wire_field_of_each_field_sent(provider: str) -> None:
    with cb.connect(provider, sandbox=True) as conn:
        view = conn.preview(RICH_CLIENT)
    given = set(RICH_CLIENT.given_fields())
    assert {field.split(".")[0] for field in view.wire_fields} <= given  # address.city too
    assert not set(view.wire_fields) & set(view.dropped_fields)
    spec_fields = {
        wire for rule in adapter_class(provider).fields for wire in [rule.wire.split(".")[0]]
    }
    for wires in view.wire_fields.values():
        assert wires
        assert {wire.split(".")[0] for wire in wires} <= spec_fields


def test_preview_keeps_secrets_out(sandbox: Sandbox) -> None:
    for provider in PROVIDERS:
        credential = next(s.name for s in adapter_class(provider).settings_spec if s.secret)
        with cb.connect(provider, sandbox=True, **{credential: CANARY}) as conn:
            view = conn.preview(RICH_CLIENT)
        assert CANARY not in repr(view)
        assert CANARY not in str([request.headers for request in view])


def test_fanout_errors_keep_secrets_out(no_sleep: list[float]) -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"message": f"bad key {request.headers}"})

    connections = {}
    for provider in PROVIDERS:
        credential = next(s.name for s in adapter_class(provider).settings_spec if s.secret)
        connections[provider] = cb.connect(
            provider, sandbox=True, transport=httpx.MockTransport(echo), **{credential: CANARY}
        )
    with cb.ConnectionGroup(connections) as group:
        fan = group.create(person())
    assert set(fan.errors) == set(PROVIDERS)
    with pytest.raises(cb.FanoutError) as raised:
        fan.raise_for_errors()
    assert CANARY not in str(raised.value)
    assert CANARY not in repr(raised.value)
    assert CANARY not in repr(fan)


# --------------------------------------------------------------------------- async


@pytest.mark.anyio
async def test_async_group_creates_everywhere_and_reports_failures(no_sleep: list[float]) -> None:
    broken, *working = PROVIDERS
    sandbox = Sandbox()
    connections = {
        "broken": cb.connect_async(broken, sandbox=True, transport=httpx.MockTransport(down)),
        **{
            provider: cb.connect_async(
                provider, sandbox=True, transport=sandbox.transport(provider, asynchronous=True)
            )
            for provider in working
        },
    }
    async with cb.AsyncConnectionGroup(connections) as group:
        fan = await group.create(person())
        invalid = await group.create(cb.Client(email="not-an-email"))
        batches = await group.create_many([person(2), person(3)])
        views = group.preview(person(4))
    assert set(fan.errors) == {"broken"}
    assert list(fan.results) == working
    for provider in working:
        assert sandbox.created(provider) == 3
    assert set(invalid.errors) == set(group.names())
    assert all(isinstance(error, cb.ValidationError) for error in invalid.errors.values())
    assert list(batches) == group.names()
    assert batches[working[0]].succeeded_indices == (0, 1)
    assert len(batches["broken"].failed) == 2
    assert list(views) == group.names()


@pytest.mark.anyio
async def test_async_group_asks_the_connections_concurrently() -> None:
    sandbox = Sandbox()
    arrived = 0
    everyone = anyio.Event()

    def together(provider: str) -> httpx.MockTransport:
        inner = sandbox.transport(provider, asynchronous=True)

        async def handle(request: httpx.Request) -> httpx.Response:
            nonlocal arrived
            if request.method == "POST":
                arrived += 1
                if arrived == len(PROVIDERS):
                    everyone.set()
                with anyio.fail_after(10):
                    await everyone.wait()
            return await inner.handle_async_request(request)

        return httpx.MockTransport(handle)

    connections = {
        provider: cb.connect_async(provider, sandbox=True, transport=together(provider))
        for provider in PROVIDERS
    }
    async with cb.AsyncConnectionGroup(connections) as group:
        fan = await group.create(person())
    assert fan.ok, fan.errors


# --------------------------------------------------------------------------- config


def write_config(tmp_path: Path, routing: str = "") -> Path:
    tables = "".join(
        f'[connections.to-{provider}]\nprovider = "{provider}"\nsandbox = true\n\n'
        for provider in PROVIDERS
    )
    path = tmp_path / "clientbridge.toml"
    path.write_text(tables + routing, encoding="utf-8")
    return path


def test_connect_many_without_names_opens_every_connection(tmp_path: Path) -> None:
    config = cb.load_config(write_config(tmp_path))
    with config.connect_many() as group:
        assert isinstance(group, cb.ConnectionGroup)
        assert group.names() == names()
        assert group.create(person()).ok


def test_connect_many_with_names_keeps_their_order(tmp_path: Path) -> None:
    config = cb.load_config(write_config(tmp_path))
    chosen = names()[::-1][:2]
    with config.connect_many(*chosen, max_retries=0) as group:
        assert group.names() == chosen
        assert list(group.create(person()).results) == chosen


def test_connect_many_names_an_unknown_connection(tmp_path: Path) -> None:
    config = cb.load_config(write_config(tmp_path))
    with pytest.raises(cb.ConfigurationError, match="no connection 'nope'"):
        config.connect_many(names()[0], "nope")
    with pytest.raises(cb.ConfigurationError, match="named twice"):
        config.connect_many(names()[0], names()[0])


@pytest.mark.anyio
async def test_connect_many_async(tmp_path: Path) -> None:
    config = cb.load_config(write_config(tmp_path))
    async with config.connect_many_async() as group:
        assert isinstance(group, cb.AsyncConnectionGroup)
        fan = await group.create(person())
    assert fan.ok
    assert list(fan.results) == names()


# --------------------------------------------------------------------------- routing

ROUTES = """
[routing]
default = ["{all0}", "{all1}"]

[[routing.routes]]
when = {{ lead = true }}
to = ["{all0}"]

[[routing.routes]]
when = {{ "address.country" = ["GB", "IE"], source = "website" }}
to = ["{all0}", "{all1}", "{all2}"]
"""


def routes() -> str:
    all_names = names()
    return ROUTES.format(all0=all_names[0], all1=all_names[1], all2=all_names[2])


def test_routes_send_each_client_where_the_first_matching_route_says(tmp_path: Path) -> None:
    all_names = names()
    config = cb.load_config(write_config(tmp_path, routes()))
    uk_web = person(1, source="website")
    irish_web = person(
        2, source="Website", address=cb.Address(line1="1 Quay", city="Dublin", country="ie")
    )
    with config.connect_many() as group:
        # The first route wins: a lead from the website goes only where leads go.
        assert group.targets(person(3, lead=True, source="website")) == all_names[:1]
        assert group.targets(uk_web) == all_names[:3]
        assert group.targets(irish_web) == all_names[:3]  # values compare ignoring case
        assert group.targets(person(4)) == all_names[:2]  # the default
        fan = group.create(uk_web)
        assert list(fan.results) == all_names[:3]
        assert list(group.create(person(5), only=[all_names[3]]).results) == all_names[3:4]
        batches = group.create_many([person(6), person(7, lead=True)])
    assert batches[all_names[0]].succeeded_indices == (0, 1)
    assert batches[all_names[1]].succeeded_indices == (0,)
    assert len(batches[all_names[2]]) == 0


def test_routes_to_a_connection_outside_the_group_are_left_out(tmp_path: Path) -> None:
    all_names = names()
    config = cb.load_config(write_config(tmp_path, routes()))
    with config.connect_many(all_names[1]) as group:
        assert group.targets(person(1, lead=True)) == []
        fan = group.create(person(1, lead=True))
    assert fan.ok
    assert fan.results == {}


def test_without_a_default_the_routes_fall_back_to_every_connection(tmp_path: Path) -> None:
    all_names = names()
    routing = f'[[routing.routes]]\nwhen = {{ lead = true }}\nto = ["{all_names[0]}"]\n'
    config = cb.load_config(write_config(tmp_path, routing))
    assert config.routing is not None
    assert config.routing.connections_for(person()) == tuple(all_names)


@pytest.mark.parametrize(
    ("routing", "message"),
    [
        (
            '[routing]\ndefault = ["nowhere"]\n',
            r"routing\.default names the unknown connection 'nowhere'",
        ),
        (
            '[[routing.routes]]\nwhen = { lead = true }\nto = ["nowhere"]\n',
            r"route 1, 'to' names the unknown connection 'nowhere' \(the file has: ",
        ),
        (
            '[[routing.routes]]\nwhen = { county = "Kent" }\nto = []\n',
            r"route 1 matches the unknown field 'county'; a route can match .*address\.region",
        ),
        ('[[routing.routes]]\nwhen = { lead = "yes" }\nto = []\n', "must be true or false"),
        ("[[routing.routes]]\nwhen = { email = 3 }\nto = []\n", "must be a string"),
        ("[[routing.routes]]\nto = []\n", "needs 'when'"),
        ("[[routing.routes]]\nwhen = { lead = true }\n", "needs 'to'"),
        ("[routing]\nfallback = []\n", "unknown key 'fallback'"),
    ],
)
def test_routes_are_checked_when_the_file_is_loaded(
    tmp_path: Path, routing: str, message: str
) -> None:
    path = write_config(tmp_path, routing)
    with pytest.raises(cb.ConfigurationError, match=message) as raised:
        cb.load_config(path)
    assert str(path) in str(raised.value)


def test_routes_match_custom_fields(tmp_path: Path) -> None:
    all_names = names()
    routing = (
        f'[[routing.routes]]\nwhen = {{ "custom_fields.tier" = "gold" }}\nto = ["{all_names[2]}"]\n'
    )
    config = cb.load_config(write_config(tmp_path, routing))
    assert config.routing is not None
    assert config.routing.connections_for(person(custom_fields={"tier": "gold"})) == (all_names[2],)
