"""The total timeout: an attempt is bounded in all, not only per network operation.

A server that declares a large body and trickles it a byte at a time never trips httpx's
read timeout; the total timeout ends the attempt, as a transport error whose outcome is
unknown (the create may have been received).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

import clientbridge as cb
from clientbridge.errors import outcome_unknown
from clientbridge.settings import TOTAL_TIMEOUT_FACTOR

from .trickle_server import trickle_server

CLIENT = cb.Client(company_name="Acme")
OK = httpx.Response(201, json={"id": "uLu8K", "client_name": "Acme", "pending": False})


def test_a_trickled_answer_ends_at_the_total_timeout_sync() -> None:
    with (
        trickle_server() as server,
        cb.connect(
            "roostedhr", api_key="k", base_url=server.base_url, timeout=0.5, max_retries=0
        ) as conn,
        pytest.raises(cb.TransportError, match=r"total_timeout=1\.5 s") as raised,
    ):
        conn.create(CLIENT)
    assert raised.value.maybe_sent
    assert outcome_unknown(raised.value)
    assert "may have reached the provider" in str(raised.value)
    assert server.requests == ["POST /clients HTTP/1.1"]  # a POST is never sent again


@pytest.mark.anyio
async def test_a_trickled_answer_ends_at_the_total_timeout_async() -> None:
    with trickle_server() as server:
        async with cb.connect_async(
            "roostedhr", api_key="k", base_url=server.base_url, total_timeout=1
        ) as conn:
            with pytest.raises(cb.TransportError, match="total_timeout=1 s") as raised:
                await conn.create(CLIENT)
    assert outcome_unknown(raised.value)
    assert server.requests == ["POST /clients HTTP/1.1"]


@pytest.mark.usefixtures("no_sleep")
def test_a_look_up_past_its_total_timeout_is_sent_again() -> None:
    with (
        trickle_server() as server,
        cb.connect(
            "agencyhandy",
            api_key="k",
            base_url=server.base_url,
            total_timeout=0.3,
            max_retries=1,
        ) as conn,
    ):
        check = conn.check_credentials()
    assert isinstance(check.error, cb.TransportError)
    assert server.requests == ["GET /accounts/companies HTTP/1.1"] * 2


def seen_timeouts(**options: object) -> list[object]:
    seen: list[object] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return OK

    with cb.connect(
        "roostedhr", api_key="k", transport=httpx.MockTransport(answer), **options
    ) as conn:
        conn.create(CLIENT)
    return seen


def test_no_operation_may_wait_longer_than_the_total_timeout() -> None:
    # The sync driver checks the total timeout between reads: a read must not outlast it.
    assert seen_timeouts(timeout=30, total_timeout=2) == [
        dict.fromkeys(("connect", "read", "write", "pool"), 2.0)
    ]


def test_the_total_timeout_defaults_to_a_multiple_of_the_timeout() -> None:
    with cb.connect("roostedhr", api_key="k", timeout=4) as conn:
        assert conn.driver.total_timeout == TOTAL_TIMEOUT_FACTOR * 4
    with cb.connect("roostedhr", api_key="k") as conn:
        assert conn.driver.total_timeout == TOTAL_TIMEOUT_FACTOR * 30


def test_no_timeout_means_no_total_timeout_unless_one_is_given() -> None:
    with cb.connect("roostedhr", api_key="k", timeout=None) as conn:
        assert conn.driver.total_timeout is None
    assert seen_timeouts(timeout=None, total_timeout=5) == [
        dict.fromkeys(("connect", "read", "write", "pool"), 5.0)
    ]


def test_a_caller_http_client_gets_a_total_timeout_from_its_own_timeout() -> None:
    http_client = httpx.Client(timeout=2.5)
    with cb.connect("roostedhr", api_key="k", http_client=http_client) as conn:
        assert conn.driver.total_timeout == TOTAL_TIMEOUT_FACTOR * 2.5
    http_client.close()


@pytest.mark.parametrize("value", [0, -1, "soon", True])
def test_a_total_timeout_that_is_not_a_positive_number_is_refused(value: object) -> None:
    with pytest.raises(cb.ConfigurationError, match="total_timeout must be a positive number"):
        cb.connect("roostedhr", api_key="k", total_timeout=value)


def test_a_config_file_sets_the_total_timeout(tmp_path: Path) -> None:
    path = tmp_path / "clientbridge.toml"
    path.write_text(
        '[connections.hr]\nprovider = "roostedhr"\napi_key = "k"\ntimeout = 10\n'
        "total_timeout = 12\n"
    )
    with cb.load_config(path).connect("hr") as conn:
        assert conn.driver.total_timeout == 12
