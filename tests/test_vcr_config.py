"""`clientbridge.testing.vcr_config`: a cassette recorded through it holds no secret."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import vcr
import yaml

import clientbridge as cb
from clientbridge import registry
from clientbridge.adapters.base import Adapter, Setting
from clientbridge.sandbox import Sandbox
from clientbridge.sandbox.emulators import EMULATORS
from clientbridge.testing import vcr_config
from clientbridge.testing.cassettes import REDACTED, credential_places, secret_forms
from clientbridge.wire import HeaderValue

#: The credential each emulator accepts in these recordings (not the sandbox defaults).
CREDENTIALS = {provider: f"rec-{provider}-Cr3dential/+9" for provider in EMULATORS}
#: Something of the app's own it would rather not publish, sent in the client's data
#: (in the email: every provider sends it, and answers it back).
APP_SECRET = "app-internal-referral-code-77"


def recorded_create(provider: str, cassette: Path, record_mode: str = "once") -> cb.CreateResult:
    sandbox = Sandbox(credentials=CREDENTIALS, seed=1)
    client = cb.Client(first_name="Ada", last_name="Lovelace", email=f"{APP_SECRET}@example.com")
    credential = next(s.name for s in registry.adapter_class(provider).settings_spec if s.secret)
    recorder = vcr.VCR(**vcr_config(APP_SECRET, *CREDENTIALS.values()), record_mode=record_mode)
    with recorder.use_cassette(str(cassette)):
        with cb.connect(
            provider,
            sandbox=True,
            transport=sandbox.transport(provider),  # an httpx.MockTransport: vcrpy records it
            on_unsupported="ignore",
            **{credential: CREDENTIALS[provider]},
        ) as conn:
            return conn.create(client)


def cassette_text(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    loaded = yaml.safe_load(text)
    return text + repr(loaded)  # folded long strings too


@pytest.mark.parametrize("provider", list(EMULATORS))
def test_a_cassette_recorded_through_vcr_config_holds_no_secret(
    provider: str, tmp_path: Path
) -> None:
    cassette = tmp_path / f"{provider}.yaml"
    recorded_create(provider, cassette)
    text = cassette_text(cassette)
    for secret in [APP_SECRET, *CREDENTIALS.values()]:
        assert not any(form in text for form in secret_forms([secret])), secret
    interactions = yaml.safe_load(cassette.read_text(encoding="utf-8"))["interactions"]
    assert interactions, "nothing was recorded: the scan would prove nothing"
    for interaction in interactions:
        headers = {name.lower(): value for name, value in interaction["request"]["headers"].items()}
        carried = [name for name in credential_places().headers if name in headers]
        assert carried, "the credential header is kept, redacted"
        assert all(headers[name] == [REDACTED] for name in carried)


@pytest.mark.parametrize("provider", list(EMULATORS))
def test_the_scrubbed_cassette_replays_with_no_server(provider: str, tmp_path: Path) -> None:
    cassette = tmp_path / f"{provider}.yaml"
    first = recorded_create(provider, cassette)
    again = recorded_create(provider, cassette, record_mode="none")
    # The live request, scrubbed the same way, matched its recording.
    assert again.id == first.id


def test_secret_query_parameters_json_keys_and_echoes_are_scrubbed(tmp_path: Path) -> None:
    config = vcr_config("tenant-secret-1")
    request = vcr.request.Request(
        "POST",
        "https://api.example.com/v1/x?api_key=abc&page=2&note=tenant-secret-1",
        b'{"token": "abc", "nested": {"api_key": "def"}, "name": "tenant-secret-1"}',
        {"Content-Type": "application/json; charset=utf-8"},
    )
    scrubbed = config["before_record_request"](request)
    assert "tenant-secret-1" not in scrubbed.uri
    assert yaml.safe_load(scrubbed.body) == {
        "token": REDACTED,
        "nested": {"api_key": REDACTED},
        "name": REDACTED,
    }
    assert ("api_key", REDACTED) in config["filter_query_parameters"]
    answer = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"Set-Cookie": ["s=1"], "X-Echo": ["tenant-secret-1"]},
        "body": {"string": b"echo tenant-secret-1"},
    }
    scrubbed_answer = config["before_record_response"](answer)
    assert scrubbed_answer["headers"] == {"X-Echo": [REDACTED]}
    assert scrubbed_answer["body"]["string"] == f"echo {REDACTED}".encode()


class _PluginAdapter(Adapter):
    """A plug-in whose credential travels in a header no built-in uses."""

    name = "vcrplugin"
    display_name = "VCR Plugin"
    settings_spec = (
        Setting(name="access_code", description="the key", required=True, secret=True),
        Setting(name="base_url", description="root", default="https://plugin.example", url=True),
    )

    def auth_headers(self) -> Mapping[str, HeaderValue]:
        return {"X-Plugin-Access": self.secret("access_code")}


@pytest.fixture
def plugin_adapter(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(registry._BUILTINS, "vcrplugin", f"{__name__}:_PluginAdapter")
    registry.refresh()
    yield
    monkeypatch.undo()
    registry.refresh()


@pytest.mark.usefixtures("plugin_adapter")
def test_a_registered_adapters_credential_header_and_setting_are_scrubbed() -> None:
    places = credential_places()
    assert "x-plugin-access" in places.headers
    assert "access_code" in places.parameters
    assert ("x-plugin-access", REDACTED) in vcr_config()["filter_headers"]
