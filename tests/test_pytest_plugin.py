"""The pytest plugin's ``clientbridge_sandbox`` fixture, as an app's test suite uses it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import httpx
import pytest

import clientbridge as cb
from clientbridge.overrides import OverriddenTransportWarning, active_override, overriding
from clientbridge.sandbox import DEFAULT_CREDENTIALS
from clientbridge.sandbox.emulators import EMULATORS
from clientbridge.testing import SandboxFixture
from clientbridge.testing.conformance import RICH_CLIENT

pytest_plugins = ["pytester"]

ADA = cb.Client(first_name="Ada", last_name="Lovelace", email="ada@example.com")
BOB = cb.Client(first_name="Bob", last_name="Babbage", email="bob@example.com")

#: A config as an app ships it: production hosts and credentials from the environment,
#: none of which is set in the tests (no retries: the network check fails fast).
APP_CONFIG = """
[connections.crm]
max_retries = 0
provider = "placio"
base_url = "https://placio.example.com"
token = "${CB_TEST_PLACIO_TOKEN}"
workspace_id = "${CB_TEST_PLACIO_WORKSPACE}"

[connections.hr]
max_retries = 0
provider = "roostedhr"
api_key = "${CB_TEST_ROOSTED_KEY}"

[connections.legal]
max_retries = 0
provider = "proconvey"
base_url = "https://acme.proconvey.co.uk"
api_key = "${CB_TEST_PROCONVEY_KEY}"
"""


class Refuse(httpx.BaseTransport):
    """A transport that fails the test if anything is sent through it."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"sent through the app's transport: {request.url}")


@pytest.fixture
def app_config(tmp_path: Path) -> cb.Config:
    path = tmp_path / "clientbridge.toml"
    path.write_text(APP_CONFIG, encoding="utf-8")
    return cb.load_config(path)


def emails(clients: list[cb.Client]) -> list[str | None]:
    return [client.email for client in clients]


# --------------------------------------------------------------------------- every API


def test_connect_is_answered_by_the_fixture_sandbox(clientbridge_sandbox: SandboxFixture) -> None:
    with cb.connect("roostedhr", api_key="a-real-production-key") as conn:
        result = conn.create(ADA)
    assert clientbridge_sandbox.sandbox.records("roostedhr")[0]["id"] == result.id
    assert emails(clientbridge_sandbox.clients("roostedhr")) == ["ada@example.com"]


def test_a_config_with_unset_variables_fans_out_to_the_one_sandbox(
    clientbridge_sandbox: SandboxFixture, app_config: cb.Config
) -> None:
    with app_config.connect_many() as group:
        fan = group.create(ADA)
    assert fan.ok, fan.errors
    for provider in ("placio", "roostedhr", "proconvey"):
        assert emails(clientbridge_sandbox.clients(provider)) == ["ada@example.com"]


def test_a_config_connection_by_name_is_answered_too(
    clientbridge_sandbox: SandboxFixture, app_config: cb.Config
) -> None:
    with app_config.connect("legal") as conn:
        conn.create(ADA)
        conn.create(BOB)
    assert emails(clientbridge_sandbox.clients("proconvey")) == [ADA.email, BOB.email]


def test_without_the_fixture_an_unset_variable_is_still_an_error(app_config: cb.Config) -> None:
    assert active_override() is None
    with pytest.raises(cb.ConfigurationError, match="CB_TEST_PLACIO_TOKEN"):
        app_config.connect("crm")


@pytest.mark.anyio
async def test_async_apps_are_answered_too(
    clientbridge_sandbox: SandboxFixture, app_config: cb.Config
) -> None:
    settings = {"token": "t", "workspace_id": "w", "base_url": "https://p.io"}
    async with cb.connect_async("placio", **settings) as conn:
        await conn.create(ADA)
    async with app_config.connect_many_async("hr", "legal") as group:
        fan = await group.create(BOB)
    async with app_config.connect_async("crm") as conn:
        await conn.create(BOB)
    assert fan.ok, fan.errors
    assert emails(clientbridge_sandbox.clients("placio")) == [ADA.email, BOB.email]
    assert emails(clientbridge_sandbox.clients("roostedhr")) == [BOB.email]


