"""Scenarios every provider shares, replayed per provider: a wrong credential, the
sandbox's injected faults (429, 500, 502, 503, a cut-short answer) and an async create.

Each runs once per provider against ``tests/cassettes/<provider>/<scenario>.yaml``.
"""

from __future__ import annotations

import pytest

import clientbridge as cb
from clientbridge.errors import outcome_unknown
from tests.cassette_support import PROVIDERS, Target

from .scenarios import MINIMAL, SANDBOX_IDS

pytestmark = [
    pytest.mark.vcr,
    pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.1$"]),
    pytest.mark.parametrize("provider", PROVIDERS),
]


def test_wrong_credential_401(target: Target, provider: str) -> None:
    with target.connect(**target.wrong_credential()) as conn:
        with pytest.raises(cb.AuthenticationError) as raised:
            conn.create(target.client(MINIMAL[provider]))
    assert raised.value.status_code == 401
    assert raised.value.provider == provider
    assert not raised.value.retryable
    assert "Check the credential setting" in raised.value.message


@pytest.mark.sandbox_only
def test_rate_limited_429_then_created(
    target: Target, provider: str, no_sleep: list[float]
) -> None:
    target.inject("rate_limited", retry_after=2)
    with target.connect() as conn:
        result = conn.create(target.client(MINIMAL[provider]))
    assert no_sleep == [2.0]  # the driver waited as Retry-After said, then sent again
    assert result.id == SANDBOX_IDS[provider][0]


@pytest.mark.sandbox_only
def test_rate_limited_429_retry_after_too_long(
    target: Target, provider: str, no_sleep: list[float]
) -> None:
    target.inject("rate_limited", retry_after=120)
    with target.connect() as conn:
        with pytest.raises(cb.RateLimitedError) as raised:
            conn.create(target.client(MINIMAL[provider]))
    assert no_sleep == []  # longer than the 60 s the driver sleeps through
    assert raised.value.status_code == 429
    assert raised.value.retry_after == 120.0
    assert raised.value.retryable


@pytest.mark.sandbox_only
def test_server_error_500(target: Target, provider: str, no_sleep: list[float]) -> None:
    target.inject("server_error")
    with target.connect() as conn:
        with pytest.raises(cb.ProviderUnavailableError) as raised:
            conn.create(target.client(MINIMAL[provider]))
    assert no_sleep == []  # a POST that may have been processed is never resent
    assert raised.value.status_code == 500
    assert not raised.value.retryable
    assert outcome_unknown(raised.value)


@pytest.mark.sandbox_only
def test_bad_gateway_502(target: Target, provider: str, no_sleep: list[float]) -> None:
    target.inject("bad_gateway")
    with target.connect() as conn:
        with pytest.raises(cb.ProviderUnavailableError) as raised:
            conn.create(target.client(MINIMAL[provider]))
    assert no_sleep == []
    assert raised.value.status_code == 502
    assert isinstance(raised.value.body, str)
    assert "502 Bad Gateway" in raised.value.body  # a proxy's HTML page, kept as text
    assert outcome_unknown(raised.value)


@pytest.mark.sandbox_only
def test_unavailable_503_gives_up(target: Target, provider: str, no_sleep: list[float]) -> None:
    target.inject("unavailable", count=4)
    with target.connect() as conn:
        with pytest.raises(cb.ProviderUnavailableError) as raised:
            conn.create(target.client(MINIMAL[provider]))
    assert no_sleep == [1.0, 1.0, 1.0]  # three retries after Retry-After: 1, then it gives up
    assert raised.value.status_code == 503
    assert raised.value.retryable
    assert not outcome_unknown(raised.value)  # a 503 means nothing was processed


@pytest.mark.sandbox_only
def test_malformed_json_answer(target: Target, provider: str) -> None:
    target.inject("malformed_json")
    with target.connect() as conn:
        with pytest.raises(cb.UnexpectedResponseError) as raised:
            conn.create(target.client(MINIMAL[provider]))
    assert raised.value.maybe_created  # the answer was a success: the client may exist
    assert "not JSON" in raised.value.message


@pytest.mark.anyio
async def test_async_create_minimal_client(target: Target, provider: str) -> None:
    async with target.connect_async() as conn:
        result = await conn.create(target.client(MINIMAL[provider]))
    assert result.provider == provider
    assert result.id == target.pinned(SANDBOX_IDS[provider][0])
    assert result.dropped_fields == ()
