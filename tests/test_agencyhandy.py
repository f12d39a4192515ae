"""AgencyHandy: company and role look-ups, bulk clients, leads, result matching, errors."""

from __future__ import annotations

import itertools
import json
from typing import Any

import anyio
import attrs
import httpx
import pytest

import clientbridge as cb
from clientbridge.errors import outcome_unknown
from clientbridge.testing import AdapterConformance

from .conftest import CANARY, Recorder, respond

COMPANY = "6525994184e9ddd79853450e"
#: roles[i]._id: the client role id a lead carries
ROLE = "6525994184e9ddd798534535"
#: roles[i].role._id: the id the docs warn must not be copied
ROLE_TEMPLATE = "6525994184e9ddd79853451e"

COMPANIES = {
    "message": "Companies accosiated with API token.",
    "companies": [{"_id": COMPANY, "name": "onethread123", "logo": ""}],
}
ROLES = {
    "roles": [
        {"_id": "6525994184e9ddd798534531", "role": {"_id": "x", "name": "manager"}},
        {
            "_id": ROLE,
            "role": {"_id": ROLE_TEMPLATE, "responsibility": "", "name": "client"},
            "company": COMPANY,
            "type": "company",
        },
    ]
}

ADA = cb.Client(first_name="Ada", last_name="Lovelace", email="ada@example.com")
BOB = cb.Client(first_name="Bob", last_name="Byte", email="bob@example.com")
CY = cb.Client(first_name="Cy", last_name="Cipher", email="cy@example.com")


