"""ProConvey "v2 UK-style": names, E.164 phone, UK postal address, status table, errors."""

from __future__ import annotations

import json
from typing import Any

import attrs
import httpx
import pytest

import clientbridge as cb
from clientbridge.testing import AdapterConformance

from .conftest import CANARY, Recorder, respond

BASE_URL = "https://acme.proconvey.co.uk"
SETTINGS = {"api_key": CANARY, "base_url": BASE_URL}
CLIENT_ID = "3c90c3cc-0d44-4b50-8888-8dd25736052a"

#: The documented response record with every nullable field empty.
BLANK_RECORD: dict[str, Any] = {
    "id": CLIENT_ID,
    "status": "NotInvited",
    **dict.fromkeys(
        [
            "title",
            "middleName",
            "companyName",
            "telephoneNumber",
            "altTelephoneNumber",
            "pronouns",
            "avatarUrl",
            "dob",
            "nationality",
            "niNumber",
            "occupation",
            "address",
        ]
    ),
    "communicationPreferences": {"email": True, "phone": False, "sms": False, "post": False},
}

ADA = cb.Client(first_name="Ada", last_name="Lovelace", email="ada@example.com")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def echo(**overrides: Any) -> Recorder:
    """A ProConvey that stores what it is sent and answers the documented record."""

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        return httpx.Response(201, json={**BLANK_RECORD, **body, **overrides})

    return Recorder(answer)


def connect(recorder: Recorder, **settings: Any) -> cb.Connection:
    return cb.connect(
        "proconvey", transport=recorder.transport(), max_retries=0, **{**SETTINGS, **settings}
    )


def sent(client: cb.Client, **settings: Any) -> dict[str, Any]:
    """The body a create of ``client`` sends."""
    recorder = echo()
    with connect(recorder, **settings) as conn:
        conn.create(client)
    body: dict[str, Any] = recorder.bodies[0]
    return body


def with_address(**parts: str | None) -> cb.Client:
    return cb.Client(
        first_name="Ada", last_name="Lovelace", email="ada@example.com", address=cb.Address(**parts)
    )


# --------------------------------------------------------------------------- the round trip


def test_a_uk_client_round_trips_through_the_documented_wire_format() -> None:
    recorder = echo(status="Invited")
    client = cb.Client(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        title="Dr",
        company_name="Analytical Engines Ltd",
        phone="07911 123456",
        address=cb.Address(
            line1="Flat 2",
            line2="10 Downing Street",
            line3="Westminster",
            city="London",
            region="Greater London",
            postal_code="sw1a1aa",
            country="GB",
            uprn="100023336956",
        ),
    )
    with connect(recorder) as conn:
        result = conn.create(client)

    request = recorder.requests[0]
    assert request.method == "POST"
    assert str(request.url) == f"{BASE_URL}/api/v2/clients"
    assert request.headers["authorization"] == f"Bearer {CANARY}"
    assert request.headers["content-type"] == "application/json"
    assert recorder.bodies[0] == {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "emailAddress": "ada@example.com",
        "title": "Dr",
        "companyName": "Analytical Engines Ltd",
        "telephoneNumber": "+447911123456",
        "address": {
            "line_1": "Flat 2",
            "line_2": "10 Downing Street",
            "line_3": "Westminster",
            "post_town": "London",
            "county": "Greater London",
            "postcode": "SW1A 1AA",
            "uprn": "100023336956",
        },
    }

    assert isinstance(result, cb.CreateResult)
    assert result.provider == "proconvey"
    assert result.id == CLIENT_ID
    assert (result.status, result.invite, result.provider_status) == (
        cb.ClientStatus.ACTIVE,
        cb.InviteStatus.INVITED,
        "Invited",
    )
    assert result.client == cb.Client(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        title="Dr",
        company_name="Analytical Engines Ltd",
        phone="+447911123456",
        address=cb.Address(
            line1="Flat 2",
            line2="10 Downing Street",
            line3="Westminster",
            city="London",
            region="Greater London",
            postal_code="SW1A 1AA",
            country="GB",
            uprn="100023336956",
        ),
    )
    assert result.warnings == ()
    assert result.dropped_fields == ()
    assert result.raw["communicationPreferences"] == BLANK_RECORD["communicationPreferences"]


