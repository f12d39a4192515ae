"""The driver's retry policy: only what is safe for a non-idempotent POST is resent."""

from __future__ import annotations

import httpx
import pytest

import clientbridge as cb

from .conftest import Recorder, respond, sequence

OK = httpx.Response(201, json={"id": "uLu8K", "client_name": "Acme", "pending": False})
CLIENT = cb.Client(company_name="Acme")


def connect(recorder: Recorder, **options: object) -> cb.Connection:
    return cb.connect("roostedhr", api_key="k", transport=recorder.transport(), **options)


@pytest.mark.usefixtures("no_sleep")
@pytest.mark.parametrize("status", [429, 503])
def test_429_and_503_are_retried(status: int) -> None:
    recorder = Recorder(sequence(httpx.Response(status), OK))
    with connect(recorder) as conn:
        assert conn.create(CLIENT).id == "uLu8K"
    assert len(recorder.requests) == 2


def test_retry_after_is_honoured(no_sleep: list[float]) -> None:
    recorder = Recorder(sequence(httpx.Response(429, headers={"Retry-After": "7"}), OK))
    with connect(recorder) as conn:
        conn.create(CLIENT)
    assert no_sleep == [7.0]


def test_backoff_grows_and_is_capped(no_sleep: list[float]) -> None:
    recorder = Recorder(respond(503))
    with connect(recorder, max_retries=3) as conn, pytest.raises(cb.ProviderUnavailableError):
        conn.create(CLIENT)
    assert len(recorder.requests) == 4
    assert len(no_sleep) == 3
    assert all(0 < delay <= 20 for delay in no_sleep)
    assert no_sleep[2] > no_sleep[0]


@pytest.mark.usefixtures("no_sleep")
def test_rate_limit_after_the_last_retry_raises_with_retry_after() -> None:
    recorder = Recorder(respond(429, {"message": "slow down"}, **{"Retry-After": "2"}))
    with connect(recorder, max_retries=1) as conn, pytest.raises(cb.RateLimitedError) as caught:
        conn.create(CLIENT)
    assert caught.value.retry_after == 2.0
    assert caught.value.retryable
    assert len(recorder.requests) == 2


@pytest.mark.usefixtures("no_sleep")
def test_a_retry_after_longer_than_the_cap_is_not_slept_through() -> None:
    recorder = Recorder(respond(429, None, **{"Retry-After": "3600"}))
    with connect(recorder) as conn, pytest.raises(cb.RateLimitedError) as caught:
        conn.create(CLIENT)
    assert caught.value.retry_after == 3600.0
    assert len(recorder.requests) == 1


@pytest.mark.usefixtures("no_sleep")
@pytest.mark.parametrize("status", [500, 502, 504])
def test_a_post_is_never_resent_after_an_ambiguous_server_error(status: int) -> None:
    recorder = Recorder(respond(status))
    with connect(recorder) as conn, pytest.raises(cb.ProviderUnavailableError) as caught:
        conn.create(CLIENT)
    assert len(recorder.requests) == 1
    assert caught.value.status_code == status
    assert not caught.value.retryable


@pytest.mark.usefixtures("no_sleep")
def test_connect_errors_are_retried_because_nothing_was_sent() -> None:
    calls: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            raise httpx.ConnectError("refused", request=request)
        return OK

    with cb.connect("roostedhr", api_key="k", transport=httpx.MockTransport(answer)) as conn:
        assert conn.create(CLIENT).id == "uLu8K"
    assert len(calls) == 2


@pytest.mark.usefixtures("no_sleep")
@pytest.mark.parametrize(
    "error", [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped"), httpx.ReadError("x")]
)
def test_a_post_is_never_resent_after_it_may_have_been_sent(error: Exception) -> None:
    calls: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise error

    transport = httpx.MockTransport(answer)
    with cb.connect("roostedhr", api_key="k", transport=transport) as conn:
        with pytest.raises(cb.TransportError) as caught:
            conn.create(CLIENT)
    assert caught.value.maybe_sent
    assert "may have reached" in str(caught.value)
    assert len(calls) == 1


@pytest.mark.usefixtures("no_sleep")
def test_connect_errors_exhausting_retries_say_nothing_was_sent() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    transport = httpx.MockTransport(answer)
    with cb.connect("roostedhr", api_key="k", transport=transport, max_retries=2) as conn:
        with pytest.raises(cb.TransportError) as caught:
            conn.create(CLIENT)
    assert not caught.value.maybe_sent


def test_max_retries_zero_disables_retries() -> None:
    recorder = Recorder(respond(503))
    with connect(recorder, max_retries=0) as conn, pytest.raises(cb.ProviderUnavailableError):
        conn.create(CLIENT)
    assert len(recorder.requests) == 1


def test_redirects_are_not_followed() -> None:
    recorder = Recorder(respond(307, None, Location="https://elsewhere.example/clients"))
    with connect(recorder) as conn, pytest.raises(cb.ProviderError) as caught:
        conn.create(CLIENT)
    assert caught.value.status_code == 307
    assert len(recorder.requests) == 1


def test_oversized_responses_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("clientbridge.driver._base.MAX_RESPONSE_BYTES", 1000)
    recorder = Recorder(lambda request: httpx.Response(201, content=b"x" * 5000))
    with connect(recorder) as conn, pytest.raises(cb.UnexpectedResponseError, match="larger"):
        conn.create(CLIENT)


def test_the_timeout_option_reaches_httpx() -> None:
    seen: list[object] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return OK

    transport = httpx.MockTransport(answer)
    with cb.connect("roostedhr", api_key="k", transport=transport, timeout=4.5) as conn:
        conn.create(CLIENT)
    assert seen == [{"connect": 4.5, "read": 4.5, "write": 4.5, "pool": 4.5}]


@pytest.mark.parametrize(("given", "expected"), [({}, 2.5), ({"timeout": 4.5}, 4.5)])
def test_a_caller_http_client_keeps_its_timeout_unless_one_is_given(
    given: dict[str, float], expected: float
) -> None:
    seen: list[object] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return OK

    http_client = httpx.Client(transport=httpx.MockTransport(answer), timeout=2.5)
    with cb.connect("roostedhr", api_key="k", http_client=http_client, **given) as conn:
        conn.create(CLIENT)
    http_client.close()
    assert seen == [dict.fromkeys(("connect", "read", "write", "pool"), expected)]


def test_a_caller_http_client_is_used_and_not_closed() -> None:
    recorder = Recorder(lambda request: OK)
    http_client = httpx.Client(transport=recorder.transport())
    with cb.connect("roostedhr", api_key="k", http_client=http_client) as conn:
        conn.create(CLIENT)
    assert not http_client.is_closed
    http_client.close()