class FakeAgencyHandy(Recorder):
    """AgencyHandy as its seed docs show it; an email it already holds is left out."""

    def __init__(
        self, existing: tuple[str, ...] = (), companies: Any = COMPANIES, roles: Any = ROLES
    ) -> None:
        super().__init__(self.route)
        self.existing = set(existing)
        self.companies, self.roles = companies, roles
        self.ids = itertools.count(1)

    def route(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == "/accounts/companies":
            return httpx.Response(200, json=self.companies)
        if request.method == "GET" and request.url.path == "/roles":
            return httpx.Response(200, json=self.roles)
        body = json.loads(request.content)
        lead = isinstance(body, dict)
        created = []
        for member in body["members"] if lead else body:
            if member["email"] not in self.existing:
                self.existing.add(member["email"])
                created.append(
                    {
                        "_id": f"member-{next(self.ids)}",
                        "name": f"{member['firstName']} {member['lastName']}",
                        "status": member.get("status", "New"),
                        "role": "client",
                    }
                )
        message = f"{'Lead' if lead else 'Client'} created successfully"
        return httpx.Response(200, json={"message": message, "createdMembers": created})

    @property
    def calls(self) -> list[str]:
        return [f"{request.method} {request.url.path}" for request in self.requests]


def answer_create(status: int, body: Any) -> Recorder:
    """Look-ups as documented; the create answered with ``status`` and ``body``."""
    fake = FakeAgencyHandy()

    def answer(request: httpx.Request) -> httpx.Response:
        return fake.route(request) if request.method == "GET" else httpx.Response(status, json=body)

    return Recorder(answer)


def connect(recorder: Recorder, **settings: Any) -> cb.Connection:
    return cb.connect("agencyhandy", transport=recorder.transport(), api_key=CANARY, **settings)


def person(number: int) -> cb.Client:
    return cb.Client(first_name="Client", last_name=str(number), email=f"c{number}@example.com")


# --------------------------------------------------------------------------- clients


def test_a_client_is_sent_as_a_bare_array_with_the_documented_headers() -> None:
    fake = FakeAgencyHandy()
    client = cb.Client(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        phone="07911 123456",
        source="website",
    )
    with connect(fake) as conn:
        result = conn.create(client)
    assert fake.calls == ["GET /accounts/companies", "POST /members/bulk-client"]
    create = fake.requests[1]
    assert str(create.url) == "https://api.agencyhandy.com/members/bulk-client"
    assert (b"companyId", COMPANY.encode()) in create.headers.raw
    assert create.headers["x-api-key"] == CANARY
    assert create.headers["content-type"] == "application/json"
    assert fake.bodies[1] == [
        {
            "firstName": "Ada",
            "lastName": "Lovelace",
            "email": "ada@example.com",
            "isConvertedClient": False,
            "status": "New",
            "sendInvitationEmail": False,
            "contactNo": "+447911123456",
            "source": "website",
        }
    ]
    assert (result.provider, result.id) == ("agencyhandy", "member-1")
    assert (result.status, result.provider_status, result.invite) == (
        cb.ClientStatus.NEW,
        "New",
        None,
    )
    assert result.dropped_fields == ()
    assert result.warnings == ()


def test_the_result_client_is_what_was_sent_as_the_provider_stored_it() -> None:
    fake = FakeAgencyHandy()
    client = cb.Client(name="Ada Lovelace", email="ada@example.com", phone="+44 7911 123456")
    with connect(fake) as conn:
        result = conn.create(client)
    assert result.client == cb.Client(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        phone="+447911123456",
    )
    assert result.raw == {
        "_id": "member-1",
        "name": "Ada Lovelace",
        "status": "New",
        "role": "client",
    }


def test_a_name_the_provider_changed_is_split_back_into_first_and_last() -> None:
    member = {"_id": "m1", "name": "Ada Byron", "status": "New", "role": "client"}
    recorder = answer_create(200, {"message": "ok", "createdMembers": [member]})
    with connect(recorder) as conn:
        result = conn.create(ADA)
    assert (result.client.first_name, result.client.last_name) == ("Ada", "Byron")
    assert result.client.email == "ada@example.com"


def test_the_company_id_is_looked_up_once_per_connection() -> None:
    fake = FakeAgencyHandy()
    with connect(fake) as conn:
        conn.create(ADA)
        conn.create(BOB)
    assert fake.calls.count("GET /accounts/companies") == 1
    assert conn.adapter.cache == {"company_id": COMPANY}


def test_a_configured_company_id_is_not_looked_up() -> None:
    fake = FakeAgencyHandy()
    with connect(fake, company_id="configured") as conn:
        conn.create(ADA)
    assert fake.calls == ["POST /members/bulk-client"]
    assert fake.requests[0].headers["companyid"] == "configured"


def test_several_companies_without_a_configured_id_are_listed_in_a_configuration_error() -> None:
    companies = {"companies": [{"_id": "c1", "name": "North"}, {"_id": "c2", "name": "South"}]}
    fake = FakeAgencyHandy(companies=companies)
    with connect(fake) as conn, pytest.raises(cb.ConfigurationError) as caught:
        conn.create(ADA)
    assert "c1 (North)" in str(caught.value)
    assert "c2 (South)" in str(caught.value)
    assert "company_id" in str(caught.value)
    assert fake.calls == ["GET /accounts/companies"]


def test_a_key_without_a_company_is_a_configuration_error() -> None:
    fake = FakeAgencyHandy(companies={"message": "none", "companies": []})
    with connect(fake) as conn, pytest.raises(cb.ConfigurationError, match="no company"):
        conn.create(ADA)
    assert fake.calls == ["GET /accounts/companies"]


def test_send_invitation_email_and_client_status_come_from_the_settings() -> None:
    fake = FakeAgencyHandy()
    with connect(fake, send_invitation_email="true", client_status="Active") as conn:
        result = conn.create(ADA)
    assert fake.bodies[1][0]["sendInvitationEmail"] is True
    assert fake.bodies[1][0]["status"] == "Active"
    assert result.status is cb.ClientStatus.ACTIVE


def test_client_status_must_be_new_or_active() -> None:
    with pytest.raises(cb.ConfigurationError, match="client_status"):
        cb.connect("agencyhandy", api_key=CANARY, client_status="Closed")


def test_a_name_is_split_at_its_last_space_with_a_warning() -> None:
    fake = FakeAgencyHandy()
    with connect(fake) as conn:
        result = conn.create(cb.Client(name="Ada King Lovelace", email="ada@example.com"))
    member = fake.bodies[1][0]
    assert (member["firstName"], member["lastName"]) == ("Ada King", "Lovelace")
    assert len(result.warnings) == 1
    assert "split" in result.warnings[0]
    assert result.dropped_fields == ()


def test_a_missing_last_name_is_taken_from_the_name() -> None:
    fake = FakeAgencyHandy()
    with connect(fake) as conn:
        result = conn.create(
            cb.Client(first_name="Ada", name="Ada Lovelace", email="a@example.com")
        )
    assert (fake.bodies[1][0]["firstName"], fake.bodies[1][0]["lastName"]) == ("Ada", "Lovelace")
    assert len(result.warnings) == 1


def test_a_display_name_beside_first_and_last_is_dropped_with_a_warning_saying_why() -> None:
    fake = FakeAgencyHandy()
    client = cb.Client(
        first_name="Ada", last_name="Lovelace", name="Countess of Lovelace", email="a@example.com"
    )
    with connect(fake) as conn:
        result = conn.create(client)
    assert (fake.bodies[1][0]["firstName"], fake.bodies[1][0]["lastName"]) == ("Ada", "Lovelace")
    assert result.dropped_fields == ("name",)
    assert result.warnings == (
        "name was not sent: agencyhandy stores first_name and last_name, which were given",
    )


def test_a_single_word_name_cannot_give_a_last_name() -> None:
    fake = FakeAgencyHandy()
    with connect(fake) as conn, pytest.raises(cb.ValidationError) as caught:
        conn.create(cb.Client(name="Cher", email="cher@example.com"))
    assert [error.field for error in caught.value.errors] == ["last_name"]
    assert fake.requests == []


@pytest.mark.parametrize(
    ("client", "fields"),
    [
        (cb.Client(first_name="Ada", last_name="Lovelace"), ["email"]),
        (cb.Client(first_name="Ada", last_name="Lovelace", email="nope"), ["email"]),
        (cb.Client(email="ada@example.com"), ["first_name", "last_name"]),
        (cb.Client(first_name="Ada", last_name="L", email="a@example.com", phone="12"), ["phone"]),
        (
            cb.Client(
                first_name="Ada",
                last_name="L",
                email="a@example.com",
                contact_methods=(cb.ContactMethod(kind="whatsapp", value="12"),),
            ),
            ["contact_methods[0]"],
        ),
    ],
)
def test_local_validation_names_the_neutral_fields(client: cb.Client, fields: list[str]) -> None:
    fake = FakeAgencyHandy()
    with connect(fake) as conn, pytest.raises(cb.ValidationError) as caught:
        conn.create(client)
    assert [error.field for error in caught.value.errors] == fields
    assert fake.requests == []


def test_the_first_phone_or_whatsapp_contact_method_supplies_contact_no() -> None:
    fake = FakeAgencyHandy()
    methods = (
        cb.ContactMethod(kind=cb.ContactKind.FAX, value="+44 20 7946 0001"),
        cb.ContactMethod(kind=cb.ContactKind.WHATSAPP, value="07911 123456"),
        cb.ContactMethod(kind=cb.ContactKind.PHONE, value="+44 20 7946 0000"),
    )
    with connect(fake) as conn:
        result = conn.create(
            cb.Client(first_name="A", last_name="B", email="a@example.com", contact_methods=methods)
        )
    assert fake.bodies[1][0]["contactNo"] == "+447911123456"
    assert result.dropped_fields == ("contact_methods",)
    assert result.warnings == ("contact_methods is not supported by agencyhandy and was not sent",)


def test_contact_methods_whose_every_entry_reached_the_wire_are_not_dropped() -> None:
    fake = FakeAgencyHandy()
    whatsapp = cb.ContactMethod(kind=cb.ContactKind.WHATSAPP, value="+447911123456")
    with connect(fake) as conn:
        result = conn.create(
            cb.Client(
                first_name="A", last_name="B", email="a@example.com", contact_methods=(whatsapp,)
            )
        )
    assert fake.bodies[1][0]["contactNo"] == "+447911123456"
    assert result.dropped_fields == ()


def test_phone_wins_over_contact_methods() -> None:
    fake = FakeAgencyHandy()
    other = cb.ContactMethod(kind=cb.ContactKind.PHONE, value="+44 20 7946 0000")
    with connect(fake) as conn:
        result = conn.create(
            cb.Client(
                first_name="A",
                last_name="B",
                email="a@example.com",
                phone="07911 123456",
                contact_methods=(other,),
            )
        )
    assert fake.bodies[1][0]["contactNo"] == "+447911123456"
    assert result.dropped_fields == ("contact_methods",)


def test_fields_agencyhandy_lacks_are_dropped_with_one_warning_each() -> None:
    fake = FakeAgencyHandy()
    client = cb.Client(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        company_name="Analytical Engines Ltd",
        title="Dr",
        address=cb.Address(line1="1 Main St", city="London"),
        avatar_url="https://example.com/ada.png",
        custom_fields={"tier": "gold"},
    )
    with connect(fake) as conn:
        result = conn.create(client)
    dropped = ("company_name", "title", "address", "avatar_url", "custom_fields")
    assert result.dropped_fields == dropped
    assert result.warnings == tuple(
        f"{field} is not supported by agencyhandy and was not sent" for field in dropped
    )
    assert set(fake.bodies[1][0]) == {
        "firstName",
        "lastName",
        "email",
        "isConvertedClient",
        "status",
        "sendInvitationEmail",
    }


def test_extras_merge_into_the_member_object() -> None:
    fake = FakeAgencyHandy()
    client = cb.Client(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        extras={"agencyhandy": {"positionInBoard": 3}},
    )
    with connect(fake) as conn:
        conn.create(client)
    assert fake.bodies[1][0]["positionInBoard"] == 3


# --------------------------------------------------------------------------- leads


def test_a_lead_carries_the_outer_client_role_id_to_the_company_endpoint() -> None:
    fake = FakeAgencyHandy()
    with connect(fake) as conn:
        result = conn.create(
            cb.Client(first_name="Ada", last_name="L", email="a@example.com", lead=True)
        )
    assert fake.calls == [
        "GET /accounts/companies",
        "GET /roles",
        f"POST /company/{COMPANY}/members/bulk-client",
    ]
    assert fake.requests[1].url.params["type"] == "company"
    create = fake.requests[2]
    assert (b"companyid", COMPANY.encode()) in create.headers.raw
    assert fake.bodies[2] == {
        "members": [
            {
                "firstName": "Ada",
                "lastName": "L",
                "email": "a@example.com",
                "isConvertedClient": False,
                "status": "New",
                "sendInvitationEmail": False,
                "role": ROLE,
            }
        ]
    }
    assert ROLE_TEMPLATE.encode() not in create.content
    assert result.status is cb.ClientStatus.LEAD
    assert result.provider_status == "New"
    assert result.client.lead is True
    assert result.dropped_fields == ()


def test_the_client_role_id_is_looked_up_once_per_connection() -> None:
    fake = FakeAgencyHandy()
    with connect(fake) as conn:
        conn.create(cb.Client(first_name="A", last_name="B", email="a@example.com", lead=True))
        conn.create(cb.Client(first_name="C", last_name="D", email="c@example.com", lead=True))
    assert fake.calls.count("GET /roles") == 1


def test_without_a_client_role_a_lead_is_an_unexpected_response() -> None:
    roles = {"roles": [{"_id": "r1", "role": {"_id": "r0", "name": "manager"}}]}
    fake = FakeAgencyHandy(roles=roles)
    with connect(fake) as conn, pytest.raises(cb.UnexpectedResponseError) as caught:
        conn.create(cb.Client(first_name="A", last_name="B", email="a@example.com", lead=True))
    assert 'role.name is "client"' in str(caught.value)
    assert "Nothing was created" in str(caught.value)
    assert not caught.value.maybe_created
    assert not outcome_unknown(caught.value)
    assert fake.calls == ["GET /accounts/companies", "GET /roles"]


def test_create_many_sends_clients_and_leads_in_separate_requests() -> None:
    fake = FakeAgencyHandy()
    lead = cb.Client(first_name="Lee", last_name="Lead", email="lee@example.com", lead=True)
    with connect(fake) as conn:
        batch = conn.create_many([ADA, lead, BOB])
    assert fake.calls == [
        "GET /accounts/companies",
        "POST /members/bulk-client",
        "GET /roles",
        f"POST /company/{COMPANY}/members/bulk-client",
    ]
    assert [member["email"] for member in fake.bodies[1]] == ["ada@example.com", "bob@example.com"]
    assert batch.ok
    assert [result.status for result in batch.succeeded] == [
        cb.ClientStatus.NEW,
        cb.ClientStatus.LEAD,
        cb.ClientStatus.NEW,
    ]


def test_create_many_sends_at_most_200_clients_per_request() -> None:
    fake = FakeAgencyHandy()
    with connect(fake) as conn:
        batch = conn.create_many([person(number) for number in range(450)])
    assert fake.calls.count("GET /accounts/companies") == 1
    assert [len(body) for body in fake.bodies[1:]] == [200, 200, 50]
    assert batch.ok
    assert len(batch.succeeded) == 450
    assert batch.succeeded[449].client.email == "c449@example.com"


@pytest.mark.anyio
async def test_async_create_many_looks_up_once_and_sends_three_requests() -> None:
    fake = FakeAgencyHandy()
    async with cb.connect_async("agencyhandy", transport=fake.transport(), api_key=CANARY) as conn:
        batch = await conn.create_many([person(number) for number in range(450)])
    assert fake.calls.count("GET /accounts/companies") == 1
    assert sorted(len(body) for body in fake.bodies[1:]) == [50, 200, 200]
    assert batch.ok
    assert [result.client.email for result in batch.succeeded[:2]] == [
        "c0@example.com",
        "c1@example.com",
    ]


def slowly(handler: Any) -> httpx.MockTransport:
    """``handler`` behind a short wait, so concurrent requests really overlap."""

    async def answer(request: httpx.Request) -> httpx.Response:
        await anyio.sleep(0.01)
        return handler(request)  # type: ignore[no-any-return]

    return httpx.MockTransport(answer)


@pytest.mark.anyio
async def test_concurrent_creates_look_up_each_id_once() -> None:
    fake = FakeAgencyHandy()
    people = [person(number) for number in range(6)]
    leads = [attrs.evolve(person(number), lead=True) for number in range(6, 12)]
    async with cb.connect_async("agencyhandy", transport=slowly(fake), api_key=CANARY) as conn:
        async with anyio.create_task_group() as tasks:
            for client in people + leads:
                tasks.start_soon(conn.create, client)
            tasks.start_soon(conn.create_many, [person(number) for number in range(12, 20)])
    assert fake.calls.count("GET /accounts/companies") == 1
    assert fake.calls.count("GET /roles") == 1
    assert len(fake.existing) == 20


@pytest.mark.anyio
async def test_concurrent_creates_whose_look_up_fails_go_ahead_together() -> None:
    recorder = Recorder(respond(401, {"message": "Invalid API key"}))
    failures: list[BaseException] = []
    in_flight = most_in_flight = 0

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most_in_flight
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        await anyio.sleep(0.01)
        in_flight -= 1
        return recorder(request)

    async def create(conn: cb.AsyncConnection, client: cb.Client) -> None:
        try:
            await conn.create(client)
        except cb.AuthenticationError as error:
            failures.append(error)

    with anyio.fail_after(10):
        transport = httpx.MockTransport(answer)
        async with cb.connect_async("agencyhandy", transport=transport, api_key=CANARY) as conn:
            async with anyio.create_task_group() as tasks:
                for number in range(4):
                    tasks.start_soon(create, conn, person(number))
    assert len(failures) == 4
    # A failed look-up is not kept: the first create asked alone, the three that waited
    # for it then asked at the same time (not one after another).
    assert [request.url.path for request in recorder.requests] == ["/accounts/companies"] * 4
    assert most_in_flight == 3


@pytest.mark.anyio
async def test_async_lead_create() -> None:
    fake = FakeAgencyHandy()
    async with cb.connect_async("agencyhandy", transport=fake.transport(), api_key=CANARY) as conn:
        result = await conn.create(
            cb.Client(first_name="A", last_name="B", email="a@example.com", lead=True)
        )
    assert result.status is cb.ClientStatus.LEAD
    assert fake.bodies[2]["members"][0]["role"] == ROLE


# --------------------------------------------------------------------------- answers


def test_the_newer_shape_is_matched_by_email_whatever_the_order() -> None:
    added = [
        {"_id": "id-bob", "email": "bob@example.com", "name": "Bob Byte", "status": "New"},
        {"_id": "id-ada", "email": "ada@example.com", "name": "Ada Lovelace", "status": "New"},
    ]
    body = {"success": True, "data": {"addedClients": added, "notAddedClients": []}}
    with connect(answer_create(201, body)) as conn:
        batch = conn.create_many([ADA, BOB])
    assert [(result.id, result.client.email) for result in batch.succeeded] == [
        ("id-ada", "ada@example.com"),
        ("id-bob", "bob@example.com"),
    ]


def test_the_newer_shape_reports_each_client_it_did_not_add() -> None:
    added = [{"_id": "id-ada", "email": "ada@example.com", "name": "Ada Lovelace"}]
    not_added = [
        {"email": "bob@example.com", "reason": "Client already exists"},
        {"email": "cy@example.com", "reason": "Email domain is blocked"},
    ]
    body = {"success": True, "data": {"addedClients": added, "notAddedClients": not_added}}
    with connect(answer_create(201, body)) as conn:
        batch = conn.create_many([ADA, BOB, CY])
    assert [result.id for result in batch.succeeded] == ["id-ada"]
    assert [failure.index for failure in batch.failed] == [1, 2]
    assert isinstance(batch.failed[0].error, cb.DuplicateClientError)
    assert isinstance(batch.failed[1].error, cb.ProviderValidationError)
    assert "Email domain is blocked" in str(batch.failed[1].error)


def test_a_single_skipped_client_raises_duplicate_from_create() -> None:
    not_added = [{"email": "ada@example.com", "reason": "Client already exists"}]
    body = {"success": True, "data": {"addedClients": [], "notAddedClients": not_added}}
    with connect(answer_create(200, body)) as conn, pytest.raises(cb.DuplicateClientError):
        conn.create(ADA)


def test_a_member_missing_from_the_seed_shape_is_a_duplicate_the_provider_did_not_explain() -> None:
    fake = FakeAgencyHandy(existing=("bob@example.com",))
    with connect(fake) as conn:
        batch = conn.create_many([ADA, BOB, CY])
    assert [result.client.email for result in batch.succeeded] == [
        "ada@example.com",
        "cy@example.com",
    ]
    assert [failure.index for failure in batch.failed] == [1]
    error = batch.failed[0].error
    assert isinstance(error, cb.DuplicateClientError)
    assert "did not say why" in str(error)


def test_same_names_that_cannot_be_told_apart_are_never_guessed() -> None:
    twin_a = cb.Client(first_name="John", last_name="Doe", email="john.a@example.com")
    twin_b = cb.Client(first_name="John", last_name="Doe", email="john.b@example.com")
    fake = FakeAgencyHandy(existing=("john.b@example.com",))
    with connect(fake) as conn:
        batch = conn.create_many([ADA, twin_a, twin_b])
    assert [result.client.email for result in batch.succeeded] == ["ada@example.com"]
    assert [failure.index for failure in batch.failed] == [1, 2]
    for failure in batch.failed:
        assert isinstance(failure.error, cb.UnexpectedResponseError)
        assert "may have been created" in str(failure.error)
        assert outcome_unknown(failure.error)


def test_same_names_are_matched_by_position_when_every_client_was_created() -> None:
    twin_a = cb.Client(first_name="John", last_name="Doe", email="john.a@example.com")
    twin_b = cb.Client(first_name="John", last_name="Doe", email="john.b@example.com")
    fake = FakeAgencyHandy()
    with connect(fake) as conn:
        batch = conn.create_many([twin_a, twin_b])
    assert [(result.id, result.client.email) for result in batch.succeeded] == [
        ("member-1", "john.a@example.com"),
        ("member-2", "john.b@example.com"),
    ]


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("New", cb.ClientStatus.NEW),
        ("Active", cb.ClientStatus.ACTIVE),
        ("Client", cb.ClientStatus.ACTIVE),
        ("Archived", cb.ClientStatus.UNKNOWN),
    ],
)
def test_status_words_are_normalised(word: str, status: cb.ClientStatus) -> None:
    member = {"_id": "m1", "name": "Ada Lovelace", "status": word, "role": "client"}
    with connect(answer_create(201, {"createdMembers": [member]})) as conn:
        result = conn.create(ADA)
    assert (result.status, result.provider_status, result.invite) == (status, word, None)