def test_the_smallest_client_sends_only_the_required_fields() -> None:
    assert sent(ADA) == {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "emailAddress": "ada@example.com",
    }


def test_preview_shows_the_request_with_the_key_redacted_and_sends_nothing() -> None:
    recorder = echo()
    with connect(recorder) as conn:
        (request,) = conn.preview(cb.Client(first_name="A", last_name="B", email="a@b.example"))
    assert recorder.requests == []
    assert request.url == f"{BASE_URL}/api/v2/clients"
    assert request.headers["Authorization"] == "***"
    assert CANARY not in repr(request)


def test_the_bearer_header_is_a_secret_until_it_reaches_the_wire() -> None:
    with connect(echo()) as conn:
        prepared = conn.adapter.prepare(0, ADA, "warn")
        request = conn.adapter.build_create_request([prepared], {})
    assert isinstance(request.headers["Authorization"], cb.Secret)
    assert CANARY not in repr(request)
    assert request.wire_headers()["Authorization"] == f"Bearer {CANARY}"


def test_the_uk_v2_alias_names_proconvey() -> None:
    recorder = echo()
    with cb.connect("uk-v2", transport=recorder.transport(), **SETTINGS) as conn:
        assert conn.create(ADA).provider == "proconvey"


def test_the_sandbox_accepts_what_the_adapter_sends() -> None:
    with cb.connect("proconvey", sandbox=True) as conn:
        result = conn.create(
            cb.Client(
                first_name="Ada",
                last_name="Lovelace",
                email="ada.sandbox@example.com",
                phone="07911 123456",
                address=cb.Address(line1="1 Main St", postal_code="sw1a1aa"),
            )
        )
    assert result.client.phone == "+447911123456"
    assert result.client.address is not None
    assert result.client.address.postal_code == "SW1A 1AA"


# --------------------------------------------------------------------------- settings


def test_api_key_and_base_url_are_required() -> None:
    with pytest.raises(cb.ConfigurationError, match="api_key"):
        cb.connect("proconvey", base_url=BASE_URL)
    with pytest.raises(cb.ConfigurationError, match="base_url"):
        cb.connect("proconvey", api_key=CANARY)


def test_an_unknown_default_region_is_a_configuration_error() -> None:
    with pytest.raises(cb.ConfigurationError, match="default_region 'XX'"):
        cb.connect("proconvey", default_region="XX", **SETTINGS)


# --------------------------------------------------------------------------- phone


@pytest.mark.parametrize(
    "phone",
    ["07911 123456", "+44 7911 123456", "0044 7911 123456", "+447911123456", "(07911) 123-456"],
)
def test_phone_is_sent_in_e164_from_any_common_notation(phone: str) -> None:
    client = cb.Client(first_name="Ada", last_name="Lovelace", email="a@b.example", phone=phone)
    assert sent(client)["telephoneNumber"] == "+447911123456"


def test_a_fictional_but_possible_uk_number_is_accepted() -> None:
    client = cb.Client(
        first_name="Ada", last_name="Lovelace", email="a@b.example", phone="07700 900123"
    )
    assert sent(client)["telephoneNumber"] == "+447700900123"


@pytest.mark.parametrize("region", ["US", "us"])
def test_default_region_reads_national_numbers(region: str) -> None:
    client = cb.Client(
        first_name="Ada", last_name="Lovelace", email="a@b.example", phone="(202) 555-0143"
    )
    assert sent(client, default_region=region)["telephoneNumber"] == "+12025550143"


