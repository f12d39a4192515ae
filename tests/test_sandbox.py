"""The sandbox as an in-process httpx transport, and connections that use it end to end."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import httpx
import pytest
import vcr

import clientbridge as cb
from clientbridge.registry import adapter_class
from clientbridge.sandbox import DEFAULT_CREDENTIALS, SANDBOX_SETTINGS, Sandbox, transport
from clientbridge.sandbox.emulators.agencyhandy import COMPANY_ID as AGENCYHANDY_COMPANY_ID
from clientbridge.sandbox.emulators.agencyhandy import AgencyHandyOptions
from clientbridge.sandbox.emulators.placio import TOKEN as PLACIO_TOKEN
from clientbridge.sandbox.emulators.proconvey import API_KEY as PROCONVEY_API_KEY

OBJECT_ID = re.compile(r"[0-9a-f]{24}")
SHORT_ID = re.compile(r"[0-9A-Za-z]{5}")
ADA = cb.Client(first_name="Ada", last_name="Lovelace", email="ada@example.com")


def proconvey_post(http: httpx.Client | None = None, **headers: str) -> httpx.Response:
    assert http is not None
    return http.post(
        "https://acme.proconvey.co.uk/api/v2/clients",
        json={"firstName": "Ada", "lastName": "Lovelace", "emailAddress": "ada@example.com"},
        headers={"Authorization": f"Bearer {PROCONVEY_API_KEY}", **headers},
    )


# --------------------------------------------------------------------------- the transport


def test_transport_is_an_httpx_mock_transport() -> None:
    assert isinstance(transport("placio"), httpx.MockTransport)
    assert isinstance(transport("placio", asynchronous=True), httpx.MockTransport)


def test_each_module_level_transport_has_a_fresh_sandbox() -> None:
    with httpx.Client(transport=transport("proconvey")) as first:
        assert proconvey_post(first).status_code == 201
    with httpx.Client(transport=transport("proconvey")) as second:
        assert proconvey_post(second).status_code == 201  # not a duplicate there


def test_transports_of_one_sandbox_share_its_records() -> None:
    sandbox = Sandbox()
    with httpx.Client(transport=sandbox.transport("proconvey")) as first:
        proconvey_post(first)
    with httpx.Client(transport=sandbox.transport("uk-v2")) as second:
        assert proconvey_post(second).status_code == 409
    assert len(sandbox.records("proconvey")) == 1


def test_module_level_transport_takes_sandbox_options() -> None:
    with httpx.Client(transport=transport("proconvey", credentials={"proconvey": "mine"})) as http:
        assert proconvey_post(http).status_code == 401
        assert proconvey_post(http, Authorization="Bearer mine").status_code == 201


@pytest.mark.anyio
async def test_async_transport_answers_like_the_sync_one() -> None:
    sandbox = Sandbox()
    async with httpx.AsyncClient(
        transport=sandbox.transport("proconvey", asynchronous=True)
    ) as http:
        response = await http.post(
            "https://acme.proconvey.co.uk/api/v2/clients",
            json={"firstName": "Ada", "lastName": "Lovelace", "emailAddress": "ada@example.com"},
            headers={"Authorization": f"Bearer {PROCONVEY_API_KEY}"},
        )
    assert response.status_code == 201
    assert uuid.UUID(response.json()["id"]).version == 4
    assert sandbox.created("proconvey") == 1


@pytest.mark.anyio
async def test_async_transport_awaits_latency() -> None:
    sandbox = Sandbox(latency_ms=60)
    async with httpx.AsyncClient(
        transport=sandbox.transport("roostedhr", asynchronous=True)
    ) as http:
        started = time.perf_counter()
        response = await http.get(
            "https://api.roostedhr.com/api/1_12/clients",
            headers={"X-API-KEY": DEFAULT_CREDENTIALS["roostedhr"]},
        )
    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.05


def test_an_unknown_provider_is_a_configuration_error() -> None:
    with pytest.raises(cb.ConfigurationError, match="unknown provider"):
        transport("nosuch")


def test_records_endpoint_answers_in_process() -> None:
    sandbox = Sandbox()
    with httpx.Client(transport=sandbox.transport("proconvey")) as http:
        proconvey_post(http)
        records = http.get("https://acme.proconvey.co.uk/_sandbox/records").json()
    assert records == sandbox.records("proconvey")
    assert records[0]["emailAddress"] == "ada@example.com"


def test_vcrpy_records_the_sandbox_transport_and_replays_without_it(tmp_path: Path) -> None:
    recorder = vcr.VCR(record_mode="once", filter_headers=["authorization"])
    cassette = str(tmp_path / "placio.yaml")
    with recorder.use_cassette(cassette), cb.connect("placio", sandbox=True) as conn:
        recorded = conn.create(ADA)
    sandbox = Sandbox()
    with (
        recorder.use_cassette(cassette),
        cb.connect("placio", sandbox=True, transport=sandbox.transport("placio")) as conn,
    ):
        replayed = conn.create(ADA)
    assert replayed.id == recorded.id
    assert sandbox.created("placio") == 0  # answered from the cassette
    assert PLACIO_TOKEN not in Path(cassette).read_text()


# --------------------------------------------------------------------------- the Sandbox object


def test_records_are_copies() -> None:
    sandbox = Sandbox()
    with httpx.Client(transport=sandbox.transport("proconvey")) as http:
        proconvey_post(http)
    sandbox.records("proconvey")[0]["firstName"] = "changed"
    assert sandbox.records("proconvey")[0]["firstName"] == "Ada"


def test_without_retained_records_only_a_count_is_kept() -> None:
    sandbox = Sandbox(retain_records=False)
    with httpx.Client(transport=sandbox.transport("proconvey")) as http:
        assert [proconvey_post(http).status_code for _ in range(3)] == [201, 201, 201]
    assert sandbox.records("proconvey") == []
    assert sandbox.created("proconvey") == 3


def test_a_seed_makes_record_ids_reproducible() -> None:
    def ids(seed: int) -> list[str]:
        sandbox = Sandbox(seed=seed)
        with httpx.Client(transport=sandbox.transport("roostedhr")) as http:
            return [
                http.post(
                    "https://api.roostedhr.com/api/1_12/clients",
                    json={"client_name": "Acme"},
                    headers={"X-API-KEY": DEFAULT_CREDENTIALS["roostedhr"]},
                ).json()["id"]
                for _ in range(3)
            ]

    assert ids(5) == ids(5)
    assert ids(5) != ids(6)


def test_a_credential_can_be_chosen_per_provider() -> None:
    sandbox = Sandbox(credentials={"workspace-v1": "my-token"})
    assert sandbox.credential("placio") == "my-token"
    assert sandbox.credential("roostedhr") == DEFAULT_CREDENTIALS["roostedhr"]


def test_bad_options_fail_when_the_sandbox_is_made() -> None:
    with pytest.raises(ValueError, match="response shape"):
        Sandbox(options={"agencyhandy": AgencyHandyOptions(response="newest")})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="AgencyHandyOptions"):
        Sandbox(options={"agencyhandy": {"response": "added_clients"}})
    with pytest.raises(TypeError, match="none"):
        Sandbox(options={"placio": AgencyHandyOptions()})
    with pytest.raises(ValueError, match="fail_rate"):
        Sandbox(fail_rate=2)
    with pytest.raises(cb.ConfigurationError):
        Sandbox(credentials={"nosuch": "x"})


@pytest.mark.parametrize("provider", sorted(SANDBOX_SETTINGS))
def test_the_adapters_sandbox_defaults_are_the_sandboxs_constants(provider: str) -> None:
    defaults = {
        setting.name: setting.sandbox_default
        for setting in adapter_class(provider).settings_spec
        if setting.sandbox_default is not None
    }
    assert defaults == SANDBOX_SETTINGS[provider]


# --------------------------------------------------------------------------- end to end


def test_roostedhr_sandbox_connection_creates_a_client() -> None:
    client = cb.Client(company_name="Acme Corp", name="Ada Lovelace", email="ada@example.com")
    with cb.connect("roostedhr", sandbox=True) as conn:
        result = conn.create(client)
    assert result.provider == "roostedhr"
    assert SHORT_ID.fullmatch(result.id)
    assert result.status is cb.ClientStatus.ACTIVE
    assert result.invite is cb.InviteStatus.NOT_INVITED
    assert result.client.company_name == "Acme Corp"
    assert result.client.email == "ada@example.com"


def test_roostedhr_bearer_scheme_reaches_the_sandbox() -> None:
    with cb.connect("roostedhr", sandbox=True, auth_scheme="bearer") as conn:
        assert conn.create(cb.Client(company_name="Acme")).id


def test_placio_sandbox_connection_creates_a_client() -> None:
    client = cb.Client(name="Ada Lovelace", email="ada@example.com", phone="+44 7911 123456")
    with cb.connect("placio", sandbox=True) as conn:
        result = conn.create(client)
    assert OBJECT_ID.fullmatch(result.id)
    assert result.status is cb.ClientStatus.ACTIVE
    assert result.created_at is not None
    assert result.created_at.tzinfo is not None
    assert result.client.email == "ada@example.com"
    assert result.client.phone == "+447911123456"


def test_a_sandbox_can_be_shared_with_a_connection_to_read_its_records() -> None:
    sandbox = Sandbox()
    with cb.connect("placio", sandbox=True, transport=sandbox.transport("placio")) as conn:
        result = conn.create(cb.Client(name="Ada", email="ada@example.com"))
    [record] = sandbox.records("placio")
    assert record["id"] == result.id
    assert record["workspaceId"] == SANDBOX_SETTINGS["placio"]["workspace_id"]


def test_a_wrong_credential_is_an_authentication_error() -> None:
    with (
        cb.connect("placio", sandbox=True, token="not-" + PLACIO_TOKEN) as conn,
        pytest.raises(cb.AuthenticationError),
    ):
        conn.create(ADA)


def test_a_provider_rule_surfaces_as_a_provider_validation_error() -> None:
    # extras reach the wire unchecked, so the sandbox's own rule is what answers.
    client = cb.Client(name="Ada", email="ada@example.com", extras={"placio": {"avatarUrl": "x"}})
    with (
        cb.connect("placio", sandbox=True) as conn,
        pytest.raises(cb.ProviderValidationError) as caught,
    ):
        conn.create(client)
    assert caught.value.status_code == 400


@pytest.mark.anyio
async def test_async_placio_sandbox_connection_creates_many() -> None:
    clients = [cb.Client(name=f"Client {n}", email=f"c{n}@example.com") for n in range(5)]
    async with cb.connect_async("placio", sandbox=True) as conn:
        batch = await conn.create_many(clients)
    assert batch.ok
    assert len({result.id for result in batch.succeeded}) == 5


def test_proconvey_sandbox_connection_creates_a_client_and_refuses_a_duplicate() -> None:
    client = cb.Client(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        phone="07911 123456",
        address=cb.Address(line1="1 Main St", city="London", postal_code="sw1a1aa", country="GB"),
    )
    with cb.connect("proconvey", sandbox=True) as conn:
        result = conn.create(client)
        with pytest.raises(cb.DuplicateClientError):
            conn.create(client)
    assert uuid.UUID(result.id).version == 4
    assert result.status is cb.ClientStatus.ACTIVE
    assert result.invite is cb.InviteStatus.NOT_INVITED
    assert result.client.phone == "+447911123456"
    assert result.client.address is not None
    assert result.client.address.postal_code == "SW1A 1AA"


def test_agencyhandy_sandbox_connection_looks_up_and_creates() -> None:
    sandbox = Sandbox()
    with cb.connect(
        "agencyhandy", sandbox=True, transport=sandbox.transport("agencyhandy")
    ) as conn:
        client = conn.create(ADA)
        lead = conn.create(cb.Client(first_name="Bo", last_name="Lead", email="bo@x.io", lead=True))
        batch = conn.create_many([ADA, cb.Client(first_name="Cy", last_name="L", email="cy@x.io")])
    assert OBJECT_ID.fullmatch(client.id)
    assert client.status is cb.ClientStatus.NEW
    assert lead.status is cb.ClientStatus.LEAD
    assert [type(failure.error) for failure in batch.failed] == [cb.DuplicateClientError]
    assert {record["company"] for record in sandbox.records("agencyhandy")} == {
        AGENCYHANDY_COMPANY_ID
    }


def test_agencyhandy_newer_response_shape_through_a_connection() -> None:
    sandbox = Sandbox(options={"agencyhandy": AgencyHandyOptions(response="added_clients")})
    other = cb.Client(first_name="Cy", last_name="L", email="cy@x.io")
    with cb.connect(
        "agencyhandy", sandbox=True, transport=sandbox.transport("agencyhandy")
    ) as conn:
        conn.create(ADA)
        batch = conn.create_many([ADA, other])
    assert [result.client.email for result in batch.succeeded] == ["cy@x.io"]
    assert [(failure.index, type(failure.error)) for failure in batch.failed] == [
        (0, cb.DuplicateClientError)
    ]