@pytest.mark.parametrize(
    "body",
    [
        {"message": "Client created successfully"},
        {"createdMembers": "m1"},
        {"createdMembers": [{"name": "Ada Lovelace", "status": "New"}]},
    ],
)
def test_an_answer_without_created_members_or_ids_is_unexpected(body: Any) -> None:
    with connect(answer_create(201, body)) as conn:
        with pytest.raises(cb.UnexpectedResponseError, match="may have been created"):
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
    status: int, error: type[cb.ProviderError], no_sleep: list[float]
) -> None:
    body = {"type": "Error", "status": status, "message": f"refused, {CANARY}"}
    recorder = Recorder(respond(status, body))
    with connect(recorder, company_id=COMPANY, max_retries=0) as conn:
        with pytest.raises(error) as caught:
            conn.create(ADA)
    assert caught.value.status_code == status
    assert caught.value.provider == "agencyhandy"
    assert CANARY not in str(caught.value)
    assert CANARY not in repr(caught.value.body)


def test_the_newer_error_body_names_the_neutral_field() -> None:
    body = {
        "type": "ValidationError",
        "status": 400,
        "message": "firstName should not be empty",
        "fieldName": "firstName",
    }
    with connect(Recorder(respond(400, body)), company_id=COMPANY) as conn:
        with pytest.raises(cb.ProviderValidationError) as caught:
            conn.create(ADA)
    assert caught.value.errors == (cb.FieldError("first_name", "firstName should not be empty"),)