def test_international_numbers_ignore_default_region() -> None:
    client = cb.Client(
        first_name="Ada", last_name="Lovelace", email="a@b.example", phone="+44 7911 123456"
    )
    assert sent(client, default_region="US")["telephoneNumber"] == "+447911123456"


@pytest.mark.parametrize("phone", ["12", "+44 12", "not a number", "+44 7911 123456 789 012"])
def test_an_impossible_phone_is_a_validation_error_and_nothing_is_sent(phone: str) -> None:
    recorder = echo()
    client = cb.Client(first_name="Ada", last_name="Lovelace", email="a@b.example", phone=phone)
    with connect(recorder) as conn, pytest.raises(cb.ValidationError) as caught:
        conn.create(client)
    assert [error.field for error in caught.value.errors] == ["phone"]
    assert recorder.requests == []


# --------------------------------------------------------------------------- required fields


@pytest.mark.parametrize(
    ("client", "field"),
    [
        (cb.Client(last_name="Lovelace", email="ada@example.com"), "first_name"),
        (cb.Client(first_name="Ada", email="ada@example.com"), "last_name"),
        (cb.Client(first_name="Ada", last_name="Lovelace"), "email"),
        (cb.Client(first_name="Ada", last_name="Lovelace", email="not-an-email"), "email"),
    ],
)
def test_names_and_a_valid_email_are_required_locally(client: cb.Client, field: str) -> None:
    recorder = echo()
    with connect(recorder) as conn, pytest.raises(cb.ValidationError) as caught:
        conn.create(client)
    assert [error.field for error in caught.value.errors] == [field]
    assert "ProConvey" in str(caught.value)
    assert recorder.requests == []


def test_every_missing_required_field_is_named_at_once() -> None:
    with connect(echo()) as conn, pytest.raises(cb.ValidationError) as caught:
        conn.create(cb.Client(phone="07911 123456"))
    assert [error.field for error in caught.value.errors] == ["first_name", "last_name", "email"]


def test_a_display_name_alone_is_not_split_into_first_and_last() -> None:
    with connect(echo()) as conn, pytest.raises(cb.ValidationError) as caught:
        conn.create(cb.Client(name="Ada Lovelace", email="ada@example.com"))
    assert {error.field for error in caught.value.errors} == {"first_name", "last_name"}


# --------------------------------------------------------------------------- address


def test_a_partial_address_sends_only_its_parts() -> None:
    body = sent(with_address(line1="1 Main St", city="Leeds", postal_code="LS1 4DY"))
    assert body["address"] == {"line_1": "1 Main St", "post_town": "Leeds", "postcode": "LS1 4DY"}


@pytest.mark.parametrize(
    ("parts", "field"),
    [
        ({"city": "London", "postal_code": "SW1A 1AA"}, "address.line1"),
        ({"line1": "1 Main St", "city": "London"}, "address.postal_code"),
    ],
)
def test_an_address_needs_line1_and_a_postcode(parts: dict[str, str], field: str) -> None:
    recorder = echo()
    with connect(recorder) as conn, pytest.raises(cb.ValidationError) as caught:
        conn.create(with_address(**parts))
    assert [error.field for error in caught.value.errors] == [field]
    assert "when an address is sent" in str(caught.value)
    assert recorder.requests == []


def test_an_address_without_line1_and_postcode_names_both_missing_parts() -> None:
    with connect(echo()) as conn, pytest.raises(cb.ValidationError) as caught:
        conn.create(with_address(city="London", country="GB"))
    assert [error.field for error in caught.value.errors] == [
        "address.line1",
        "address.postal_code",
    ]


def test_an_address_of_a_country_alone_is_not_sent_but_reads_the_phone() -> None:
    # The country says where a phone number without its country code is read (SPEC §2.1).
    recorder = echo()
    client = attrs.evolve(ADA, phone="(617) 253-1000", address=cb.Address(country="US"))
    with connect(recorder) as conn:
        result = conn.create(client)
    [body] = recorder.bodies
    assert "address" not in body
    assert body["telephoneNumber"] == "+16172531000"
    assert result.dropped_fields == ("address",)
    assert "holds only a country" in result.warnings[0]


