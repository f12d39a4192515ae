"""No cassette holds a credential, and the scrubbing and matching hooks do what they say."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
import yaml
from vcr.request import Request

from clientbridge.registry import adapter_class
from tests.cassette_support import (
    CASSETTE_CREDENTIALS,
    CASSETTES,
    PROVIDERS,
    REDACTED,
    Scrubber,
    cassette_files,
    credential_leaks,
    credential_setting,
    json_body,
    known_credentials,
    live_env_name,
    replay_origin,
)

#: Any one provider, for the hooks every provider shares.
ANY = PROVIDERS[0]

MODULES = {provider: f"tests.cassette_tests.test_cassettes_{provider}" for provider in PROVIDERS}
SHARED = "tests.cassette_tests.test_cassettes_common"


def scenario_names(module_name: str) -> set[str]:
    module = importlib.import_module(module_name)
    return {name.removeprefix("test_") for name in vars(module) if name.startswith("test_")}


# --------------------------------------------------------------------------- the scan


def test_no_cassette_holds_a_credential() -> None:
    files = cassette_files()
    assert len(files) >= 4 * len(scenario_names(SHARED))  # the scan cannot pass vacuously
    known = known_credentials()
    leaks = [leak for path in files for leak in credential_leaks(path, known)]
    assert leaks == []


def test_every_cassette_has_its_test_and_every_provider_its_cassettes() -> None:
    for provider in PROVIDERS:
        recorded = {path.stem for path in (CASSETTES / provider).glob("*.yaml")}
        expected = scenario_names(MODULES[provider]) | scenario_names(SHARED)
        assert recorded == expected, provider


def test_the_scan_finds_a_leaked_credential_and_an_unredacted_header(tmp_path: Path) -> None:
    cassette = tmp_path / "leaky.yaml"
    interaction = {
        "request": {
            "body": json.dumps({"note": CASSETTE_CREDENTIALS[ANY]}),
            "headers": {
                "X-API-KEY": ["something"],
                "authorization": [REDACTED],
                "cookie": ["session=abc"],
            },
            "method": "POST",
            "uri": f"{replay_origin(ANY)}/v1/x",
        },
        "response": {"body": {"string": ""}, "headers": {}, "status": {"code": 201}},
    }
    cassette.write_text(yaml.safe_dump({"interactions": [interaction], "version": 1}))
    leaks = credential_leaks(cassette, known_credentials())
    assert leaks == [
        f"leaky.yaml: holds the {ANY} recording credential",
        "leaky.yaml: interaction 0 request header X-API-KEY is not REDACTED",
        "leaky.yaml: interaction 0 request header cookie is kept (cookies are dropped)",
    ]


def test_a_live_credential_from_the_environment_is_known(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = live_env_name(ANY, credential_setting(ANY))
    others = [s.name for s in adapter_class(ANY).settings_spec if not s.secret]
    monkeypatch.setenv(secret, "live-token-from-env")
    for name in others:
        monkeypatch.setenv(live_env_name(ANY, name), "id_live")
    known = known_credentials()
    assert known[f"${secret}"] == "live-token-from-env"
    assert "id_live" not in known.values()  # ids, not secrets


# --------------------------------------------------------------------------- the hooks


SECRET = "s3cret/key+value"
scrubber = Scrubber(secrets=[SECRET], origin=replay_origin(ANY))


def request(uri: str, body: bytes | None, **headers: str) -> Request:
    return Request("POST", uri, body, headers)


def test_a_secret_is_scrubbed_from_the_url_the_body_and_the_headers() -> None:
    recorded = scrubber.before_record_request(
        request(
            "http://127.0.0.1:40111/v1/clients?key=s3cret%2Fkey%2Bvalue",
            json.dumps(
                {"name": "Ada", "nested": [{"note": f"Bearer {SECRET}", "token": "unknown"}]}
            ).encode(),
            **{"X-Echo": SECRET},
        )
    )
    assert recorded.uri == f"{replay_origin(ANY)}/v1/clients?key={REDACTED}"
    # A key named like an adapter's secret setting is masked whatever its value.
    assert json.loads(recorded.body) == {
        "name": "Ada",
        "nested": [{"note": f"Bearer {REDACTED}", "token": REDACTED}],
    }
    assert recorded.headers["X-Echo"] == REDACTED


def test_a_body_without_a_secret_is_kept_byte_for_byte() -> None:
    body = b'{"b": 1,  "a": "spaced"}'
    assert scrubber.before_record_request(request("http://127.0.0.1:1/x", body)).body == body


def test_a_secret_echoed_in_a_response_is_scrubbed_and_cookies_dropped() -> None:
    body = json.dumps({"message": f"key {SECRET} is expired"}).encode()
    response = {
        "status": {"code": 401, "message": "Unauthorized"},
        "headers": {
            "Content-Length": [str(len(body))],
            "X-Echo": [SECRET],
            "Set-Cookie": ["session=abc; HttpOnly"],
        },
        "body": {"string": body},
    }
    recorded = scrubber.before_record_response(response)
    assert json.loads(recorded["body"]["string"]) == {"message": f"key {REDACTED} is expired"}
    assert recorded["headers"] == {
        "Content-Length": [str(len(recorded["body"]["string"]))],
        "X-Echo": [REDACTED],
    }


def test_json_bodies_match_whatever_the_key_order() -> None:
    one = request("https://a/x", b'{"a": 1, "b": [true, {"c": null, "d": "x"}]}')
    other = request("https://a/x", b'{"b":[true,{"d":"x","c":null}],"a":1}')
    json_body(one, other)  # no AssertionError


@pytest.mark.parametrize(
    ("body", "other"),
    [
        (b'{"sendInvitationEmail": false}', b'{"sendInvitationEmail": 0}'),
        (b'[{"a": 1}, {"a": 2}]', b'[{"a": 2}, {"a": 1}]'),  # list order matters
        (b'{"a": 1}', b"not json"),
    ],
)
def test_json_bodies_differing_in_value_type_or_order_do_not_match(
    body: bytes, other: bytes
) -> None:
    with pytest.raises(AssertionError, match="the bodies differ"):
        json_body(request("https://a/x", body), request("https://a/x", other))
