"""RoostedHR: flat client_* fields, status and invite mapping, errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import clientbridge as cb

from .conftest import CANARY, Recorder, respond

BLANK_RECORD: dict[str, Any] = dict.fromkeys(
    [
        "client_contact_name",
        "client_contact_phone",
        "client_contact_email",
        "client_contact_title",
        "default_comments_for_workers",
        "client_invoice_customer_id",
        "client_address",
        "client_city",
        "client_state",
        "client_postal_code",
        "company_name",
        "client_portal_connection_status",
        "client_portal_connection_datetime",
        "client_portal_invite_datetime",
        "client_portal_invite_email",
    ]
)


def echo(status: int = 201, **overrides: Any) -> Recorder:
    """A RoostedHR that stores what it is sent."""

    def answer(request: httpx.Request) -> httpx.Response:
        import json

        body = json.loads(request.content)
        record = {"id": "uLu8K", **BLANK_RECORD, **body, "pending": False, **overrides}
        return httpx.Response(status, json=record)

    return Recorder(answer)


def connect(recorder: Recorder, **settings: Any) -> cb.Connection:
    settings.setdefault("api_key", CANARY)
    return cb.connect("roostedhr", transport=recorder.transport(), **settings)


def test_company_with_contact_person_maps_to_flat_fields() -> None:
    recorder = echo()
    client = cb.Client(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        company_name="Analytical Engines Ltd",
        address=cb.Address(
            line1="1 Main St",
            line2="Floor 2",
            city="London",
            region="Greater London",
            postal_code="SW1A 1AA",
        ),
    )
    with connect(recorder) as conn:
        result = conn.create(client)
    request = recorder.requests[0]
    assert request.method == "POST"
    assert str(request.url) == "https://api.roostedhr.com/api/1_12/clients"
    assert request.headers["x-api-key"] == CANARY
    assert request.headers["content-type"] == "application/json"
    assert recorder.bodies[0] == {
        "client_name": "Analytical Engines Ltd",
        "client_contact_name": "Ada Lovelace",
        "client_contact_email": "ada@example.com",
        "client_address": "1 Main St, Floor 2",
        "client_city": "London",
        "client_state": "Greater London",
        "client_postal_code": "SW1A 1AA",
    }
    assert result.provider == "roostedhr"
    assert result.id == "uLu8K"
    assert result.client.company_name == "Analytical Engines Ltd"
    assert result.client.name == "Ada Lovelace"
    assert result.client.address == cb.Address(
        line1="1 Main St, Floor 2", city="London", region="Greater London", postal_code="SW1A 1AA"
    )
    assert result.dropped_fields == ()
    assert result.warnings == ()


def test_person_without_company_becomes_client_name() -> None:
    recorder = echo()
    with connect(recorder) as conn:
        conn.create(cb.Client(first_name="Ada", last_name="Lovelace"))
    assert recorder.bodies[0] == {"client_name": "Ada Lovelace"}


def test_bearer_auth_scheme() -> None:
    recorder = echo()
    with connect(recorder, auth_scheme="bearer") as conn:
        conn.create(cb.Client(company_name="Acme"))
    assert recorder.requests[0].headers["authorization"] == f"Bearer {CANARY}"
    assert "x-api-key" not in recorder.requests[0].headers


def test_client_name_is_required() -> None:
    with connect(echo()) as conn, pytest.raises(cb.ValidationError) as caught:
        conn.create(cb.Client(email="ada@example.com"))
    assert [error.field for error in caught.value.errors] == ["name"]


def test_over_long_values_name_the_field_and_the_limit() -> None:
    recorder = echo()
    with connect(recorder) as conn, pytest.raises(cb.ValidationError) as caught:
        conn.create(cb.Client(company_name="A" * 256, address=cb.Address(city="C" * 300)))
    errors = {error.field: error.message for error in caught.value.errors}
    assert "255" in errors["company_name"]  # the field the caller set, not client_name's rule
    assert "255" in errors["address.city"]
    assert recorder.requests == []


def test_invalid_email_is_rejected_before_any_io() -> None:
    recorder = echo()
    with connect(recorder) as conn, pytest.raises(cb.ValidationError) as caught:
        conn.create(cb.Client(company_name="Acme", email="not-an-email"))
    assert caught.value.errors[0].field == "email"
    assert recorder.requests == []


def test_unsupported_fields_are_dropped_with_one_warning_each() -> None:
    with connect(echo()) as conn:
        result = conn.create(
            cb.Client(company_name="Acme", phone="+44 7911 123456", title="Dr", lead=True)
        )
    assert result.dropped_fields == ("phone", "title", "lead")
    assert result.warnings[0] == "phone is not supported by roostedhr and was not sent"
    assert "created as a normal client" in result.warnings[2]


def test_invoice_customer_id_goes_through_extras() -> None:
    recorder = echo()
    with connect(recorder) as conn:
        conn.create(
            cb.Client(
                company_name="Acme", extras={"roostedhr": {"client_invoice_customer_id": "INV-1"}}
            )
        )
    assert recorder.bodies[0]["client_invoice_customer_id"] == "INV-1"


@pytest.mark.parametrize(
    ("pending", "connection", "status", "invite", "provider_status"),
    [
        (False, None, cb.ClientStatus.ACTIVE, cb.InviteStatus.NOT_INVITED, None),
        (True, None, cb.ClientStatus.PENDING, cb.InviteStatus.NOT_INVITED, None),
        (False, 0, cb.ClientStatus.ACTIVE, cb.InviteStatus.INVITED, "0"),
        (False, 2, cb.ClientStatus.ACTIVE, cb.InviteStatus.CONNECTED, "2"),
        (False, 7, cb.ClientStatus.ACTIVE, cb.InviteStatus.UNKNOWN, "7"),
    ],
)
def test_status_and_invite_mapping(
    pending: bool,
    connection: int | None,
    status: cb.ClientStatus,
    invite: cb.InviteStatus,
    provider_status: str | None,
) -> None:
    recorder = echo(pending=pending, client_portal_connection_status=connection)
    with connect(recorder) as conn:
        result = conn.create(cb.Client(company_name="Acme"))
    assert (result.status, result.invite, result.provider_status) == (
        status,
        invite,
        provider_status,
    )


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, cb.ProviderValidationError),
        (401, cb.AuthenticationError),
        (403, cb.PermissionDeniedError),
        (404, cb.NotFoundError),
        (422, cb.ProviderValidationError),
        (429, cb.RateLimitedError),
        (500, cb.ProviderUnavailableError),
        (502, cb.ProviderUnavailableError),
        (503, cb.ProviderUnavailableError),
        (504, cb.ProviderUnavailableError),
    ],
)
def test_error_statuses_map_to_pinned_exceptions(
    status: int, error: type[cb.ProviderError], no_sleep: list[float]
) -> None:
    recorder = Recorder(respond(status, {"message": f"no, {CANARY}"}))
    with connect(recorder, max_retries=0) as conn, pytest.raises(error) as caught:
        conn.create(cb.Client(company_name="Acme"))
    assert caught.value.status_code == status
    assert caught.value.provider == "roostedhr"
    assert CANARY not in str(caught.value)
    assert CANARY not in repr(caught.value.body)


def test_validation_error_body_becomes_field_errors() -> None:
    body = {"message": "Invalid", "errors": {"client_name": ["too long"]}}
    with connect(Recorder(respond(422, body))) as conn:
        with pytest.raises(cb.ProviderValidationError) as caught:
            conn.create(cb.Client(company_name="Acme"))
    assert caught.value.errors == (cb.FieldError("name", "too long"),)


@pytest.mark.parametrize("body", [b"<html>oops</html>", b'{"client_name": "no id"}', b"[]"])
def test_unreadable_success_is_an_unexpected_response(body: bytes) -> None:
    recorder = Recorder(lambda request: httpx.Response(201, content=body))
    with connect(recorder) as conn, pytest.raises(cb.UnexpectedResponseError, match="may have"):
        conn.create(cb.Client(company_name="Acme"))