@pytest.mark.parametrize(
    ("given", "wire"),
    [
        ("sw1a1aa", "SW1A 1AA"),
        ("SW1A 1AA", "SW1A 1AA"),
        ("  ec1a   1bb ", "EC1A 1BB"),
        ("m11ae", "M1 1AE"),
        ("b338th", "B33 8TH"),
        ("Cr2 6xh", "CR2 6XH"),
        ("dn551pt", "DN55 1PT"),
        ("w1a0ax", "W1A 0AX"),
        ("gir0aa", "GIR 0AA"),
        ("90210", "90210"),
        ("D02 X285", "D02 X285"),
        ("not a postcode", "not a postcode"),
    ],
)
def test_uk_postcodes_are_normalised_and_others_sent_as_given(given: str, wire: str) -> None:
    body = sent(with_address(line1="1 Main St", postal_code=given))
    assert body["address"]["postcode"] == wire


def test_a_postcode_of_a_non_uk_address_is_not_reformatted() -> None:
    body = sent(with_address(line1="1 Main St", postal_code="sw1a1aa", country="FR"))
    assert body["address"]["postcode"] == "sw1a1aa"


@pytest.mark.parametrize("country", [None, "GB", "gb", "UK"])
def test_a_uk_address_gives_no_warning(country: str | None) -> None:
    recorder = echo()
    client = with_address(line1="1 Main St", postal_code="SW1A 1AA", country=country)
    with connect(recorder) as conn:
        result = conn.create(client)
    assert result.warnings == ()
    assert "country" not in recorder.bodies[0]["address"]


def test_a_non_uk_country_is_a_warning_and_the_address_is_still_sent() -> None:
    recorder = echo()
    client = with_address(line1="1 Rue de Rivoli", postal_code="75001", country="FR")
    with connect(recorder) as conn:
        result = conn.create(client)
    assert recorder.bodies[0]["address"] == {"line_1": "1 Rue de Rivoli", "postcode": "75001"}
    assert result.warnings == (
        "address.country is not sent: ProConvey stores UK addresses only, so the address was "
        "sent without its country",
    )
    assert result.dropped_fields == ("address.country",)


# --------------------------------------------------------------------------- dropped fields


def test_fields_proconvey_lacks_are_dropped_with_one_warning_each() -> None:
    recorder = echo()
    client = cb.Client(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        contact_methods=(cb.ContactMethod(kind=cb.ContactKind.WHATSAPP, value="+447911123456"),),
        avatar_url="https://example.com/ada.png",
        source="website",
        custom_fields={"tier": "gold"},
        lead=True,
    )
    with connect(recorder) as conn:
        result = conn.create(client)
    assert set(recorder.bodies[0]) == {"firstName", "lastName", "emailAddress"}
    assert result.dropped_fields == (
        "contact_methods",
        "avatar_url",
        "source",
        "lead",
        "custom_fields",
    )
    assert result.warnings == (
        "contact_methods is not supported by proconvey and was not sent",
        "avatar_url is not supported by proconvey and was not sent",
        "source is not supported by proconvey and was not sent",
        "lead is not supported by proconvey; the record was created as a normal client",
        "custom_fields is not supported by proconvey and was not sent",
    )


def test_a_display_name_other_than_first_and_last_is_dropped() -> None:
    client = cb.Client(
        first_name="Ada", last_name="Lovelace", name="Countess of Lovelace", email="a@b.example"
    )
    with connect(echo()) as conn:
        result = conn.create(client)
    assert result.dropped_fields == ("name",)