def test_a_connection_opened_in_another_thread_is_answered(
    clientbridge_sandbox: SandboxFixture,
) -> None:
    def signup() -> None:  # a web framework's worker thread, say
        with cb.connect("roostedhr", api_key="k") as conn:
            conn.create(ADA)

    worker = threading.Thread(target=signup)
    worker.start()
    worker.join(timeout=30)
    assert emails(clientbridge_sandbox.clients("roostedhr")) == [ADA.email]


def test_the_override_ends_with_the_block() -> None:
    fixture = SandboxFixture()
    with overriding(fixture):
        assert active_override() is fixture
    assert active_override() is None


# --------------------------------------------------------------------------- what a test reads


def test_clients_are_parsed_back_as_a_create_result_holds_them(
    clientbridge_sandbox: SandboxFixture,
) -> None:
    results = {}
    for provider in EMULATORS:
        with cb.connect(provider, on_unsupported="ignore") as conn:
            results[provider] = conn.create(RICH_CLIENT)
    for provider, result in results.items():
        assert clientbridge_sandbox.clients(provider) == [result.client], provider


def test_clients_of_an_unknown_provider_names_the_known_ones(
    clientbridge_sandbox: SandboxFixture,
) -> None:
    with pytest.raises(cb.ConfigurationError, match="nope") as caught:
        clientbridge_sandbox.clients("nope")
    for provider in cb.providers():
        assert provider in str(caught.value)


def test_requests_are_kept_oldest_first_with_credentials_redacted(
    clientbridge_sandbox: SandboxFixture,
) -> None:
    settings = {"token": "my-real-token", "workspace_id": "w", "base_url": "https://p.io"}
    with cb.connect("placio", **settings) as placio:
        placio.create(ADA)
        preview = placio.preview(BOB)
        placio.create(BOB)
    with cb.connect("roostedhr", api_key="k") as conn:
        conn.create(ADA)
    sent = clientbridge_sandbox.requests()
    assert [request.json["name"] for request in sent[:2]] == ["Ada Lovelace", "Bob Babbage"]
    assert clientbridge_sandbox.requests("workspace-v1") == sent[:2]  # an alias works too
    assert len(clientbridge_sandbox.requests("roostedhr")) == 1
    assert sent[1] == preview[-1]  # what was sent is what the preview showed
    assert all(isinstance(request, cb.HttpRequest) for request in sent)
    shown = repr(sent)
    for credential in [*DEFAULT_CREDENTIALS.values(), "my-real-token"]:
        assert credential not in shown
    assert sent[0].headers["Authorization"] == "***"


def test_inject_makes_the_next_create_of_one_provider_fail(
    clientbridge_sandbox: SandboxFixture, app_config: cb.Config
) -> None:
    clientbridge_sandbox.inject("server_error", provider="roostedhr")
    with app_config.connect_many() as group:
        fan = group.create(ADA)
        again = group.create(BOB)
    assert list(fan.errors) == ["hr"]
    assert isinstance(fan.errors["hr"], cb.ProviderUnavailableError)
    assert sorted(fan.results) == ["crm", "legal"]
    assert again.ok
    assert emails(clientbridge_sandbox.clients("roostedhr")) == [BOB.email]


# --------------------------------------------------------------------------- who wins


def test_a_transport_given_with_the_fixture_is_not_used_and_a_warning_says_so(
    clientbridge_sandbox: SandboxFixture,
) -> None:
    with pytest.warns(OverriddenTransportWarning, match="transport= given to a roostedhr"):
        conn = cb.connect("roostedhr", api_key="k", transport=Refuse())
    with conn:
        conn.create(ADA)
    assert emails(clientbridge_sandbox.clients("roostedhr")) == [ADA.email]


