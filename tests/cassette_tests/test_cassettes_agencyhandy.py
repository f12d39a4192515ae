"""AgencyHandy, replayed from ``tests/cassettes/agencyhandy/``: the company and role
look-ups, bulk batches with partial duplicates in both documented answer shapes, and the
provider's own error answers (the shared faults are in test_cassettes_common.py)."""

from __future__ import annotations

import pytest

import clientbridge as cb
from clientbridge.sandbox.emulators.agencyhandy import COMPANY_ID as AGENCYHANDY_COMPANY_ID
from clientbridge.sandbox.emulators.agencyhandy import AgencyHandyOptions
from tests.cassette_support import Target

from .scenarios import MINIMAL, RICH, SANDBOX_IDS, field_errors

PROVIDER = "agencyhandy"
pytestmark = [pytest.mark.vcr, pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"])]

IDS = SANDBOX_IDS[PROVIDER]
ADA = cb.Client(first_name="Ada", last_name="Lovelace", email="ada@example.com")
BOB = cb.Client(first_name="Bob", last_name="Babbage", email="bob@example.com")
CAROL = cb.Client(first_name="Carol", last_name="Herschel", email="carol@example.com")
#: Another person with Bob's e-mail address: a duplicate inside the batch itself.
ROBERT = cb.Client(first_name="Robert", last_name="Babbage", email="bob@example.com")


def test_create_rich_client(target: Target) -> None:
    """The company is looked up (no company_id setting), then one bulk request."""
    with target.connect() as conn:
        result = conn.create(target.client(RICH))
    assert result.id == target.pinned(IDS[0])
    assert result.status is cb.ClientStatus.NEW
    assert result.provider_status == "New"
    assert result.invite is None  # AgencyHandy reports no invitation state
    assert result.dropped_fields == (
        "company_name",
        "title",
        "address",
        "contact_methods",  # the WhatsApp number is not the phone that was sent
        "avatar_url",
        "custom_fields",
    )
    assert result.warnings == tuple(
        f"{field} is not supported by agencyhandy and was not sent"
        for field in result.dropped_fields
    )
    assert result.client == cb.Client(
        first_name="Ada",
        last_name="Lovelace",
        email=target.email("ada@example.com"),
        phone="+447911123456",
        source="referral",
    )


def test_create_minimal_client(target: Target) -> None:
    with target.connect() as conn:
        result = conn.create(target.client(MINIMAL[PROVIDER]))
    assert result.id == target.pinned(IDS[0])
    assert result.status is cb.ClientStatus.NEW
    assert result.dropped_fields == ()
    assert result.client.name == "Grace Hopper"


@pytest.mark.sandbox_only
def test_create_with_company_id_setting(target: Target) -> None:
    """With company_id set there is no look-up: the cassette holds the create alone."""
    with target.connect(company_id=AGENCYHANDY_COMPANY_ID, client_status="Active") as conn:
        result = conn.create(target.client(MINIMAL[PROVIDER]))
    assert result.id == IDS[0]
    assert result.status is cb.ClientStatus.ACTIVE
    assert result.provider_status == "Active"


def test_lead_flow_with_both_lookups(target: Target) -> None:
    """Company, then client role (its outer _id), then the lead endpoint."""
    lead = target.client(
        cb.Client(first_name="Lin", last_name="Lead", email="lin@example.com", lead=True)
    )
    with target.connect() as conn:
        result = conn.create(lead)
    assert result.id == target.pinned(IDS[0])
    assert result.status is cb.ClientStatus.LEAD
    assert result.client.lead
    assert result.client.name == "Lin Lead"


@pytest.mark.sandbox_only
def test_lookup_500_retried_then_created(target: Target, no_sleep: list[float]) -> None:
    """A look-up is a GET: unlike the create, it is safely sent again after a 500."""
    target.inject("server_error", include_lookups=True)
    with target.connect() as conn:
        result = conn.create(target.client(MINIMAL[PROVIDER]))
    assert len(no_sleep) == 1  # one back-off before the second GET /accounts/companies
    assert result.id == IDS[0]


def test_create_many_leads_and_clients(target: Target) -> None:
    """Leads and clients go to different endpoints; each look-up is made once."""
    lead = target.client(
        cb.Client(first_name="Lin", last_name="Lead", email="lin@example.com", lead=True)
    )
    clients = [target.client(ADA), lead, target.client(BOB)]
    with target.connect() as conn:
        batch = conn.create_many(clients)
    assert batch.ok
    assert batch.succeeded_indices == (0, 1, 2)
    assert [result.status for result in batch.succeeded] == [
        cb.ClientStatus.NEW,
        cb.ClientStatus.LEAD,
        cb.ClientStatus.NEW,
    ]
    # One bulk request for Ada and Bob first, then Lin's: ids are given in that order.
    assert [result.id for result in batch.succeeded] == target.pinned([IDS[0], IDS[2], IDS[1]])


def partial_duplicate_errors(target: Target) -> list[cb.DuplicateClientError]:
    """Create Ada, then create_many [Bob, Ada, Carol, Robert]: Robert repeats Bob's e-mail,
    so he is refused locally and never sent; [Bob, Ada, Carol] go in one bulk request, Bob
    and Carol are created and Ada (already there) is refused by the provider. Returns the
    provider's refusals."""
    with target.connect() as conn:
        conn.create(target.client(ADA))
        batch = conn.create_many([target.client(c) for c in (BOB, ADA, CAROL, ROBERT)])
    assert batch.succeeded_indices == (0, 2)
    assert [result.id for result in batch.succeeded] == target.pinned([IDS[1], IDS[2]])
    assert [result.client.name for result in batch.succeeded] == ["Bob Babbage", "Carol Herschel"]
    assert [failure.index for failure in batch.failed] == [1, 3]
    errors = [f.error for f in batch.failed if isinstance(f.error, cb.DuplicateClientError)]
    assert len(errors) == len(batch.failed)
    local = errors.pop()
    assert local.status_code is None
    assert "repeats the email of client 0" in local.message
    return errors


@pytest.mark.sandbox_only
def test_bulk_partial_duplicate_created_members(target: Target) -> None:
    """The documented shape: refused entries are simply missing from createdMembers."""
    errors = partial_duplicate_errors(target)
    assert all(error.status_code == 200 for error in errors)
    assert all("did not say why" in error.message for error in errors)


@pytest.mark.sandbox(options={PROVIDER: AgencyHandyOptions(response="added_clients")})
def test_bulk_partial_duplicate_added_clients(target: Target) -> None:
    """The 2026 shape: refused entries come back in notAddedClients with a reason."""
    errors = partial_duplicate_errors(target)
    assert all(error.status_code == 201 for error in errors)
    assert all("Client already exists" in error.message for error in errors)


def test_create_duplicate_email(target: Target) -> None:
    with target.connect() as conn:
        conn.create(target.client(ADA))
        with pytest.raises(cb.DuplicateClientError) as raised:
            conn.create(target.client(ADA))
    # "No client was created" with an empty createdMembers: a duplicate, the only cause.
    assert raised.value.status_code == target.pinned(200)


@pytest.mark.sandbox(options={PROVIDER: AgencyHandyOptions(companies=2)})
def test_several_companies_need_company_id(target: Target) -> None:
    with target.connect() as conn:
        with pytest.raises(cb.ConfigurationError) as raised:
            conn.create(target.client(MINIMAL[PROVIDER]))
    assert "gives access to 2 companies" in str(raised.value)
    assert AGENCYHANDY_COMPANY_ID in str(raised.value)
    assert "set company_id" in str(raised.value)


def test_create_many_partial_failure(target: Target) -> None:
    clients = [
        target.client(ADA),
        target.client(BOB),
        cb.Client(first_name="Nolast", email="nolast@example.com"),  # refused before any I/O
    ]
    with target.connect() as conn:
        conn.create(target.client(BOB))
        batch = conn.create_many(clients)
    assert batch.succeeded_indices == (0,)
    assert batch.succeeded[0].id == target.pinned(IDS[1])
    duplicate, invalid = (failure.error for failure in batch.failed)
    assert isinstance(duplicate, cb.DuplicateClientError)
    assert isinstance(invalid, cb.ValidationError)
    assert list(field_errors(invalid)) == ["last_name"]


def test_validation_400_wrong_field_type(target: Target) -> None:
    client = target.client(
        cb.Client(
            first_name="Ada",
            last_name="Lovelace",
            email="ada@example.com",
            extras={"agencyhandy": {"positionInBoard": "top"}},
        )
    )
    with target.connect() as conn:
        with pytest.raises(cb.ProviderValidationError) as raised:
            conn.create(client)
    assert raised.value.status_code == target.pinned(400)
    assert raised.value.body == target.pinned(
        {
            "type": "BadRequest",
            "status": 400,
            "message": "positionInBoard has the wrong type (entry 0).",
            "fieldName": "positionInBoard",
        }
    )
    assert list(field_errors(raised.value)) == target.pinned(["positionInBoard"])


def test_not_found_404_unknown_company(target: Target) -> None:
    with target.connect(company_id="000000000000000000000000") as conn:
        with pytest.raises(cb.NotFoundError) as raised:
            conn.create(target.client(MINIMAL[PROVIDER]))
    assert raised.value.status_code == 404
    assert "Check the base_url and the ids" in raised.value.message