def test_already_exists_in_an_error_message_is_a_duplicate() -> None:
    body = {"type": "ValidationError", "status": 400, "message": "Client already exists"}
    with connect(Recorder(respond(400, body)), company_id=COMPANY) as conn:
        with pytest.raises(cb.DuplicateClientError) as caught:
            conn.create(ADA)
    assert caught.value.status_code == 400


def test_a_refused_look_up_raises_its_mapped_error_and_creates_nothing() -> None:
    recorder = Recorder(respond(401, {"message": "Invalid API key"}))
    with connect(recorder) as conn, pytest.raises(cb.AuthenticationError):
        conn.create(ADA)
    assert [request.method for request in recorder.requests] == ["GET"]


# --------------------------------------------------------------------------- preview


def test_preview_shows_placeholders_for_ids_not_yet_looked_up() -> None:
    fake = FakeAgencyHandy()
    lead = cb.Client(first_name="A", last_name="B", email="a@example.com", lead=True)
    with connect(fake) as conn:
        client_plan = conn.preview(ADA)
        lead_plan = conn.preview(lead)
    assert fake.requests == []
    assert [(request.method, request.url) for request in client_plan] == [
        ("GET", "https://api.agencyhandy.com/accounts/companies"),
        ("POST", "https://api.agencyhandy.com/members/bulk-client"),
    ]
    assert client_plan[1].headers["companyId"] == "{company_id}"
    assert client_plan[1].headers["x-api-key"] == "***"
    assert [request.url for request in lead_plan] == [
        "https://api.agencyhandy.com/accounts/companies",
        "https://api.agencyhandy.com/roles?type=company",
        "https://api.agencyhandy.com/company/{company_id}/members/bulk-client",
    ]
    assert lead_plan[2].json["members"][0]["role"] == "{client_role_id}"
    assert CANARY not in repr([*client_plan, *lead_plan])