def test_on_unsupported_error_refuses_a_dropped_field_before_sending() -> None:
    recorder = echo()
    client = cb.Client(first_name="Ada", last_name="Lovelace", email="a@b.example", source="web")
    with connect(recorder, on_unsupported="error") as conn:
        with pytest.raises(cb.UnsupportedFeatureError, match="source"):
            conn.create(client)
    assert recorder.requests == []


def test_extras_for_proconvey_are_merged_into_the_payload() -> None:
    client = cb.Client(
        first_name="Ada",
        last_name="Lovelace",
        email="a@b.example",
        extras={"proconvey": {"occupation": "Mathematician"}, "placio": {"x": 1}},
    )
    body = sent(client)
    assert body["occupation"] == "Mathematician"
    assert "x" not in body


# --------------------------------------------------------------------------- the response


@pytest.mark.parametrize(
    ("provider_status", "status", "invite"),
    [
        ("Active", cb.ClientStatus.ACTIVE, cb.InviteStatus.CONNECTED),
        ("Invited", cb.ClientStatus.ACTIVE, cb.InviteStatus.INVITED),
        ("NotInvited", cb.ClientStatus.ACTIVE, cb.InviteStatus.NOT_INVITED),
        ("SendFailed", cb.ClientStatus.ACTIVE, cb.InviteStatus.INVITE_FAILED),
        ("Closed", cb.ClientStatus.CLOSED, cb.InviteStatus.UNKNOWN),
        ("Archived", cb.ClientStatus.UNKNOWN, cb.InviteStatus.UNKNOWN),
        ("active", cb.ClientStatus.UNKNOWN, cb.InviteStatus.UNKNOWN),
    ],
)
def test_the_status_table_normalises_every_documented_status(
    provider_status: str, status: cb.ClientStatus, invite: cb.InviteStatus
) -> None:
    with connect(echo(status=provider_status)) as conn:
        result = conn.create(ADA)
    assert (result.status, result.invite, result.provider_status) == (
        status,
        invite,
        provider_status,
    )


def test_proconvey_declares_an_invite_status() -> None:
    from clientbridge.registry import adapter_class

    assert adapter_class("proconvey").capabilities.invite_status is True


def test_a_missing_status_is_unknown() -> None:
    with connect(echo(status=None)) as conn:
        result = conn.create(ADA)
    assert (result.status, result.invite, result.provider_status) == (
        cb.ClientStatus.UNKNOWN,
        cb.InviteStatus.UNKNOWN,
        None,
    )


def test_a_failed_invitation_email_is_a_warning_on_a_created_client() -> None:
    with connect(echo(status="SendFailed")) as conn:
        result = conn.create(ADA)
    assert result.id == CLIENT_ID
    assert result.warnings == (
        "the client was created in ProConvey but its portal invitation e-mail failed to "
        "send; resend the invitation from ProConvey",
    )


@pytest.mark.parametrize("provider_status", ["Active", "Invited", "NotInvited", "Closed"])
def test_other_statuses_give_no_warning(provider_status: str) -> None:
    with connect(echo(status=provider_status)) as conn:
        assert conn.create(ADA).warnings == ()


def test_the_full_record_is_parsed_back_into_the_neutral_model() -> None:
    record = {
        **BLANK_RECORD,
        "firstName": "Ada",
        "middleName": "Augusta",
        "lastName": "King",
        "emailAddress": "ada@example.com",
        "title": "Countess",
        "companyName": None,
        "telephoneNumber": "+447911123456",
        "altTelephoneNumber": "+442071234567",
        "avatarUrl": "https://example.com/ada.png",
        "dob": "1815-12-10",
        "niNumber": "QQ123456C",
        "address": {
            "line_1": "12 St James's Square",
            "line_2": None,
            "line_3": None,
            "post_town": "London",
            "county": None,
            "postcode": "SW1Y 4LB",
            "uprn": 100023336956,
        },
    }
    with connect(Recorder(respond(201, record))) as conn:
        result = conn.create(ADA)
    assert result.client == cb.Client(
        first_name="Ada",
        last_name="King",
        name="Ada Augusta King",
        email="ada@example.com",
        title="Countess",
        phone="+447911123456",
        contact_methods=(cb.ContactMethod(kind=cb.ContactKind.PHONE, value="+442071234567"),),
        avatar_url="https://example.com/ada.png",
        address=cb.Address(
            line1="12 St James's Square",
            city="London",
            postal_code="SW1Y 4LB",
            country="GB",
            uprn="100023336956",
        ),
    )
    assert result.raw == record


