"""ProConvey, replayed from ``tests/cassettes/proconvey/``: UK addresses, the invitation
status, 409 duplicates and the provider's own error answers (the shared faults are in
test_cassettes_common.py)."""

from __future__ import annotations

import pytest

import clientbridge as cb
from tests.cassette_support import Target

from .scenarios import MINIMAL, RICH, SANDBOX_IDS, field_errors

PROVIDER = "proconvey"
pytestmark = [pytest.mark.vcr, pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])]

IDS = SANDBOX_IDS[PROVIDER]
ADA = cb.Client(first_name="Ada", last_name="Lovelace", email="ada@example.com")
BOB = cb.Client(first_name="Bob", last_name="Babbage", email="bob@example.com")
#: A national number slipped past the adapter's E.164 conversion through ``extras``.
NATIONAL_PHONE = {"proconvey": {"telephoneNumber": "07911 123456"}}


def test_create_rich_client(target: Target) -> None:
    with target.connect() as conn:
        result = conn.create(target.client(RICH))
    assert result.id == target.pinned(IDS[0])
    assert result.status is cb.ClientStatus.ACTIVE
    assert result.invite is cb.InviteStatus.NOT_INVITED
    assert result.provider_status == target.pinned("NotInvited")
    assert result.dropped_fields == ("contact_methods", "avatar_url", "source", "custom_fields")
    assert result.warnings == tuple(
        f"{field} is not supported by proconvey and was not sent" for field in result.dropped_fields
    )
    assert result.client == cb.Client(
        first_name="Ada",
        last_name="Lovelace",
        email=target.email("ada@example.com"),
        phone="+447911123456",  # read in default_region GB, sent in E.164
        company_name="Analytical Engines Ltd",
        title="Dr",
        address=cb.Address(
            line1="12 St James's Square",
            line2="Westminster",
            city="London",
            region="Greater London",
            postal_code="SW1Y 4JU",  # a UK postcode, upper case with one space
            country="GB",
            uprn="100023336956",
        ),
    )


def test_create_minimal_client(target: Target) -> None:
    with target.connect() as conn:
        result = conn.create(target.client(MINIMAL[PROVIDER]))
    assert result.id == target.pinned(IDS[0])
    assert result.invite is cb.InviteStatus.NOT_INVITED
    assert result.dropped_fields == ()
    assert result.client.address is None
    assert result.client.name == "Grace Hopper"


def test_address_outside_the_uk_is_sent_without_its_country(target: Target) -> None:
    dublin = cb.Address(
        line1="1 Merrion Square", city="Dublin", postal_code="D02 X285", country="IE"
    )
    client = target.client(
        cb.Client(first_name="Ada", last_name="Lovelace", email="ada@example.com", address=dublin)
    )
    with target.connect() as conn:
        result = conn.create(client)
    assert result.warnings == (
        "address.country is not sent: ProConvey stores UK addresses only, so the address was "
        "sent without its country",
    )
    assert result.dropped_fields == ("address.country",)
    assert result.client.address is not None
    assert result.client.address.postal_code == "D02 X285"  # not a UK postcode: as given


def test_duplicate_email_409(target: Target) -> None:
    with target.connect() as conn:
        conn.create(target.client(ADA))
        with pytest.raises(cb.DuplicateClientError) as raised:
            conn.create(target.client(ADA))
    assert raised.value.status_code == 409
    assert not raised.value.retryable
    assert "look it up instead of creating it" in raised.value.message


def test_create_many_with_a_duplicate(target: Target) -> None:
    with target.connect() as conn:
        batch = conn.create_many([target.client(c) for c in (ADA, BOB, ADA)])
    assert batch.succeeded_indices == (0, 1)
    assert [result.id for result in batch.succeeded] == target.pinned([IDS[0], IDS[1]])
    (failure,) = batch.failed
    assert failure.index == 2
    assert isinstance(failure.error, cb.DuplicateClientError)
    # ProConvey refuses a second client with one email (409): the repeat is not sent.
    assert failure.error.status_code is None
    assert "so it was not sent" in str(failure.error)


def test_create_many_partial_failure(target: Target) -> None:
    clients = [
        target.client(ADA),
        target.client(
            cb.Client(
                first_name="Bob",
                last_name="Babbage",
                email="bob@example.com",
                extras=NATIONAL_PHONE,
            )
        ),
        cb.Client(first_name="Nolast", email="nolast@example.com"),  # refused before any I/O
    ]
    with target.connect() as conn:
        batch = conn.create_many(clients)
    assert batch.succeeded_indices == (0,)
    refused, invalid = (failure.error for failure in batch.failed)
    assert isinstance(refused, cb.ProviderValidationError)
    assert field_errors(refused) == target.pinned(
        {"phone": "The telephoneNumber field must be in E.164 format (+447911123456)."}
    )
    assert isinstance(invalid, cb.ValidationError)
    assert list(field_errors(invalid)) == ["last_name"]


def test_validation_422_phone_not_e164(target: Target) -> None:
    client = target.client(
        cb.Client(
            first_name="Ada", last_name="Lovelace", email="ada@example.com", extras=NATIONAL_PHONE
        )
    )
    with target.connect() as conn:
        with pytest.raises(cb.ProviderValidationError) as raised:
            conn.create(client)
    assert raised.value.status_code == target.pinned(422)
    assert raised.value.body == target.pinned(
        {
            "message": "The given data was invalid.",
            "errors": {
                "telephoneNumber": [
                    "The telephoneNumber field must be in E.164 format (+447911123456)."
                ]
            },
        }
    )
    assert list(field_errors(raised.value)) == target.pinned(["phone"])  # the neutral name


def test_not_found_404_wrong_base_url(target: Target) -> None:
    with target.connect(base_url=target.settings["base_url"] + "/v1") as conn:
        with pytest.raises(cb.NotFoundError) as raised:
            conn.create(target.client(MINIMAL[PROVIDER]))
    assert raised.value.status_code == 404
