"""Sandbox fault injection: each kind, on demand and by seeded rate, creates only by default."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

import clientbridge as cb
from clientbridge.sandbox import FAULT_KINDS, RATE_FAULT_KINDS, Sandbox
from clientbridge.sandbox.emulators.agencyhandy import API_KEY as AGENCYHANDY_API_KEY
from clientbridge.sandbox.emulators.roostedhr import API_KEY as ROOSTEDHR_API_KEY

ROOSTEDHR = "https://api.roostedhr.com/api/1_12"
ACME = cb.Client(company_name="Acme")


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox()


@pytest.fixture
def http(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=sandbox.transport("roostedhr"),
        base_url=ROOSTEDHR,
        headers={"X-API-KEY": ROOSTEDHR_API_KEY},
    ) as client:
        yield client


def create(http: httpx.Client) -> httpx.Response:
    return http.post("/clients", json={"client_name": "Acme"})


# --------------------------------------------------------------------------- each kind


def test_rate_limited_is_a_429_with_retry_after(sandbox: Sandbox, http: httpx.Client) -> None:
    sandbox.inject("rate_limited", retry_after=7)
    response = create(http)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert sandbox.records("roostedhr") == []


@pytest.mark.parametrize(
    ("kind", "status"), [("server_error", 500), ("bad_gateway", 502), ("unavailable", 503)]
)
def test_server_errors_before_processing_create_nothing(
    sandbox: Sandbox, http: httpx.Client, kind: str, status: int
) -> None:
    sandbox.inject(kind)
    assert create(http).status_code == status
    assert sandbox.created("roostedhr") == 0
    assert create(http).status_code == 201  # one call only


def test_unavailable_announces_retry_after(sandbox: Sandbox, http: httpx.Client) -> None:
    sandbox.inject("unavailable", retry_after=0.5)
    assert create(http).headers["Retry-After"] == "0.5"


def test_bad_gateway_answers_html_like_a_proxy(sandbox: Sandbox, http: httpx.Client) -> None:
    sandbox.inject("bad_gateway")
    response = create(http)
    assert response.headers["Content-Type"] == "text/html"
    assert b"502 Bad Gateway" in response.content


def test_latency_delays_a_normal_answer(sandbox: Sandbox, http: httpx.Client) -> None:
    sandbox.inject("latency", latency_ms=60)
    started = time.perf_counter()
    response = create(http)
    assert time.perf_counter() - started >= 0.05
    assert response.status_code == 201


def test_disconnect_in_process_is_a_connect_error_and_creates_nothing(
    sandbox: Sandbox, http: httpx.Client
) -> None:
    sandbox.inject("disconnect")
    with pytest.raises(httpx.ConnectError):
        create(http)
    assert sandbox.created("roostedhr") == 0


def test_error_after_create_is_a_500_with_the_record_created(
    sandbox: Sandbox, http: httpx.Client
) -> None:
    sandbox.inject("error_after_create")
    assert create(http).status_code == 500
    assert len(sandbox.records("roostedhr")) == 1


def test_malformed_json_keeps_the_status_and_the_record(
    sandbox: Sandbox, http: httpx.Client
) -> None:
    sandbox.inject("malformed_json")
    response = create(http)
    assert response.status_code == 201
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert len(sandbox.records("roostedhr")) == 1


# --------------------------------------------------------------------------- through a connection


def connect(sandbox: Sandbox, **options: object) -> cb.Connection:
    return cb.connect(
        "roostedhr", sandbox=True, transport=sandbox.transport("roostedhr"), **options
    )


def test_a_429_is_retried_after_the_announced_delay(
    sandbox: Sandbox, no_sleep: list[float]
) -> None:
    sandbox.inject("rate_limited", retry_after=3)
    with connect(sandbox) as conn:
        assert conn.create(ACME).id
    assert no_sleep == [3.0]
    assert sandbox.created("roostedhr") == 1


@pytest.mark.usefixtures("no_sleep")
def test_a_dropped_connection_in_process_is_retried_as_not_sent(sandbox: Sandbox) -> None:
    sandbox.inject("disconnect")
    with connect(sandbox) as conn:
        assert conn.create(ACME).id
    assert sandbox.injected["disconnect"] == 1
    assert sandbox.created("roostedhr") == 1


@pytest.mark.usefixtures("no_sleep")
def test_dropped_connections_past_the_retries_say_nothing_was_sent(sandbox: Sandbox) -> None:
    sandbox.inject("disconnect", count=3)
    with connect(sandbox, max_retries=2) as conn, pytest.raises(cb.TransportError) as caught:
        conn.create(ACME)
    assert caught.value.maybe_sent is False


def test_a_500_after_create_is_not_retried_and_the_record_exists(sandbox: Sandbox) -> None:
    sandbox.inject("error_after_create")
    with connect(sandbox) as conn, pytest.raises(cb.ProviderUnavailableError) as caught:
        conn.create(ACME)
    assert caught.value.status_code == 500
    assert sandbox.created("roostedhr") == 1


def test_malformed_json_is_an_unexpected_response(sandbox: Sandbox) -> None:
    sandbox.inject("malformed_json")
    with connect(sandbox) as conn, pytest.raises(cb.UnexpectedResponseError):
        conn.create(ACME)


# --------------------------------------------------------------------------- on demand


def test_inject_hits_the_next_count_calls_then_stops(sandbox: Sandbox, http: httpx.Client) -> None:
    sandbox.inject("server_error", count=2)
    sandbox.inject("rate_limited")
    assert sandbox.faults.pending == 3
    assert [create(http).status_code for _ in range(4)] == [500, 500, 429, 201]
    assert sandbox.injected == {"server_error": 2, "rate_limited": 1}
    assert sandbox.faults.pending == 0


def test_faults_spare_look_ups_by_default(sandbox: Sandbox, http: httpx.Client) -> None:
    sandbox.inject("server_error")
    assert http.get("/clients").status_code == 200
    assert sandbox.faults.pending == 1
    assert create(http).status_code == 500


def test_a_fault_can_be_aimed_at_look_ups() -> None:
    sandbox = Sandbox()
    sandbox.inject("server_error", include_lookups=True)
    with httpx.Client(transport=sandbox.transport("agencyhandy")) as http:
        response = http.get(
            "https://api.agencyhandy.com/accounts/companies",
            headers={"x-api-key": AGENCYHANDY_API_KEY},
        )
    assert response.status_code == 500


def test_a_fault_can_be_aimed_at_one_provider(sandbox: Sandbox, http: httpx.Client) -> None:
    sandbox.inject("server_error", provider="placio")
    assert create(http).status_code == 201
    assert sandbox.faults.pending == 1


def test_clear_forgets_queued_faults(sandbox: Sandbox, http: httpx.Client) -> None:
    sandbox.inject("server_error", count=5)
    sandbox.faults.clear()
    assert create(http).status_code == 201


@pytest.mark.parametrize(
    ("kind", "count", "complaint"),
    [("meteor", 1, "unknown fault kind"), ("server_error", 0, "count")],
    ids=["unknown-kind", "zero-count"],
)
def test_inject_refuses_nonsense(sandbox: Sandbox, kind: str, count: int, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        sandbox.inject(kind, count)


def test_the_kinds_are_listed() -> None:
    assert set(RATE_FAULT_KINDS) == set(FAULT_KINDS) - {"latency"}


@pytest.mark.parametrize(
    ("alias", "status"), [("429", 429), ("503", 503), ("500-after-create", 500), ("502", 502)]
)
def test_short_aliases_name_the_kinds(
    sandbox: Sandbox, http: httpx.Client, alias: str, status: int
) -> None:
    sandbox.inject(alias)
    assert create(http).status_code == status


def test_the_rate_accepts_aliases() -> None:
    sandbox = Sandbox(seed=1, fail_rate=1.0, fault_kinds=["drop"])
    assert set(statuses(sandbox, 3)) == {"dropped"}
    assert sandbox.injected == {"disconnect": 3}


# --------------------------------------------------------------------------- by rate


def statuses(sandbox: Sandbox, calls: int) -> list[int | str]:
    outcomes: list[int | str] = []
    with httpx.Client(
        transport=sandbox.transport("roostedhr"),
        base_url=ROOSTEDHR,
        headers={"X-API-KEY": ROOSTEDHR_API_KEY},
    ) as http:
        for _ in range(calls):
            try:
                response = create(http)
            except httpx.ConnectError:
                outcomes.append("dropped")
                continue
            try:
                response.json()
            except ValueError:
                outcomes.append(f"{response.status_code}-malformed")
                continue
            outcomes.append(response.status_code)
    return outcomes


def test_a_seeded_rate_is_reproducible() -> None:
    first = statuses(Sandbox(seed=42, fail_rate=0.5), 60)
    again = statuses(Sandbox(seed=42, fail_rate=0.5), 60)
    assert first == again
    assert 201 in first
    assert len(set(first)) >= 4  # several kinds were drawn
    assert statuses(Sandbox(seed=43, fail_rate=0.5), 60) != first


def test_the_rate_counts_what_it_injected() -> None:
    sandbox = Sandbox(seed=1, fail_rate=0.3)
    outcomes = statuses(sandbox, 100)
    assert sum(sandbox.injected.values()) == sum(1 for outcome in outcomes if outcome != 201)
    assert 10 < sum(sandbox.injected.values()) < 50


def test_the_rate_draws_only_the_kinds_asked_for() -> None:
    sandbox = Sandbox(seed=3, fail_rate=1.0, fault_kinds=["rate_limited"])
    assert set(statuses(sandbox, 10)) == {429}


def test_the_rate_spares_look_ups_unless_asked() -> None:
    for on_lookups, expected in ((False, {200}), (True, {500})):
        sandbox = Sandbox(
            seed=3, fail_rate=1.0, fault_kinds=["server_error"], faults_on_lookups=on_lookups
        )
        with httpx.Client(transport=sandbox.transport("roostedhr")) as http:
            codes = {
                http.get(
                    f"{ROOSTEDHR}/clients", headers={"X-API-KEY": ROOSTEDHR_API_KEY}
                ).status_code
                for _ in range(5)
            }
        assert codes == expected


def test_latency_ms_delays_every_answer() -> None:
    sandbox = Sandbox(latency_ms=30)
    started = time.perf_counter()
    assert statuses(sandbox, 2) == [201, 201]
    assert time.perf_counter() - started >= 0.06