def test_an_empty_address_object_in_the_record_is_no_address() -> None:
    empty = dict.fromkeys(["line_1", "line_2", "line_3", "post_town", "county", "postcode"])
    with connect(echo(address=empty)) as conn:
        assert conn.create(ADA).client.address is None


def test_a_record_without_an_id_is_an_unexpected_response() -> None:
    record = {key: value for key, value in BLANK_RECORD.items() if key != "id"}
    with connect(Recorder(respond(201, record))) as conn:
        with pytest.raises(cb.UnexpectedResponseError, match="'id'") as caught:
            conn.create(ADA)
    assert caught.value.maybe_created is True


@pytest.mark.parametrize("body", [[BLANK_RECORD], "created", None])
def test_a_success_that_is_not_a_record_is_an_unexpected_response(body: Any) -> None:
    with connect(Recorder(respond(201, body))) as conn:
        with pytest.raises(cb.UnexpectedResponseError):
            conn.create(ADA)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, cb.ProviderValidationError),
        (401, cb.AuthenticationError),
        (403, cb.PermissionDeniedError),
        (404, cb.NotFoundError),
        (409, cb.DuplicateClientError),
        (422, cb.ProviderValidationError),
        (429, cb.RateLimitedError),
        (500, cb.ProviderUnavailableError),
        (502, cb.ProviderUnavailableError),
        (503, cb.ProviderUnavailableError),
        (504, cb.ProviderUnavailableError),
    ],
)
def test_error_statuses_map_to_pinned_exceptions(
    status: int, error: type[cb.ProviderError]
) -> None:
    body = {"message": "A client with this email address already exists."}
    with connect(Recorder(respond(status, body))) as conn, pytest.raises(error) as caught:
        conn.create(ADA)
    assert caught.value.status_code == status
    assert caught.value.provider == "proconvey"
    assert "A client with this email address already exists." in str(caught.value)
    assert CANARY not in repr(caught.value)


def test_field_errors_in_a_422_are_named_in_neutral_terms() -> None:
    body = {
        "message": "The given data was invalid.",
        "errors": {
            "emailAddress": ["The emailAddress field must be a valid email address."],
            "telephoneNumber": ["The telephoneNumber field must be in E.164 format."],
            "address.postcode": ["The address.postcode field is required."],
            "occupation": ["The occupation field is too long."],
        },
    }
    with connect(Recorder(respond(422, body))) as conn:
        with pytest.raises(cb.ProviderValidationError) as caught:
            conn.create(ADA)
    assert caught.value.errors == (
        cb.FieldError("email", "The emailAddress field must be a valid email address."),
        cb.FieldError("phone", "The telephoneNumber field must be in E.164 format."),
        cb.FieldError("address.postal_code", "The address.postcode field is required."),
        cb.FieldError("occupation", "The occupation field is too long."),
    )


def test_a_400_without_field_errors_still_carries_the_message() -> None:
    body = {"message": "The request body must be a JSON object."}
    with connect(Recorder(respond(400, body))) as conn:
        with pytest.raises(cb.ProviderValidationError, match="must be a JSON object") as caught:
            conn.create(ADA)
    assert caught.value.errors == ()


def test_a_429_carries_retry_after() -> None:
    answer = respond(429, {"message": "Too many requests"}, **{"Retry-After": "12"})
    with connect(Recorder(answer)) as conn, pytest.raises(cb.RateLimitedError) as caught:
        conn.create(ADA)
    assert caught.value.retry_after == 12.0
    assert caught.value.retryable is True