def test_an_http_client_given_with_the_fixture_is_left_alone(
    clientbridge_sandbox: SandboxFixture,
) -> None:
    own = httpx.Client(transport=Refuse())
    with pytest.warns(OverriddenTransportWarning, match="http_client="):
        conn = cb.connect("roostedhr", api_key="k", http_client=own)
    with conn:
        conn.create(ADA)
    assert not own.is_closed
    own.close()
    assert len(clientbridge_sandbox.clients("roostedhr")) == 1


def test_no_warning_without_a_transport(clientbridge_sandbox: SandboxFixture) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cb.connect("roostedhr", api_key="k").close()


# --------------------------------------------------------------------------- an app's suite

APP = """
import clientbridge as cb

def signup(email):
    with cb.load_config().connect_many() as group:
        return group.create(cb.Client(first_name="New", last_name="Customer", email=email))
"""

APP_TESTS = """
import os

import pytest

import clientbridge as cb
from app import signup


def test_ada_lands_in_every_back_office(clientbridge_sandbox):
    fan = signup("ada@example.com")
    assert fan.ok, fan.errors
    for provider in ("placio", "roostedhr", "proconvey"):
        assert [c.email for c in clientbridge_sandbox.clients(provider)] == ["ada@example.com"]


def test_each_test_gets_a_fresh_sandbox(clientbridge_sandbox):
    signup("bob@example.com")
    assert [c.email for c in clientbridge_sandbox.clients("placio")] == ["bob@example.com"]


def test_an_outage_is_reported_for_that_back_office(clientbridge_sandbox):
    clientbridge_sandbox.inject("server_error", provider="roostedhr")
    fan = signup("cy@example.com")
    assert list(fan.errors) == ["hr"]


def test_without_the_fixture_the_app_would_reach_the_network(monkeypatch):
    for name in ("CB_TEST_PLACIO_TOKEN", "CB_TEST_PLACIO_WORKSPACE", "CB_TEST_ROOSTED_KEY",
                 "CB_TEST_PROCONVEY_KEY"):
        monkeypatch.setenv(name, "real-value")
    fan = signup("dee@example.com")
    # every connection tried the (closed) proxy: the network, which the fixture keeps away
    assert sorted(fan.errors) == ["crm", "hr", "legal"]
    assert all(isinstance(error, cb.TransportError) for error in fan.errors.values())
"""


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_an_apps_suite_runs_through_the_installed_plugin_and_never_reaches_the_network(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(app=APP, test_app=APP_TESTS)
    pytester.path.joinpath("clientbridge.toml").write_text(APP_CONFIG, encoding="utf-8")
    proxy = f"http://127.0.0.1:{closed_port()}"
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.setenv(name, proxy)
    for name in ("NO_PROXY", "no_proxy", "CLIENTBRIDGE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    # A subprocess: the plugin is found through its pytest11 entry point, as in an app.
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    code = (
        "import json, sys; import clientbridge.pytest_plugin; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(("
        "'httpx', 'anyio', 'opentelemetry', 'vcr', 'clientbridge.sandbox', "
        "'clientbridge.testing', 'clientbridge.connection', 'clientbridge.adapters')))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout) == []


def test_an_account_id_of_the_real_account_is_left_to_the_sandbox(
    clientbridge_sandbox: SandboxFixture,
) -> None:
    account_specific = {
        provider: [
            s.name
            for s in cb.registry.adapter_class(provider).settings_spec
            if s.account_specific and not s.secret
        ]
        for provider in EMULATORS
    }
    checked = 0
    for provider, names in account_specific.items():
        if not names:
            continue
        with cb.connect(provider, **dict.fromkeys(names, "an-id-of-the-real-account")) as conn:
            conn.create(ADA)
        checked += 1
        assert emails(clientbridge_sandbox.clients(provider)) == [ADA.email]
    assert checked, "no adapter declares an account-specific setting: nothing was checked"
