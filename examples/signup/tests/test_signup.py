"""How the signup endpoint behaves, against the clientbridge sandbox (no account needed)."""

from __future__ import annotations

from flask.testing import FlaskClient

from clientbridge.testing import SandboxFixture

ADA = {
    "user_id": "u-1001",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "phone": "+44 7700 900123",
}
#: Which provider each back-office connection of clientbridge.toml is.
PROVIDERS = {"crm": "placio", "staffing": "roostedhr", "conveyancing": "proconvey"}


def test_a_new_customer_lands_in_every_back_office(
    client: FlaskClient, clientbridge_sandbox: SandboxFixture
) -> None:
    answer = client.post("/signup", json=ADA)
    assert answer.status_code == 201, answer.json
    assert sorted(answer.json["created"]) == sorted(PROVIDERS)
    for provider in PROVIDERS.values():
        (stored,) = clientbridge_sandbox.clients(provider)
        assert stored.email == "ada@example.com"


def test_an_outage_in_one_back_office_is_reported_and_the_others_keep_the_customer(
    client: FlaskClient, clientbridge_sandbox: SandboxFixture
) -> None:
    clientbridge_sandbox.inject("server_error", provider="roostedhr")
    answer = client.post("/signup", json=ADA)
    assert answer.status_code == 207
    assert answer.json["failed"] == {
        "staffing": {"error": "ProviderUnavailableError", "retry": False}
    }
    assert sorted(answer.json["created"]) == ["conveyancing", "crm"]
    assert [c.email for c in clientbridge_sandbox.clients("placio")] == ["ada@example.com"]


def test_details_no_back_office_can_take_are_refused_with_the_fields(
    client: FlaskClient, clientbridge_sandbox: SandboxFixture
) -> None:
    answer = client.post("/signup", json={**ADA, "email": "not an email"})
    assert answer.status_code == 422
    assert all("email" in failure["fields"] for failure in answer.json["failed"].values())
    assert clientbridge_sandbox.requests() == []  # nothing was sent anywhere


def test_no_credential_leaves_the_app_unredacted(
    client: FlaskClient, clientbridge_sandbox: SandboxFixture
) -> None:
    client.post("/signup", json=ADA)
    sent = clientbridge_sandbox.requests()
    assert len(sent) >= len(PROVIDERS)
    credential_headers = [
        value
        for request in sent
        for name, value in request.headers.items()
        if name.lower() in {"authorization", "x-api-key"}
    ]
    assert credential_headers
    assert set(credential_headers) == {"***"}


def test_a_retried_signup_creates_no_second_customer(
    client: FlaskClient, clientbridge_sandbox: SandboxFixture
) -> None:
    first = client.post("/signup", json=ADA)
    again = client.post("/signup", json=ADA)  # the browser, a proxy or a queue retried it
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json["created"] == first.json["created"]
    for provider in PROVIDERS.values():
        assert [c.email for c in clientbridge_sandbox.clients(provider)] == ["ada@example.com"]


def test_a_retry_after_an_outage_asks_before_sending_again(
    client: FlaskClient, clientbridge_sandbox: SandboxFixture
) -> None:
    clientbridge_sandbox.inject("server_error", provider="roostedhr")
    assert client.post("/signup", json=ADA).status_code == 207
    sent_before = len(clientbridge_sandbox.requests())
    retried = client.post("/signup", json=ADA)
    # A 500 may follow a stored record: the ledger asks RoostedHR (a read) instead of
    # creating again, and says when asking again can settle it; the other two
    # back-offices are replayed without a request.
    assert retried.status_code == 207
    assert sorted(retried.json["created"]) == ["conveyancing", "crm"]
    assert retried.json["failed"]["staffing"]["error"] == "UnknownOutcomeError"
    assert retried.json["failed"]["staffing"]["retry_after"] > 0
    assert [r.method for r in clientbridge_sandbox.requests()[sent_before:]] == ["GET"]
    for provider in ("placio", "proconvey"):
        assert len(clientbridge_sandbox.clients(provider)) == 1
