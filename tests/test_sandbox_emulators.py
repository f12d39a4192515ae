"""Each sandbox emulator follows its provider page: auth, validation, shapes, ids, look-ups."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from clientbridge.sandbox import Sandbox
from clientbridge.sandbox.emulators.agencyhandy import API_KEY as AGENCYHANDY_API_KEY
from clientbridge.sandbox.emulators.agencyhandy import CLIENT_ROLE_ID as AGENCYHANDY_CLIENT_ROLE_ID
from clientbridge.sandbox.emulators.agencyhandy import COMPANY_ID as AGENCYHANDY_COMPANY_ID
from clientbridge.sandbox.emulators.agencyhandy import (
    INNER_CLIENT_ROLE_ID as AGENCYHANDY_INNER_CLIENT_ROLE_ID,
)
from clientbridge.sandbox.emulators.agencyhandy import AgencyHandyOptions
from clientbridge.sandbox.emulators.placio import TOKEN as PLACIO_TOKEN
from clientbridge.sandbox.emulators.proconvey import API_KEY as PROCONVEY_API_KEY
from clientbridge.sandbox.emulators.roostedhr import API_KEY as ROOSTEDHR_API_KEY

OBJECT_ID = re.compile(r"[0-9a-f]{24}")
SHORT_ID = re.compile(r"[0-9A-Za-z]{5}")
AGENCYHANDY_ERROR_KEYS = {"type", "status", "message", "fieldName"}


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(seed=7)


def http_client(sandbox: Sandbox, provider: str, base_url: str, **headers: str) -> httpx.Client:
    return httpx.Client(transport=sandbox.transport(provider), base_url=base_url, headers=headers)


def member(email: str = "ada@example.com", **fields: Any) -> dict[str, Any]:
    return {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": email,
        "isConvertedClient": False,
        **fields,
    }


# --------------------------------------------------------------------------- RoostedHR


@pytest.fixture
def roostedhr(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with http_client(
        sandbox,
        "roostedhr",
        "https://api.roostedhr.com/api/1_12",
        **{"X-API-KEY": ROOSTEDHR_API_KEY},
    ) as http:
        yield http


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-API-KEY": "wrong"}, {"Authorization": "Bearer wrong"}, {"X-API-KEY": ""}],
    ids=["missing", "wrong-key", "wrong-bearer", "empty"],
)
def test_roostedhr_rejects_a_missing_or_wrong_key(
    sandbox: Sandbox, headers: dict[str, str]
) -> None:
    with http_client(sandbox, "roostedhr", "https://api.roostedhr.com/api/1_12") as http:
        response = http.post("/clients", json={"client_name": "Acme"}, headers=headers)
    assert response.status_code == 401
    assert sandbox.records("roostedhr") == []


@pytest.mark.parametrize(
    "headers",
    [{"X-API-KEY": ROOSTEDHR_API_KEY}, {"Authorization": f"Bearer {ROOSTEDHR_API_KEY}"}],
    ids=["x-api-key", "bearer"],
)
def test_roostedhr_accepts_the_key_as_x_api_key_or_bearer(
    sandbox: Sandbox, headers: dict[str, str]
) -> None:
    with http_client(sandbox, "roostedhr", "https://api.roostedhr.com/api/1_12") as http:
        response = http.post("/clients", json={"client_name": "Acme"}, headers=headers)
    assert response.status_code == 201


def test_roostedhr_answers_the_documented_record(roostedhr: httpx.Client) -> None:
    response = roostedhr.post(
        "/clients",
        json={"client_name": "Acme Corp", "client_contact_email": "ops@acme.test", "extra": 1},
    )
    assert response.status_code == 201
    record = response.json()
    assert set(record) == {
        "id",
        "client_name",
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
        "pending",
    }
    assert SHORT_ID.fullmatch(record["id"])
    assert record["client_name"] == "Acme Corp"
    assert record["client_contact_email"] == "ops@acme.test"
    assert record["client_portal_connection_status"] is None
    assert record["pending"] is False


@pytest.mark.parametrize(
    "body",
    [{}, {"client_name": ""}, {"client_name": "x" * 256}, {"client_name": 7}],
    ids=["missing", "empty", "too-long", "not-text"],
)
def test_roostedhr_client_name_must_be_1_to_255_characters(
    roostedhr: httpx.Client, body: dict[str, Any]
) -> None:
    response = roostedhr.post("/clients", json=body)
    assert response.status_code == 422
    assert "client_name" in response.json()["errors"]


def test_roostedhr_accepts_a_client_name_of_255_characters(roostedhr: httpx.Client) -> None:
    assert roostedhr.post("/clients", json={"client_name": "x" * 255}).status_code == 201


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("client_contact_name", 255),
        ("client_contact_email", 255),
        ("client_invoice_customer_id", 255),
        ("client_address", 65535),
        ("client_city", 255),
        ("client_state", 255),
        ("client_postal_code", 255),
    ],
)
def test_roostedhr_enforces_each_documented_length_limit(
    roostedhr: httpx.Client, field: str, limit: int
) -> None:
    at_limit = roostedhr.post("/clients", json={"client_name": "Acme", field: "x" * limit})
    over = roostedhr.post("/clients", json={"client_name": "Acme", field: "x" * (limit + 1)})
    assert at_limit.status_code == 201
    assert over.status_code == 422
    assert list(over.json()["errors"]) == [field]


def test_roostedhr_lists_clients_page_by_page(roostedhr: httpx.Client) -> None:
    for name in ("A", "B", "C"):
        roostedhr.post("/clients", json={"client_name": name})
    response = roostedhr.get("/clients", params={"items_per_page": 2, "page": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["total_count"] == 3
    assert [client["client_name"] for client in body["clients"]] == ["C"]


def test_roostedhr_rejects_a_bad_page_number(roostedhr: httpx.Client) -> None:
    assert roostedhr.get("/clients", params={"page": 0}).status_code == 422


def test_roostedhr_does_not_reject_a_repeated_email(roostedhr: httpx.Client) -> None:
    body = {"client_name": "Acme", "client_contact_email": "ops@acme.test"}
    assert roostedhr.post("/clients", json=body).status_code == 201
    assert roostedhr.post("/clients", json=body).status_code == 201


def test_roostedhr_ids_are_five_characters_and_unique(
    roostedhr: httpx.Client, sandbox: Sandbox
) -> None:
    ids = [roostedhr.post("/clients", json={"client_name": "A"}).json()["id"] for _ in range(200)]
    assert all(SHORT_ID.fullmatch(record_id) for record_id in ids)
    assert len(set(ids)) == 200
    assert [record["id"] for record in sandbox.records("roostedhr")] == ids


def test_roostedhr_lives_under_its_api_path(sandbox: Sandbox) -> None:
    with http_client(
        sandbox, "roostedhr", "https://api.roostedhr.com", **{"X-API-KEY": ROOSTEDHR_API_KEY}
    ) as http:
        response = http.post("/clients", json={"client_name": "Acme"})
    assert response.status_code == 404
    assert "/api/1_12/clients" in response.json()["message"]


# --------------------------------------------------------------------------- Placio


@pytest.fixture
def placio(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with http_client(
        sandbox,
        "placio",
        "https://placio.sandbox.invalid/v1/workspace/ws1",
        Authorization=f"Bearer {PLACIO_TOKEN}",
    ) as http:
        yield http


def placio_body(**fields: Any) -> dict[str, Any]:
    return {
        "name": "John Doe",
        "contactMethods": [
            {"type": "phone", "value": "+1234567890", "isPreferred": True},
            {"type": "email", "value": "john@example.com", "isPreferred": False},
        ],
        **fields,
    }


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong", PLACIO_TOKEN], ids=["missing", "wrong", "no-scheme"]
)
def test_placio_rejects_a_missing_or_wrong_token(
    sandbox: Sandbox, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    with http_client(sandbox, "placio", "https://placio.sandbox.invalid") as http:
        response = http.post("/v1/workspace/ws1/clients", json=placio_body(), headers=headers)
    assert response.status_code == 401


def test_placio_answers_the_documented_client(placio: httpx.Client) -> None:
    body = placio_body(
        avatarUrl="https://example.com/avatar.jpg",
        customFields=[{"fieldKey": "notes", "value": "9am-5pm"}],
    )
    response = placio.post("/clients", json=body)
    assert response.status_code == 201
    client = response.json()["client"]
    assert set(client) == {
        "id",
        "name",
        "avatarUrl",
        "contactMethods",
        "customFields",
        "createdAt",
    }
    assert OBJECT_ID.fullmatch(client["id"])
    assert client["contactMethods"] == body["contactMethods"]
    assert client["customFields"] == body["customFields"]
    assert client["avatarUrl"] == "https://example.com/avatar.jpg"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", client["createdAt"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (placio_body(name=""), "name"),
        ({"contactMethods": placio_body()["contactMethods"]}, "name"),
        (placio_body(contactMethods=[]), "contactMethods"),
        ({"name": "John"}, "contactMethods"),
        (
            placio_body(
                contactMethods=[
                    {"type": "phone", "value": "+1234567890", "isPreferred": True},
                    {"type": "email", "value": "john@example.com", "isPreferred": True},
                ]
            ),
            "contactMethods",
        ),
        (
            placio_body(
                contactMethods=[
                    {"type": "email", "value": "john@example.com", "isPreferred": False}
                ]
            ),
            "contactMethods",
        ),
        (
            placio_body(contactMethods=[{"type": "pager", "value": "1", "isPreferred": True}]),
            "contactMethods[0].type",
        ),
        (
            placio_body(contactMethods=[{"type": "email", "value": "", "isPreferred": True}]),
            "contactMethods[0].value",
        ),
    ],
    ids=[
        "empty-name",
        "no-name",
        "no-contact-method",
        "contact-methods-absent",
        "two-preferred",
        "none-preferred",
        "invalid-type",
        "empty-value",
    ],
)
def test_placio_breaking_a_documented_rule_is_a_422(
    placio: httpx.Client, body: dict[str, Any], field: str
) -> None:
    response = placio.post("/clients", json=body)
    assert response.status_code == 422
    answer = response.json()
    assert answer["statusCode"] == 422
    assert field in [error["field"] for error in answer["errors"]]


@pytest.mark.parametrize("avatar", ["not a url", "ftp://example.com/a.png", "/relative.png"])
def test_placio_an_invalid_avatar_url_is_a_400(placio: httpx.Client, avatar: str) -> None:
    response = placio.post("/clients", json=placio_body(avatarUrl=avatar))
    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == ["avatarUrl"]


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[]", b'{"name": "x", "contactMethods": [{"type": "email", "value": "a"}]}'],
    ids=["not-json", "an-array", "isPreferred-missing"],
)
def test_placio_a_malformed_body_is_a_400(placio: httpx.Client, content: bytes) -> None:
    response = placio.post("/clients", content=content)
    assert response.status_code == 400


def test_placio_keeps_each_record_with_its_decoded_workspace(
    sandbox: Sandbox, placio: httpx.Client
) -> None:
    placio.post("/clients", json=placio_body())
    placio.post(
        "https://placio.sandbox.invalid/v1/workspace/team%20two/clients", json=placio_body()
    )
    assert [record["workspaceId"] for record in sandbox.records("placio")] == ["ws1", "team two"]


# --------------------------------------------------------------------------- ProConvey


@pytest.fixture
def proconvey(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with http_client(
        sandbox,
        "proconvey",
        "https://acme.proconvey.co.uk/api/v2",
        Authorization=f"Bearer {PROCONVEY_API_KEY}",
    ) as http:
        yield http


def proconvey_body(**fields: Any) -> dict[str, Any]:
    return {"firstName": "Ada", "lastName": "Lovelace", "emailAddress": "ada@example.com", **fields}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
def test_proconvey_rejects_a_missing_or_wrong_key(
    sandbox: Sandbox, headers: dict[str, str]
) -> None:
    with http_client(sandbox, "proconvey", "https://acme.proconvey.co.uk") as http:
        response = http.post("/api/v2/clients", json=proconvey_body(), headers=headers)
    assert response.status_code == 401


def test_proconvey_answers_the_documented_client_record(proconvey: httpx.Client) -> None:
    address = {"line_1": "1 Main St", "postcode": "SW1A 1AA", "post_town": "London"}
    response = proconvey.post(
        "/clients",
        json=proconvey_body(title="Dr", telephoneNumber="+447911123456", address=address),
    )
    assert response.status_code == 201
    record = response.json()
    assert uuid.UUID(record["id"]).version == 4
    assert record["status"] in {"Active", "Closed", "Invited", "NotInvited", "SendFailed"}
    assert record["telephoneNumber"] == "+447911123456"
    assert record["title"] == "Dr"
    assert record["address"] == {
        "line_1": "1 Main St",
        "line_2": None,
        "line_3": None,
        "post_town": "London",
        "county": None,
        "postcode": "SW1A 1AA",
        "uprn": None,
    }
    for nullable in ("middleName", "altTelephoneNumber", "pronouns", "dob", "niNumber"):
        assert record[nullable] is None
    assert set(record["communicationPreferences"]) == {"email", "phone", "sms", "post"}


@pytest.mark.parametrize("field", ["firstName", "lastName", "emailAddress"])
def test_proconvey_a_missing_required_field_is_a_422_naming_it(
    proconvey: httpx.Client, field: str
) -> None:
    body = proconvey_body()
    del body[field]
    response = proconvey.post("/clients", json=body)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == [field]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"emailAddress": "not-an-email"}, "emailAddress"),
        ({"telephoneNumber": "07911 123456"}, "telephoneNumber"),
        ({"address": {"postcode": "SW1A 1AA"}}, "address.line_1"),
        ({"address": {"line_1": "1 Main St"}}, "address.postcode"),
        ({"address": "1 Main St"}, "address"),
        ({"title": 3}, "title"),
    ],
)
def test_proconvey_an_invalid_field_is_a_422_naming_it(
    proconvey: httpx.Client, fields: dict[str, Any], field: str
) -> None:
    response = proconvey.post("/clients", json=proconvey_body(**fields))
    assert response.status_code == 422
    assert field in response.json()["errors"]


def test_proconvey_a_duplicate_email_is_a_409(proconvey: httpx.Client, sandbox: Sandbox) -> None:
    assert proconvey.post("/clients", json=proconvey_body()).status_code == 201
    again = proconvey.post("/clients", json=proconvey_body(emailAddress="ADA@example.com"))
    assert again.status_code == 409
    assert len(sandbox.records("proconvey")) == 1


# --------------------------------------------------------------------------- AgencyHandy


@pytest.fixture
def agencyhandy(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with http_client(
        sandbox, "agencyhandy", "https://api.agencyhandy.com", **{"x-api-key": AGENCYHANDY_API_KEY}
    ) as http:
        yield http


def bulk(http: httpx.Client, members: Any, **headers: str) -> httpx.Response:
    return http.post(
        "/members/bulk-client",
        json=members,
        headers=headers or {"companyId": AGENCYHANDY_COMPANY_ID},
    )


def leads(http: httpx.Client, members: Any, *, header: str = "companyid") -> httpx.Response:
    return http.post(
        f"/company/{AGENCYHANDY_COMPANY_ID}/members/bulk-client",
        json={"members": members},
        headers={header: AGENCYHANDY_COMPANY_ID},
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/accounts/companies"),
        ("GET", "/roles?type=company"),
        ("POST", "/members/bulk-client"),
        ("POST", f"/company/{AGENCYHANDY_COMPANY_ID}/members/bulk-client"),
    ],
)
@pytest.mark.parametrize("key", [None, "wrong"])
def test_agencyhandy_every_endpoint_needs_the_api_key(
    sandbox: Sandbox, method: str, path: str, key: str | None
) -> None:
    headers = {"companyId": AGENCYHANDY_COMPANY_ID, "companyid": AGENCYHANDY_COMPANY_ID}
    if key:
        headers["x-api-key"] = key
    with http_client(sandbox, "agencyhandy", "https://api.agencyhandy.com") as http:
        response = http.request(method, path, headers=headers, json=[member()])
    assert response.status_code == 401
    assert set(response.json()) == {"type", "status", "message"}


def test_agencyhandy_company_look_up_answers_the_documented_shape(
    agencyhandy: httpx.Client,
) -> None:
    response = agencyhandy.get("/accounts/companies")
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body["message"], str)
    assert [company["_id"] for company in body["companies"]] == [AGENCYHANDY_COMPANY_ID]
    assert OBJECT_ID.fullmatch(body["companies"][0]["_id"])


def test_agencyhandy_role_look_up_has_the_client_role_with_outer_and_inner_ids(
    agencyhandy: httpx.Client,
) -> None:
    roles = agencyhandy.get("/roles", params={"type": "company"}).json()["roles"]
    client = [entry for entry in roles if entry["role"]["name"] == "client"]
    assert len(client) == 1
    assert client[0]["_id"] == AGENCYHANDY_CLIENT_ROLE_ID
    assert client[0]["role"]["_id"] == AGENCYHANDY_INNER_CLIENT_ROLE_ID
    assert client[0]["company"] == AGENCYHANDY_COMPANY_ID
    assert roles[0]["role"]["name"] != "client"  # picking roles[0] blindly is a bug


def test_agencyhandy_role_look_up_needs_type_company(agencyhandy: httpx.Client) -> None:
    response = agencyhandy.get("/roles")
    assert response.status_code == 400
    assert response.json()["fieldName"] == "type"


def test_agencyhandy_several_companies_can_share_a_key() -> None:
    sandbox = Sandbox(options={"agencyhandy": AgencyHandyOptions(companies=3)})
    with http_client(
        sandbox, "agencyhandy", "https://api.agencyhandy.com", **{"x-api-key": AGENCYHANDY_API_KEY}
    ) as http:
        companies = http.get("/accounts/companies").json()["companies"]
        roles = http.get("/roles?type=company").json()["roles"]
    assert len({company["_id"] for company in companies}) == 3
    assert companies[0]["_id"] == AGENCYHANDY_COMPANY_ID
    assert len({entry["_id"] for entry in roles}) == 6


def test_agencyhandy_creates_clients_in_the_created_members_shape(
    agencyhandy: httpx.Client, sandbox: Sandbox
) -> None:
    response = bulk(
        agencyhandy, [member("a@example.com"), member("b@example.com", status="Active")]
    )
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Client created successfully"
    created = body["createdMembers"]
    assert [set(entry) for entry in created] == [{"_id", "name", "status", "role"}] * 2
    assert [entry["status"] for entry in created] == ["New", "Active"]
    assert {entry["name"] for entry in created} == {"Ada Lovelace"}
    assert {entry["role"] for entry in created} == {"client"}
    assert all(OBJECT_ID.fullmatch(entry["_id"]) for entry in created)
    assert [record["email"] for record in sandbox.records("agencyhandy")] == [
        "a@example.com",
        "b@example.com",
    ]


def test_agencyhandy_a_duplicate_email_fails_only_its_entry(agencyhandy: httpx.Client) -> None:
    bulk(agencyhandy, [member("taken@example.com")])
    response = bulk(
        agencyhandy,
        [
            member("new@example.com", firstName="New"),
            member("TAKEN@example.com", firstName="Taken"),
            member("new@example.com", firstName="Twice"),
            member("other@example.com", firstName="Other"),
        ],
    )
    assert response.status_code == 200
    names = [entry["name"] for entry in response.json()["createdMembers"]]
    assert names == ["New Lovelace", "Other Lovelace"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"companyid": AGENCYHANDY_COMPANY_ID}, {"COMPANYID": AGENCYHANDY_COMPANY_ID}],
    ids=["missing", "lower-case", "upper-case"],
)
def test_agencyhandy_bulk_clients_need_the_companyId_header_spelled_exactly(
    agencyhandy: httpx.Client, headers: dict[str, str]
) -> None:
    response = agencyhandy.post("/members/bulk-client", json=[member()], headers=headers)
    assert response.status_code == 401
    assert response.json()["fieldName"] == "companyId"


def test_agencyhandy_an_unknown_company_is_a_404(agencyhandy: httpx.Client) -> None:
    response = bulk(agencyhandy, [member()], companyId="0" * 24)
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"lastName": "L", "email": "a@b.co", "isConvertedClient": False}, "firstName"),
        ({"firstName": "A", "email": "a@b.co", "isConvertedClient": False}, "lastName"),
        ({"firstName": "A", "lastName": "L", "isConvertedClient": False}, "email"),
        (member("not-an-email"), "email"),
        ({"firstName": "A", "lastName": "L", "email": "a@b.co"}, "isConvertedClient"),
        (member(positionInBoard="1"), "positionInBoard"),
        (member(sendInvitationEmail="no"), "sendInvitationEmail"),
    ],
)
def test_agencyhandy_an_invalid_entry_is_a_400_naming_the_field(
    agencyhandy: httpx.Client, entry: dict[str, Any], field: str
) -> None:
    response = bulk(agencyhandy, [member("ok@example.com"), entry])
    assert response.status_code == 400
    body = response.json()
    assert set(body) == AGENCYHANDY_ERROR_KEYS
    assert body["fieldName"] == field
    assert body["status"] == 400


def test_agencyhandy_takes_at_most_200_clients_per_request(agencyhandy: httpx.Client) -> None:
    too_many = bulk(agencyhandy, [member(f"c{n}@example.com") for n in range(201)])
    just_enough = bulk(agencyhandy, [member(f"c{n}@example.com") for n in range(200)])
    assert too_many.status_code == 400
    assert just_enough.status_code == 200
    assert len(just_enough.json()["createdMembers"]) == 200


@pytest.mark.parametrize("members", [[], {"firstName": "A"}], ids=["empty", "not-an-array"])
def test_agencyhandy_bulk_clients_need_a_non_empty_array(
    agencyhandy: httpx.Client, members: Any
) -> None:
    assert bulk(agencyhandy, members).status_code == 400


def test_agencyhandy_newer_shape_lists_added_and_not_added_clients() -> None:
    sandbox = Sandbox(options={"agencyhandy": AgencyHandyOptions(response="added_clients")})
    with http_client(
        sandbox, "agencyhandy", "https://api.agencyhandy.com", **{"x-api-key": AGENCYHANDY_API_KEY}
    ) as http:
        first = bulk(http, [member("a@example.com"), member("a@example.com")])
        again = bulk(http, [member("a@example.com")])
    assert first.status_code == 201
    data = first.json()["data"]
    assert first.json()["success"] is True
    assert [entry["email"] for entry in data["addedClients"]] == ["a@example.com"]
    assert OBJECT_ID.fullmatch(data["addedClients"][0]["_id"])
    assert data["notAddedClients"] == [
        {"email": "a@example.com", "reason": "Client already exists"}
    ]
    assert again.status_code == 200
    assert again.json()["data"]["addedClients"] == []


def test_agencyhandy_creates_a_lead_with_the_outer_client_role_id(
    agencyhandy: httpx.Client, sandbox: Sandbox
) -> None:
    response = leads(agencyhandy, [member(role=AGENCYHANDY_CLIENT_ROLE_ID)])
    assert response.status_code == 200
    assert response.json()["message"] == "Lead created successfully"
    assert set(response.json()["createdMembers"][0]) == {"_id", "name", "status", "role"}
    assert sandbox.records("agencyhandy")[0]["kind"] == "lead"


def test_agencyhandy_the_inner_role_id_is_rejected(agencyhandy: httpx.Client) -> None:
    response = leads(agencyhandy, [member(role=AGENCYHANDY_INNER_CLIENT_ROLE_ID)])
    assert response.status_code == 400
    body = response.json()
    assert set(body) == AGENCYHANDY_ERROR_KEYS
    assert body["fieldName"] == "role"
    assert body["status"] == 400


def test_agencyhandy_the_lead_endpoint_wants_companyid_in_lower_case(
    agencyhandy: httpx.Client,
) -> None:
    response = leads(agencyhandy, [member(role=AGENCYHANDY_CLIENT_ROLE_ID)], header="companyId")
    assert response.status_code == 401
    assert response.json()["fieldName"] == "companyid"


def test_agencyhandy_a_lead_must_not_be_a_converted_client(agencyhandy: httpx.Client) -> None:
    entry = member(role=AGENCYHANDY_CLIENT_ROLE_ID, isConvertedClient=True)
    assert leads(agencyhandy, [entry]).json()["fieldName"] == "isConvertedClient"


def test_agencyhandy_leads_and_clients_share_the_email_space(agencyhandy: httpx.Client) -> None:
    bulk(agencyhandy, [member("ada@example.com")])
    response = leads(agencyhandy, [member("ada@example.com", role=AGENCYHANDY_CLIENT_ROLE_ID)])
    assert response.json()["createdMembers"] == []


# --------------------------------------------------------------------------- routing


def test_an_unknown_path_is_a_404_listing_the_endpoints(placio: httpx.Client) -> None:
    response = placio.post("https://placio.sandbox.invalid/v2/clients", json={})
    assert response.status_code == 404
    assert "/v1/workspace/{workspace_id}/clients" in response.json()["message"]


def test_a_wrong_method_is_a_405(placio: httpx.Client) -> None:
    assert placio.get("/clients").status_code == 405