def test_personal_data_in_an_error_body_is_masked_everywhere() -> None:
    body = {
        "message": "A client with this email address already exists.",
        "client": {**BLANK_RECORD, "dob": "1815-12-10", "niNumber": "QQ123456C"},
        "dob": "1815-12-10",
        "niNumber": "QQ123456C",
    }
    with connect(Recorder(respond(409, body))) as conn:
        with pytest.raises(cb.DuplicateClientError) as caught:
            conn.create(ADA)
    error = caught.value
    assert isinstance(error.body, dict)
    assert error.body["dob"] == error.body["client"]["dob"] == "***"
    assert error.body["niNumber"] == error.body["client"]["niNumber"] == "***"
    for text in (str(error), repr(error), repr(error.body), repr(error.args)):
        assert "1815-12-10" not in text
        assert "QQ123456C" not in text


def test_a_failure_in_create_many_is_reported_and_the_others_created() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body["emailAddress"] == "taken@example.com":
            return httpx.Response(409, json={"message": "already exists"})
        return httpx.Response(201, json={**BLANK_RECORD, **body})

    clients = [
        ADA,
        cb.Client(first_name="Taken", last_name="User", email="taken@example.com"),
        cb.Client(first_name="No", email="no-last-name@example.com"),
    ]
    with connect(Recorder(answer)) as conn:
        batch = conn.create_many(clients)
    assert [result.client.email for result in batch.succeeded] == ["ada@example.com"]
    assert [(failure.index, type(failure.error)) for failure in batch.failed] == [
        (1, cb.DuplicateClientError),
        (2, cb.ValidationError),
    ]


# --------------------------------------------------------------------------- async


@pytest.mark.anyio
async def test_async_create_sends_and_parses_the_same() -> None:
    recorder = echo(status="Active")
    client = cb.Client(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        phone="07911 123456",
        address=cb.Address(line1="1 Main St", postal_code="sw1a1aa"),
    )
    async with cb.connect_async("proconvey", transport=recorder.transport(), **SETTINGS) as conn:
        result = await conn.create(client)
    assert recorder.requests[0].headers["authorization"] == f"Bearer {CANARY}"
    assert recorder.bodies[0]["telephoneNumber"] == "+447911123456"
    assert recorder.bodies[0]["address"] == {"line_1": "1 Main St", "postcode": "SW1A 1AA"}
    assert (result.status, result.invite) == (cb.ClientStatus.ACTIVE, cb.InviteStatus.CONNECTED)
    assert result.client.phone == "+447911123456"


@pytest.mark.anyio
async def test_async_create_many_reports_every_input() -> None:
    recorder = echo()
    clients = [ADA, cb.Client(first_name="Bo", last_name="Li", email="bo@example.com"), cb.Client()]
    async with cb.connect_async(
        "proconvey", transport=recorder.transport(), max_concurrency=2, **SETTINGS
    ) as conn:
        batch = await conn.create_many(clients)
    assert len(batch.succeeded) == 2
    assert [failure.index for failure in batch.failed] == [2]
    assert len(recorder.requests) == 2


@pytest.mark.anyio
async def test_async_errors_map_like_sync() -> None:
    body = {"message": "nope", "dob": "1815-12-10"}
    async with cb.connect_async(
        "proconvey", transport=Recorder(respond(401, body)).transport(), **SETTINGS
    ) as conn:
        with pytest.raises(cb.AuthenticationError) as caught:
            await conn.create(ADA)
    assert "1815-12-10" not in repr(caught.value.body)


# --------------------------------------------------------------------------- conformance


class TestProConveyConformance(AdapterConformance):
    provider = "proconvey"
    settings = {"base_url": BASE_URL}
    minimal_client = ADA

    def answer(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json={**BLANK_RECORD, **json.loads(request.content)})
