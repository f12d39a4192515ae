"""A canary credential never appears in a repr, log record, exception or preview."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

import clientbridge as cb

from .conftest import CANARY, Recorder, respond, sequence


def surfaces_of(error: BaseException) -> str:
    body = getattr(error, "body", None)
    return " ".join([str(error), repr(error), repr(body), repr(error.args)])


@pytest.mark.usefixtures("no_sleep")
def test_canary_never_leaks_through_any_surface(
    caplog: pytest.LogCaptureFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG, logger="clientbridge")
    echoing = {"message": f"token {CANARY} is invalid", "token": CANARY}
    recorder = Recorder(
        sequence(
            httpx.Response(429, headers={"Retry-After": "0"}),
            httpx.Response(401, json=echoing),
        )
    )
    seen: list[str] = []
    settings = {"token": CANARY, "workspace_id": "ws1", "base_url": "https://placio.example"}
    with cb.connect("placio", transport=recorder.transport(), **settings) as conn:
        seen += [repr(conn), repr(conn.adapter.settings), repr(conn.options)]
        plan = conn.preview(cb.Client(name="Ada", email="a@example.com"))
        seen += [repr(plan), str(plan[0].headers)]
        with pytest.raises(cb.AuthenticationError) as caught:
            conn.create(cb.Client(name="Ada", email="a@example.com"))
        seen.append(surfaces_of(caught.value))

    monkeypatch.setenv("CANARY_TOKEN", CANARY)
    config_file = tmp_path / "clientbridge.toml"
    config_file.write_text(
        '[connections.p]\nprovider = "placio"\ntoken = "${CANARY_TOKEN}"\n'
        'workspace_id = "w"\nbase_url = "https://placio.example"\n'
    )
    config = cb.load_config(config_file)
    seen += [repr(config), repr(config["p"]), repr(config["p"].settings)]

    seen += [record.getMessage() for record in caplog.records]
    assert any("HTTP 429" in record.getMessage() for record in caplog.records)
    for text in seen:
        assert CANARY not in text


def test_configuration_errors_do_not_echo_credentials() -> None:
    with pytest.raises(cb.ConfigurationError) as caught:
        cb.connect("roostedhr", api_key=CANARY, auth_scheme="basic")
    assert CANARY not in surfaces_of(caught.value)
    with pytest.raises(cb.ConfigurationError) as caught:
        cb.connect("roostedhr", api_key=CANARY + "\r\nX-Injected: 1")
    assert CANARY not in surfaces_of(caught.value)


def test_logs_are_quiet_when_all_is_well(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="clientbridge")
    recorder = Recorder(respond(201, {"id": "uLu8K", "client_name": "Acme"}))
    with cb.connect("roostedhr", api_key=CANARY, transport=recorder.transport()) as conn:
        conn.create(cb.Client(company_name="Acme"))
    assert caplog.records == []
