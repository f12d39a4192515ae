"""Hostile input: whatever the caller or the provider sends, only ClientBridgeError escapes."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import clientbridge as cb

from .providers import BUILTINS, fixture

PROVIDERS = BUILTINS


def settings_of(provider: str) -> dict[str, Any]:
    """Settings that reach no look-up (the credential is a placeholder)."""
    return fixture(provider).offline_settings("k")


texts = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(["x" * 70_000, "+44 7911 123456", "ada@example.com", "https://e.com/a.png"]),
)
addresses = st.one_of(
    st.none(),
    st.builds(
        cb.Address,
        line1=texts,
        line2=texts,
        line3=texts,
        city=texts,
        region=texts,
        postal_code=texts,
        country=texts,
        uprn=texts,
    ),
)
contact_methods = st.lists(
    st.builds(
        cb.ContactMethod,
        kind=st.sampled_from(list(cb.ContactKind)),
        value=st.text(max_size=30),
        preferred=st.booleans(),
    ),
    max_size=4,
).map(tuple)
clients = st.builds(
    cb.Client,
    first_name=texts,
    last_name=texts,
    name=texts,
    email=texts,
    phone=texts,
    company_name=texts,
    title=texts,
    address=addresses,
    contact_methods=contact_methods,
    avatar_url=texts,
    source=texts,
    lead=st.booleans(),
    external_id=texts,
    custom_fields=st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3),
)
#: Clients a provider takes, with hostile text where a provider has room for it: without
#: them hardly any drawn client is previewed, and the test would check only refusals.
plausible_clients = st.builds(
    cb.Client,
    first_name=st.sampled_from(["Ada", "Grace", "Zoë", "O'Brien"]),
    last_name=st.sampled_from(["Lovelace", "Hopper", "van der Berg"]),
    email=st.sampled_from(["ada@example.com", "g.hopper+work@example.org"]),
    phone=st.sampled_from([None, "+44 7911 123456", "020 7946 0000"]),
    company_name=st.sampled_from(["Acme", "Engines Ltd"]),
    title=texts,
    source=texts,
    lead=st.booleans(),
    external_id=st.none() | st.text(alphabet="abcdef0123456789-", min_size=1, max_size=20),
    custom_fields=st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "_id",
                    "client",
                    "name",
                    "status",
                    "createdMembers",
                    "data",
                    "addedClients",
                    "notAddedClients",
                    "email",
                    "message",
                    "errors",
                    "fieldName",
                    "companies",
                    "roles",
                    "role",
                    "pending",
                    "contactMethods",
                    "address",
                    "client_portal_connection_status",
                ]
            )
            | st.text(max_size=8),
            children,
            max_size=6,
        )
    ),
    max_leaves=20,
)
bodies = st.one_of(
    json_values.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=200),
)
RELAXED = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def previewers() -> Iterator[dict[str, cb.Connection]]:
    """A connection per provider, shared by the examples (a preview sends nothing)."""
    with contextlib.ExitStack() as stack:
        yield {
            provider: stack.enter_context(cb.connect(provider, **settings_of(provider)))
            for provider in PROVIDERS
        }


@pytest.mark.parametrize("provider", PROVIDERS)
@RELAXED
@given(client=st.one_of(clients, plausible_clients))
def test_any_client_either_previews_or_raises_a_clientbridge_error(
    previewers: dict[str, cb.Connection], provider: str, client: cb.Client
) -> None:
    try:
        plan = previewers[provider].preview(client)
    except cb.ClientBridgeError:
        # Refused: what a preview gives was not checked; hypothesis draws another (and
        # fails if it finds too few clients this provider previews).
        reject()
    assert plan
    for request in plan:
        json.dumps(request.json)  # every payload is JSON-serialisable


@pytest.mark.parametrize("provider", PROVIDERS)
@RELAXED
@given(status=st.integers(200, 599), body=bodies, ok_body=json_values)
def test_any_provider_answer_gives_a_result_or_a_clientbridge_error(
    provider: str, status: int, body: bytes, ok_body: Any
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body)

    client = cb.Client(
        first_name="Ada", last_name="Lovelace", email="ada@example.com", company_name="Acme"
    )
    # Rate limits off: a 429 drawn here would otherwise slow the next examples down.
    conn = cb.connect(
        provider,
        transport=httpx.MockTransport(answer),
        max_retries=0,
        rate_limit="off",
        **settings_of(provider),
    )
    with conn:
        try:
            result = conn.create(client)
        except cb.ClientBridgeError:
            pass
        else:
            assert result.id
        batch = conn.create_many([client, client])
    assert len(batch) == 2


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    "client",
    [
        cb.Client(first_name="A\x00da", last_name="L", email="ada@example.com", company_name="Co"),
        cb.Client(
            first_name="Ada",
            last_name="L",
            email="ada@example.com",
            company_name="Co",
            phone="+44 7911 123456",
            address=cb.Address(line1="1 High St\x1b", city="Leeds", postal_code="LS1 1AA"),
        ),
    ],
)
def test_binary_control_characters_are_refused_before_sending(
    provider: str, client: cb.Client
) -> None:
    # NUL and the like make providers fail, sometimes after storing the record.
    clean = json.loads(json.dumps(cb.converter.unstructure(client)).replace("\\u00", "~"))
    with cb.connect(provider, **settings_of(provider)) as conn:
        sent = json.dumps([r.json for r in conn.preview(cb.converter.structure(clean, cb.Client))])
        if "~" in sent:  # the provider sends the field: the client is refused
            with pytest.raises(cb.ValidationError, match="control character"):
                conn.preview(client)
            return
        # A provider that does not send the field accepts the client, and sends no
        # control character.
        wire = json.dumps([request.json for request in conn.preview(client)])
    assert "\\u0000" not in wire
    assert "\\u001b" not in wire
