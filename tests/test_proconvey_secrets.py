"""The personal data ProConvey returns (``dob``, ``niNumber``) is never logged above
DEBUG, and today not at DEBUG either: no logger writes bodies."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable

import anyio
import httpx
import pytest

import clientbridge as cb

from .conftest import CANARY
from .import_fakes import invoke
from .test_reliability_secrets import ADA, LOG_FORMAT, canary_settings

# --------------------------------------------------------------------------- personal data

DOB = "1815-12-10"
NI_NUMBER = "QQ123456C"
PERSONAL = {"dob": DOB, "niNumber": NI_NUMBER}


def proconvey_record(request: httpx.Request) -> dict[str, object]:
    return {
        "id": "0f8d2c1e-0000-4000-8000-000000000001",
        "status": "Active",
        **json.loads(request.content),
        **PERSONAL,
    }


def personal_data_flows(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """ProConvey answers carrying a dob and an NI number, through every path that logs:
    a create, retries of a 429/503 whose bodies carry them, a 409 and a 2xx without an
    id, sync and async, and the CLI with -vv."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="clientbridge")
    settings = canary_settings("proconvey")

    def created(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json=proconvey_record(request))

    def busy(request: httpx.Request) -> httpx.Response:
        body = {"message": "slow down", **PERSONAL}
        return httpx.Response(429, json=body, headers={"Retry-After": "0"})

    def duplicate(request: httpx.Request) -> httpx.Response:
        return httpx.Response(409, json={"message": "exists", "client": PERSONAL, **PERSONAL})

    def no_id(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json={"status": "Active", **PERSONAL})

    def sequence(*handlers: Callable[[httpx.Request], httpx.Response]) -> httpx.MockTransport:
        queue = list(handlers)
        return httpx.MockTransport(
            lambda request: (queue.pop(0) if len(queue) > 1 else queue[0])(request)
        )

    with cb.connect("proconvey", transport=sequence(busy, created), **settings) as conn:
        assert conn.create(ADA).raw["niNumber"] == NI_NUMBER  # the caller gets it, untouched
    for handler in (duplicate, no_id):
        with cb.connect("proconvey", transport=sequence(busy, handler), **settings) as conn:
            with pytest.raises(cb.ProviderError):
                conn.create(ADA)

    async def run_async() -> None:
        async with cb.connect_async(
            "proconvey", transport=sequence(busy, created), **settings
        ) as conn:
            await conn.create(ADA)
            await conn.create_many([ADA, ADA])

    anyio.run(run_async)
    target = ["--provider", "proconvey", "--sandbox", "--set", f"api_key={CANARY}"]
    ada = ["--first-name", "Ada", "--last-name", "Lovelace", "--email", "ada@example.com"]
    result = invoke(
        ["-vv", "create", *target, *ada], lambda provider, asynchronous: sequence(busy, created)
    )
    assert result.exit_code == 0, result.output
    records = list(caplog.records)
    assert any("retry 1 of" in record.getMessage() for record in records)
    return records


def holding_personal_data(records: Iterable[logging.LogRecord]) -> list[str]:
    return [
        LOG_FORMAT.format(record)
        for record in records
        if DOB in LOG_FORMAT.format(record) or NI_NUMBER in LOG_FORMAT.format(record)
    ]


@pytest.mark.usefixtures("no_sleep")
def test_personal_data_from_proconvey_is_never_logged_above_debug(
    caplog: pytest.LogCaptureFixture,
) -> None:
    records = personal_data_flows(caplog)
    assert any(record.levelno > logging.DEBUG for record in records)
    assert holding_personal_data(r for r in records if r.levelno > logging.DEBUG) == []


@pytest.mark.usefixtures("no_sleep")
def test_personal_data_from_proconvey_is_not_logged_at_debug_either(
    caplog: pytest.LogCaptureFixture,
) -> None:
    records = personal_data_flows(caplog)
    assert any(record.levelno == logging.DEBUG for record in records)
    assert holding_personal_data(records) == []
