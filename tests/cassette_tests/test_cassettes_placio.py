"""Placio, replayed from ``tests/cassettes/placio/``: creates, batches and the
provider's own error answers (the shared faults are in test_cassettes_common.py)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import clientbridge as cb
from tests.cassette_support import Target

from .scenarios import MINIMAL, RICH, SANDBOX_IDS, field_errors

PROVIDER = "placio"
pytestmark = [pytest.mark.vcr, pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])]

EMAIL, PHONE, WHATSAPP = cb.ContactKind.EMAIL, cb.ContactKind.PHONE, cb.ContactKind.WHATSAPP
#: A contact type Placio refuses, slipped past the adapter through ``extras``.
PAGER = {"placio": {"contactMethods": [{"type": "pager", "value": "42", "isPreferred": True}]}}


def test_create_rich_client(target: Target) -> None:
    with target.connect() as conn:
        result = conn.create(target.client(RICH))
    assert result.id == target.pinned(SANDBOX_IDS[PROVIDER][0])
    assert result.status is cb.ClientStatus.ACTIVE
    assert result.invite is None  # Placio has no invitation
    assert result.provider_status is None
    assert result.created_at == target.pinned(datetime(2024, 1, 15, 10, tzinfo=timezone.utc))
    assert result.dropped_fields == ("company_name", "title", "address", "source")
    assert result.warnings == (
        "company_name is not supported by placio and was not sent",
        "title is not supported by placio and was not sent",
        "address is not supported by placio and was not sent",
        "source is not supported by placio and was not sent",
    )
    assert result.client == cb.Client(
        name="Ada Lovelace",
        email=target.email("ada@example.com"),
        phone="+447911123456",
        contact_methods=(
            cb.ContactMethod(kind=WHATSAPP, value="+447700900123"),
            cb.ContactMethod(kind=EMAIL, value=target.email("ada@example.com"), preferred=True),
            cb.ContactMethod(kind=PHONE, value="+447911123456"),
        ),
        avatar_url="https://example.com/ada.png",
        custom_fields={"notes": "Prefers mornings"},
    )


def test_create_minimal_client(target: Target) -> None:
    with target.connect() as conn:
        result = conn.create(target.client(MINIMAL[PROVIDER]))
    assert result.id == target.pinned(SANDBOX_IDS[PROVIDER][0])
    assert result.status is cb.ClientStatus.ACTIVE
    assert result.dropped_fields == ()
    assert result.warnings == ()
    assert result.client.name == "Grace Hopper"
    assert result.client.contact_methods == (
        cb.ContactMethod(kind=EMAIL, value=target.email("grace@example.com"), preferred=True),
    )


def test_create_many_with_a_duplicate(target: Target) -> None:
    """Placio does not refuse a second client with the same e-mail: both are created."""
    client = target.client(MINIMAL[PROVIDER])
    with target.connect() as conn:
        batch = conn.create_many([client, client])
    assert batch.ok
    assert [result.id for result in batch.succeeded] == [
        target.pinned(SANDBOX_IDS[PROVIDER][0]),
        target.pinned(SANDBOX_IDS[PROVIDER][1]),
    ]
    assert batch.succeeded[0].id != batch.succeeded[1].id


def test_create_many_partial_failure(target: Target) -> None:
    clients = [
        target.client(MINIMAL[PROVIDER]),
        target.client(cb.Client(name="Pager Person", email="pager@example.com", extras=PAGER)),
        cb.Client(name="No Channel"),  # refused before any I/O
    ]
    with target.connect() as conn:
        batch = conn.create_many(clients)
    assert batch.succeeded_indices == (0,)
    assert batch.succeeded[0].id == target.pinned(SANDBOX_IDS[PROVIDER][0])
    assert [failure.index for failure in batch.failed] == [1, 2]
    refused, invalid = (failure.error for failure in batch.failed)
    assert isinstance(refused, cb.ProviderValidationError)
    assert refused.status_code == target.pinned(422)
    assert isinstance(invalid, cb.ValidationError)
    assert list(field_errors(invalid)) == ["contact_methods"]


def test_validation_400_invalid_avatar_url(target: Target) -> None:
    client = target.client(
        cb.Client(name="Ada", email="ada@example.com", extras={"placio": {"avatarUrl": "nope"}})
    )
    with target.connect() as conn:
        with pytest.raises(cb.ProviderValidationError) as raised:
            conn.create(client)
    assert raised.value.status_code == target.pinned(400)
    assert field_errors(raised.value) == target.pinned(
        {"avatar_url": "avatarUrl must be a valid URL"}  # avatarUrl, named as the neutral field
    )


def test_validation_422_invalid_contact_type(target: Target) -> None:
    client = target.client(cb.Client(name="Pager Person", email="pager@example.com", extras=PAGER))
    with target.connect() as conn:
        with pytest.raises(cb.ProviderValidationError) as raised:
            conn.create(client)
    assert raised.value.status_code == target.pinned(422)
    assert raised.value.body == target.pinned(
        {
            "statusCode": 422,
            "error": "Unprocessable Entity",
            "message": "Validation failed",
            "errors": [
                {
                    "field": "contactMethods[0].type",
                    "message": "invalid contact type 'pager'; use one of email, fax, other, "
                    "phone, whatsapp",
                }
            ],
        }
    )
    assert list(field_errors(raised.value)) == target.pinned(["contactMethods[0].type"])


def test_not_found_404_wrong_base_url(target: Target) -> None:
    with target.connect(base_url=target.settings["base_url"] + "/api") as conn:
        with pytest.raises(cb.NotFoundError) as raised:
            conn.create(target.client(MINIMAL[PROVIDER]))
    assert raised.value.status_code == 404
    assert "Check the base_url" in raised.value.message
