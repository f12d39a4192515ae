"""The inspector over HTTP: who may reach the server, masking everywhere, what each create
did, per back-office settings, clear-all, the windows, the push stream and the JSON API.
Servers on free loopback ports, bounded in time (the page in a browser is tested in
test_sandbox_inspector_browser.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from clientbridge.sandbox import running_server
from clientbridge.sandbox.emulators import EMULATORS
from clientbridge.sandbox.emulators.agencyhandy import COMPANY_ID
from clientbridge.sandbox.emulators.placio import WORKSPACE_ID
from clientbridge.sandbox.server import SandboxServer

TIMEOUT = 5.0
INSPECTOR = "_sandbox/inspector"


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with running_server(list(EMULATORS)) as served:
        yield served


def url(server: SandboxServer, path: str) -> str:
    return server.url + path.lstrip("/")


def credential(server: SandboxServer, provider: str) -> str:
    return server.endpoints[provider].credential


def agencyhandy(server: SandboxServer, *emails: str, **headers: str) -> httpx.Response:
    entries = [
        {"firstName": "Ada", "lastName": "Lovelace", "email": email, "isConvertedClient": False}
        for email in emails
    ]
    return httpx.post(
        url(server, "agencyhandy/members/bulk-client"),
        json=entries,
        headers={
            "x-api-key": credential(server, "agencyhandy"),
            "companyId": COMPANY_ID,
            **headers,
        },
        timeout=TIMEOUT,
    )


def placio(server: SandboxServer, body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.post(
        url(server, f"placio/v1/workspace/{WORKSPACE_ID}/clients"),
        json=body,
        headers={"Authorization": f"Bearer {credential(server, 'placio')}", **headers},
        timeout=TIMEOUT,
    )


def roostedhr(server: SandboxServer, body: dict[str, Any], **params: str) -> httpx.Response:
    return httpx.post(
        url(server, "roostedhr/api/1_12/clients"),
        json=body,
        params=params,
        headers={"X-API-KEY": credential(server, "roostedhr")},
        timeout=TIMEOUT,
    )


def api(server: SandboxServer, **params: object) -> dict[str, Any]:
    response = httpx.get(url(server, f"{INSPECTOR}/api/requests"), params=params, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    listing: dict[str, Any] = response.json()
    return listing


def post(server: SandboxServer, action: str, form: dict[str, object]) -> httpx.Response:
    return httpx.post(
        url(server, f"{INSPECTOR}/{action}"),
        data=form,
        headers={"Accept": "application/json"},
        timeout=TIMEOUT,
    )


# ------------------------------------------------------------------ only this machine

#: One request of each family the server answers: the page and its views, its actions,
#: the sandbox's own JSON (records, stats) and the emulators' APIs.
ENDPOINTS = {
    "page": ("GET", "/"),
    "state": ("GET", f"{INSPECTOR}/state"),
    "stream": ("GET", f"{INSPECTOR}/stream"),
    "static": ("GET", f"{INSPECTOR}/static/inspector.js"),
    "request-detail": ("GET", f"{INSPECTOR}/request/1"),
    "json-api": ("GET", f"{INSPECTOR}/api/requests"),
    "settings": ("POST", f"{INSPECTOR}/settings"),
    "clear": ("POST", f"{INSPECTOR}/clear"),
    "records": ("GET", "placio/_sandbox/records"),
    "stats": ("GET", "placio/_sandbox/stats"),
    "emulator-create": ("POST", f"placio/v1/workspace/{WORKSPACE_ID}/clients"),
    "emulator-look-up": ("GET", "agencyhandy/accounts/companies"),
}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_every_endpoint_refuses_a_foreign_host(server: SandboxServer, endpoint: str) -> None:
    method, path = ENDPOINTS[endpoint]
    placio(server, {"name": "Before"})  # request 1 exists, for the detail
    response = httpx.request(
        method,
        url(server, path),
        headers={
            "Host": f"rebound.example:{server.port}",
            "Authorization": f"Bearer {credential(server, 'placio')}",
            "x-api-key": credential(server, "agencyhandy"),
        },
        data={"fail_rate": "1", "confirm": "yes"} if method == "POST" else None,
        timeout=TIMEOUT,
    )
    assert response.status_code == 403, endpoint
    assert "127.0.0.1" in response.text
    assert server.sandbox.faults.fail_rate == 0
    assert len(server.site.events) == 1  # neither logged nor cleared


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "LOCALHOST"])
def test_loopback_names_are_answered(server: SandboxServer, host: str) -> None:
    response = httpx.get(
        url(server, "placio/_sandbox/stats"),
        headers={"Host": f"{host}:{server.port}"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "http://attacker.example"}, {"Sec-Fetch-Site": "cross-site"}],
    ids=["another-origin", "cross-site-fetch"],
)
def test_another_sites_page_cannot_create_through_an_emulator(
    server: SandboxServer, headers: dict[str, str]
) -> None:
    response = placio(server, {"name": "Forged"}, **headers)
    assert response.status_code == 403
    assert server.sandbox.records("placio") == []


# ------------------------------------------------------------------ masking everywhere


def test_every_credential_is_masked_wherever_a_request_carries_it(server: SandboxServer) -> None:
    secrets = [endpoint.credential for endpoint in server.endpoints.values()]
    other = credential(server, "agencyhandy")  # sent to another back-office: still masked
    roostedhr(
        server,
        {"client_name": f"Acme {other}", "client_contact_email": "acme@example.com"},
        token=other,
    )
    placio(
        server,
        {"name": credential(server, "placio"), "contactMethods": []},
        **{"X-Note": f"key={other}"},
    )
    httpx.get(
        url(server, "placio/nowhere"),
        params={"api_key": credential(server, "placio")},
        timeout=TIMEOUT,
    )
    texts = {
        "page": httpx.get(server.url, timeout=TIMEOUT).text,
        "state": httpx.get(url(server, f"{INSPECTOR}/state"), timeout=TIMEOUT).text,
        "api": json.dumps(api(server)),
        "records": httpx.get(server.endpoints["roostedhr"].records_url, timeout=TIMEOUT).text,
    }
    for number in (1, 2, 3):
        detail = httpx.get(url(server, f"{INSPECTOR}/request/{number}"), timeout=TIMEOUT)
        texts[f"detail {number}"] = detail.text
        texts[f"page with detail {number}"] = httpx.get(
            server.url, params={"event": number}, timeout=TIMEOUT
        ).text
    for where, text in texts.items():
        assert [secret for secret in secrets if secret in text] == [], where
    assert "Acme ***" in texts["records"]
    assert "token=***" in texts["api"]
    assert "X-Note: key=***" in texts["detail 2"]


# ------------------------------------------------------------------ outcome from the answer


def test_a_refused_create_answered_200_is_refused_not_ok(server: SandboxServer) -> None:
    assert agencyhandy(server, "ada@example.com").status_code == 200
    again = agencyhandy(server, "ada@example.com")
    assert again.status_code == 200
    assert again.json()["message"] == "No client was created"
    newest = api(server)["requests"][0]
    assert (newest["status"], newest["outcome"]) == (200, "refused")
    assert "Client already exists" in newest["reason"]
    clients = httpx.get(url(server, f"{INSPECTOR}/state"), timeout=TIMEOUT).json()["sections"][
        "clients"
    ]
    assert 'data-outcome="refused"' in clients
    assert ">Refused<" in clients
    assert ">200 OK<" not in clients


def test_a_partly_created_bulk_says_which_client_was_refused(server: SandboxServer) -> None:
    agencyhandy(server, "old@example.com")
    agencyhandy(server, "old@example.com", "new@example.com")
    newest = api(server)["requests"][0]
    assert newest["outcome"] == "partial"
    assert newest["refused"] == {"old@example.com": "Client already exists"}
    rows = server.site.events.clients().items
    cells = {row.key: row.cells["agencyhandy"].outcome for row in rows}
    assert cells["new@example.com"].kind == "created"
    assert cells["old@example.com"].kind == "refused"


def test_a_client_is_a_row_whatever_identifies_it(server: SandboxServer) -> None:
    roostedhr(server, {"client_name": "Acme Ltd"})  # no email: its organisation
    placio(server, {"name": "Nameless Ltd", "contactMethods": []})  # refused (422)
    server.sandbox.inject("disconnect", provider="proconvey")
    with pytest.raises(httpx.TransportError):
        httpx.post(
            url(server, "proconvey/api/v2/clients"),
            json={"firstName": "Ada", "lastName": "L", "emailAddress": "dropped@example.com"},
            headers={"Authorization": f"Bearer {credential(server, 'proconvey')}"},
            timeout=TIMEOUT,
        )
    rows = {row.key: row for row in server.site.events.clients().items}
    assert rows["org Acme Ltd"].cells["roostedhr"].outcome.kind == "created"
    refused = rows["org Nameless Ltd"].cells["placio"]
    assert (refused.event.status, refused.outcome.kind) == (422, "refused")
    assert "contact method" in refused.outcome.reason
    dropped = rows["dropped@example.com"].cells["proconvey"]
    assert (dropped.event.status, dropped.outcome.kind) == (0, "not_processed")
    page = httpx.get(server.url, timeout=TIMEOUT).text
    assert 'data-client="dropped@example.com"' in page
    assert 'data-client="org Nameless Ltd"' in page


# ------------------------------------------------------------------ controls


def test_faults_latency_and_rate_limits_apply_to_one_back_office(server: SandboxServer) -> None:
    applied = post(
        server,
        "settings",
        {
            "scope": "placio",
            "fail_rate": "1",
            "fault_kind": "server_error",
            "latency_ms": "40",
            "rate_limit": "",
        },
    )
    assert applied.status_code == 200, applied.text
    assert "Applied to Placio" in applied.json()["message"]
    assert post(server, "settings", {"scope": "roostedhr", "rate_limit": "1/h"}).status_code == 200
    assert placio(server, {"name": "Hit"}).status_code == 500
    assert agencyhandy(server, "spared@example.com").status_code == 200
    assert roostedhr(server, {"client_name": "First"}).status_code == 201
    limited = roostedhr(server, {"client_name": "Second"})
    assert limited.status_code == 429
    newest = api(server)["requests"][0]
    assert newest["outcome"] == "not_processed"
    assert ["Retry-After", limited.headers["Retry-After"]] in newest["answer_headers"]
    settings = httpx.get(url(server, f"{INSPECTOR}/state"), timeout=TIMEOUT).json()["sections"][
        "settings"
    ]
    assert "1/h" in settings
    placio_event = api(server, provider="placio")["requests"][0]
    assert placio_event["delay_ms"] == pytest.approx(40)
    # Every back-office again: what was set for one is forgotten.
    assert post(server, "settings", {"fail_rate": "0"}).status_code == 200
    assert placio(server, {"name": "Spared", "contactMethods": []}).status_code == 422
    assert server.sandbox.rate_limit_for("roostedhr") is None


def test_clear_all_resets_every_count_and_list(server: SandboxServer) -> None:
    server.sandbox.inject("server_error", provider="placio")
    placio(server, {"name": "Hit"})
    agencyhandy(server, "ada@example.com")
    stats = httpx.get(url(server, "placio/_sandbox/stats"), timeout=TIMEOUT).json()
    assert (stats["requests"], stats["faults"], stats["created"]) == (2, {"server_error": 1}, 1)
    assert post(server, "clear", {"confirm": "yes"}).status_code == 200
    stats = httpx.get(url(server, "placio/_sandbox/stats"), timeout=TIMEOUT).json()
    assert (stats["requests"], stats["faults"], stats["created"]) == (0, {}, 0)
    assert api(server)["total"] == 0
    counters = httpx.get(url(server, f"{INSPECTOR}/state"), timeout=TIMEOUT).json()["sections"][
        "counters"
    ]
    assert "server_error" not in counters
    assert "Faults injected since the start (or the last clear): none" in counters


def test_a_clear_without_scripts_asks_to_confirm(server: SandboxServer) -> None:
    placio(server, {"name": "Kept"})
    asked = httpx.post(url(server, f"{INSPECTOR}/clear"), timeout=TIMEOUT)
    assert asked.status_code == 400
    assert "name=confirm value=yes" in asked.text
    assert len(server.site.events) == 1


# ------------------------------------------------------------------ scale: windows, links, push


def test_views_are_windows_and_every_link_opens_its_request(server: SandboxServer) -> None:
    with httpx.Client(timeout=TIMEOUT) as http:
        for index in range(120):
            http.post(
                url(server, "roostedhr/api/1_12/clients"),
                json={"client_name": f"Org {index}", "client_contact_email": f"c{index}@x.example"},
                headers={"X-API-KEY": credential(server, "roostedhr")},
            )
    first = httpx.get(server.url, timeout=TIMEOUT).text
    assert first.count('<tr id="event-') == 50
    assert first.count('<tr data-client="') == 50
    assert "Page 1 of 3" in first
    third = httpx.get(server.url, params={"page": 3}, timeout=TIMEOUT).text
    assert third.count('<tr id="event-') == 20
    assert 'id="event-1"' in third
    # The oldest client's cell links to request 1, which the first page does not show.
    older = httpx.get(server.url, params={"cpage": 3}, timeout=TIMEOUT).text
    assert 'href="/?cpage=3&amp;event=1#request-detail"' in older
    opened = httpx.get(server.url, params={"event": 1}, timeout=TIMEOUT).text
    detail = opened[opened.index('id="request-detail"') :]
    assert "c0@x.example" in detail
    fragment = httpx.get(url(server, f"{INSPECTOR}/request/1"), timeout=TIMEOUT)
    assert fragment.status_code == 200
    assert "c0@x.example" in fragment.text
    assert httpx.get(url(server, f"{INSPECTOR}/request/999"), timeout=TIMEOUT).status_code == 404


def test_the_stream_pushes_a_change_when_a_request_arrives(server: SandboxServer) -> None:
    timeout = httpx.Timeout(TIMEOUT)
    with httpx.stream("GET", url(server, f"{INSPECTOR}/stream"), timeout=timeout) as stream:
        assert stream.headers["Content-Type"] == "text/event-stream"
        lines = stream.iter_lines()
        seen = []
        for line in lines:
            seen.append(line)
            if line.startswith("data: "):
                break
        first = int(seen[-1].removeprefix("data: "))
        placio(server, {"name": "Pushed"})
        for line in lines:
            if line.startswith("data: "):
                assert int(line.removeprefix("data: ")) > first
                break


# ------------------------------------------------------------------ search and the JSON API


def test_the_json_api_lists_and_filters_requests(server: SandboxServer) -> None:
    agencyhandy(server, "ada@example.com")
    agencyhandy(server, "ada@example.com")
    placio(server, {"name": "Grace", "contactMethods": []})
    roostedhr(server, {"client_name": "Acme", "client_contact_email": "grace@example.com"})
    everything = api(server)
    assert (everything["total"], everything["matching"]) == (4, 4)
    assert [item["number"] for item in everything["requests"]] == [4, 3, 2, 1]
    assert [item["number"] for item in api(server, q="GRACE@")["requests"]] == [4]
    assert [item["number"] for item in api(server, provider="agencyhandy")["requests"]] == [2, 1]
    assert [item["number"] for item in api(server, status="4xx")["requests"]] == [3]
    assert [item["number"] for item in api(server, outcome="refused")["requests"]] == [3, 2]
    assert [item["number"] for item in api(server, limit=1, offset=1)["requests"]] == [3]
    one = httpx.get(url(server, f"{INSPECTOR}/api/requests/3"), timeout=TIMEOUT).json()
    assert one["status"] == 422
    assert json.loads(one["answer_body"])["statusCode"] == 422
    bad = httpx.get(url(server, f"{INSPECTOR}/api/requests"), params={"limit": "x"})
    assert bad.status_code == 400
    page = httpx.get(server.url, params={"outcome": "refused"}, timeout=TIMEOUT).text
    assert page.count('<tr id="event-') == 2


def test_a_credential_by_its_name_and_other_emulators_credentials_are_masked() -> None:
    real = "my-real-production-key"
    with running_server("roostedhr") as single:
        others = [
            emulator.default_credential
            for name, emulator in EMULATORS.items()
            if name != "roostedhr"
        ]
        httpx.post(
            single.base_url + "/clients",
            params={"api_key": real, "note": others[0]},
            json={"client_name": " ".join(others)},
            headers={"X-API-KEY": single.credential},
            timeout=TIMEOUT,
        )
        listing = httpx.get(single.url + f"{INSPECTOR}/api/requests", timeout=TIMEOUT).text
        page = httpx.get(single.url, timeout=TIMEOUT).text
    for text in (listing, page):
        assert real not in text
        assert [secret for secret in [single.credential, *others] if secret in text] == []
    assert "api_key=***" in listing
