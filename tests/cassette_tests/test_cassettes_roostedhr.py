"""RoostedHR, replayed from ``tests/cassettes/roostedhr/``: an organisation with a
contact, both auth schemes, and the provider's own error answers (the shared faults are
in test_cassettes_common.py)."""

from __future__ import annotations

import pytest

import clientbridge as cb
from tests.cassette_support import Target

from .scenarios import MINIMAL, RICH, SANDBOX_IDS, field_errors

PROVIDER = "roostedhr"
pytestmark = [pytest.mark.vcr, pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])]

IDS = SANDBOX_IDS[PROVIDER]
#: An invoice customer id over RoostedHR's 255 characters, slipped past the adapter
#: through ``extras`` (the adapter checks only the fields it maps).
LONG_INVOICE_ID = {"roostedhr": {"client_invoice_customer_id": "X" * 256}}


def test_create_rich_client(target: Target) -> None:
    with target.connect() as conn:
        result = conn.create(target.client(RICH))
    assert result.id == target.pinned(IDS[0])
    assert result.status is cb.ClientStatus.ACTIVE
    assert result.invite is cb.InviteStatus.NOT_INVITED  # client_portal_connection_status null
    assert result.provider_status is None
    assert result.dropped_fields == (
        "phone",
        "title",
        "address.country",
        "address.uprn",
        "contact_methods",
        "avatar_url",
        "source",
        "custom_fields",
    )
    assert result.warnings == tuple(
        f"{field} is not supported by roostedhr and was not sent" for field in result.dropped_fields
    )
    assert result.client == cb.Client(
        name="Ada Lovelace",  # the contact person; the organisation is the client
        company_name="Analytical Engines Ltd",
        email=target.email("ada@example.com"),
        address=cb.Address(
            line1="12 St James's Square, Westminster",
            city="London",
            region="Greater London",
            postal_code="sw1y4ju",
        ),
    )


def test_create_minimal_client(target: Target) -> None:
    with target.connect() as conn:
        result = conn.create(target.client(MINIMAL[PROVIDER]))
    assert result.id == target.pinned(IDS[0])
    assert result.status is cb.ClientStatus.ACTIVE
    assert result.dropped_fields == ()
    assert result.client.name == "Hopper Consulting"
    assert result.client.company_name is None  # no contact person: the client is the name


def test_create_with_bearer_auth(target: Target) -> None:
    """auth_scheme="bearer" sends Authorization instead of X-API-KEY (redacted alike)."""
    with target.connect(auth_scheme="bearer") as conn:
        result = conn.create(target.client(MINIMAL[PROVIDER]))
    assert result.id == target.pinned(IDS[0])


def test_create_many_with_a_duplicate(target: Target) -> None:
    """RoostedHR does not refuse a second client with the same name: both are created."""
    client = target.client(MINIMAL[PROVIDER])
    with target.connect() as conn:
        batch = conn.create_many([client, client])
    assert batch.ok
    assert [result.id for result in batch.succeeded] == target.pinned([IDS[0], IDS[1]])
    assert batch.succeeded[0].id != batch.succeeded[1].id


def test_create_many_partial_failure(target: Target) -> None:
    clients = [
        target.client(MINIMAL[PROVIDER]),
        cb.Client(company_name="Long Invoice Ltd", extras=LONG_INVOICE_ID),
        cb.Client(company_name="N" * 256),  # refused before any I/O
    ]
    with target.connect() as conn:
        batch = conn.create_many(clients)
    assert batch.succeeded_indices == (0,)
    assert batch.succeeded[0].id == target.pinned(IDS[0])
    refused, invalid = (failure.error for failure in batch.failed)
    assert isinstance(refused, cb.ProviderValidationError)
    assert list(field_errors(refused)) == target.pinned(["client_invoice_customer_id"])
    assert isinstance(invalid, cb.ValidationError)
    assert field_errors(invalid) == {
        "company_name": "is 256 characters; RoostedHR accepts at most 255 in client_name"
    }


def test_validation_422_value_too_long(target: Target) -> None:
    with target.connect() as conn:
        with pytest.raises(cb.ProviderValidationError) as raised:
            conn.create(cb.Client(company_name="Long Invoice Ltd", extras=LONG_INVOICE_ID))
    assert raised.value.status_code == target.pinned(422)
    assert raised.value.body == target.pinned(
        {
            "message": "The given data was invalid.",
            "errors": {
                "client_invoice_customer_id": [
                    "The client_invoice_customer_id field may not be greater than 255 characters."
                ]
            },
        }
    )


def test_not_found_404_wrong_api_version(target: Target) -> None:
    base_url = target.settings.get("base_url", "https://api.roostedhr.com/api/1_12")
    with target.connect(base_url=base_url.replace("/1_12", "/1_0")) as conn:
        with pytest.raises(cb.NotFoundError) as raised:
            conn.create(target.client(MINIMAL[PROVIDER]))
    assert raised.value.status_code == 404