def test_preview_shows_the_real_ids_once_they_are_cached() -> None:
    fake = FakeAgencyHandy()
    lead = cb.Client(first_name="A", last_name="B", email="a@example.com", lead=True)
    with connect(fake) as conn:
        conn.create(lead)
        plan = conn.preview(lead)
    assert [request.url for request in plan] == [
        f"https://api.agencyhandy.com/company/{COMPANY}/members/bulk-client"
    ]
    assert plan[0].headers["companyid"] == COMPANY
    assert plan[0].json["members"][0]["role"] == ROLE


# --------------------------------------------------------------------------- conformance


class TestAgencyHandyConformance(AdapterConformance):
    provider = "agencyhandy"
    minimal_client = ADA

    def answer(self, request: httpx.Request) -> httpx.Response:
        return FakeAgencyHandy().route(request)


# --------------------------------------------------------------------------- repeated emails


def test_two_inputs_with_the_same_email_are_never_sent_together() -> None:
    sandbox = cb.sandbox.transport("agencyhandy")
    sent: list[list[str]] = []

    def record(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            sent.append([member["email"] for member in json.loads(request.content)])
        return sandbox.handle_request(request)

    clients = [
        cb.Client(first_name="Ada", last_name="One", email="ada@example.com"),
        cb.Client(first_name="Bob", last_name="Two", email="bob@example.com"),
        cb.Client(first_name="Ada", last_name="Again", email="ADA@example.com"),
    ]
    with cb.connect("agencyhandy", sandbox=True, transport=httpx.MockTransport(record)) as conn:
        batch = conn.create_many(clients)
    assert sent == [["ada@example.com", "bob@example.com"]]
    assert batch.succeeded_indices == (0, 1)
    [failure] = batch.failed
    assert failure.index == 2
    assert isinstance(failure.error, cb.DuplicateClientError)
    assert "repeats the email of client 0" in str(failure.error)


def test_a_repeated_email_is_held_back_across_chunks_too() -> None:
    clients = [
        cb.Client(first_name="P", last_name=str(n), email=f"p{n}@example.com") for n in range(200)
    ]
    clients.append(cb.Client(first_name="P", last_name="again", email="p0@example.com"))
    with cb.connect("agencyhandy", sandbox=True) as conn:
        batch = conn.create_many(clients)
    assert len(batch.succeeded) == 200
    assert [failure.index for failure in batch.failed] == [200]
    assert isinstance(batch.failed[0].error, cb.DuplicateClientError)
