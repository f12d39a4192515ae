"""Settings from keyword arguments and from a TOML file of named connections."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

import clientbridge as cb

from .conftest import CANARY, Recorder, respond

ROOSTED_OK = {"id": "uLu8K", "client_name": "Acme Corp", "pending": False}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "clientbridge.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_setting_is_named_with_a_suggestion() -> None:
    with pytest.raises(cb.ConfigurationError, match=r"unknown setting 'apikey'.*'api_key'"):
        cb.connect("roostedhr", apikey="x")


def test_missing_required_setting_is_named() -> None:
    with pytest.raises(cb.ConfigurationError, match="missing setting 'workspace_id'"):
        cb.connect("placio", token="t", base_url="https://placio.example")


def test_unknown_provider_suggests_the_closest_name() -> None:
    with pytest.raises(cb.ConfigurationError, match="Did you mean 'placio'"):
        cb.connect("plaico", token="t")


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("timeout", 0),
        ("timeout", "soon"),
        ("max_retries", -1),
        ("on_unsupported", "shout"),
        ("max_concurrency", 0),
        ("auth_scheme", "basic"),
    ],
)
def test_invalid_option_values_are_configuration_errors(option: str, value: object) -> None:
    with pytest.raises(cb.ConfigurationError, match=option):
        cb.connect("roostedhr", api_key="k", **{option: value})


def test_plain_http_is_refused_for_remote_hosts_but_allowed_for_loopback() -> None:
    with pytest.raises(cb.ConfigurationError, match="plain http"):
        cb.connect("roostedhr", api_key="k", base_url="http://api.roostedhr.com/api/1_12")
    cb.connect("roostedhr", api_key="k", base_url="http://127.0.0.1:8765").close()


def test_path_segment_settings_refuse_slashes() -> None:
    with pytest.raises(cb.ConfigurationError, match="workspace_id"):
        cb.connect("placio", token="t", workspace_id="../admin", base_url="https://p.example")


def test_header_settings_refuse_control_characters() -> None:
    with pytest.raises(cb.ConfigurationError, match="control character"):
        cb.connect("roostedhr", api_key="key\r\nX-Evil: 1")


def test_load_config_reads_named_connections_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROOSTED_API_KEY", CANARY)
    path = write(
        tmp_path,
        """
[connections.staffing]
provider = "roostedhr"
api_key = "${ROOSTED_API_KEY}"
timeout = 5

[connections.workspace]
provider = "workspace-v1"
token = "t"
workspace_id = "ws1"
base_url = "https://placio.example"
""",
    )
    config = cb.load_config(path)
    assert config.names() == ["staffing", "workspace"]
    assert config["workspace"].provider == "placio"
    assert CANARY not in repr(config)
    recorder = Recorder(respond(201, ROOSTED_OK))
    with config.connect("staffing", transport=recorder.transport()) as conn:
        result = conn.create(cb.Client(company_name="Acme Corp"))
    assert result.id == "uLu8K"
    assert recorder.requests[0].headers["x-api-key"] == CANARY


def test_load_config_uses_the_environment_variable_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, '[connections.a]\nprovider = "roostedhr"\napi_key = "k"\n')
    monkeypatch.setenv("CLIENTBRIDGE_CONFIG", str(path))
    assert cb.load_config().names() == ["a"]


def test_missing_environment_variable_names_file_connection_and_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOPE_KEY", raising=False)
    path = write(tmp_path, '[connections.uk]\nprovider = "roostedhr"\napi_key = "${NOPE_KEY}"\n')
    config = cb.load_config(path)  # the file loads: only the connection needing it fails
    with pytest.raises(cb.ConfigurationError) as caught:
        config.connect("uk")
    message = str(caught.value)
    assert str(path) in message
    assert "'uk'" in message
    assert "NOPE_KEY" in message


def test_invalid_key_in_file_names_file_connection_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[connections.uk]\nprovider = "roostedhr"\napi_key = "k"\nbase = "x"\n')
    with pytest.raises(cb.ConfigurationError, match=r"connection 'uk'.*unknown setting 'base'"):
        cb.load_config(path)


def test_missing_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(cb.ConfigurationError, match="not found"):
        cb.load_config(tmp_path / "absent.toml")


def test_config_connect_async_with_overrides(tmp_path: Path) -> None:
    path = write(tmp_path, '[connections.a]\nprovider = "roostedhr"\napi_key = "k"\n')
    conn = cb.load_config(path).connect_async("a", max_concurrency=2)
    assert conn.options.max_concurrency == 2
    assert isinstance(conn.driver.client, httpx.AsyncClient)


def test_unknown_connection_name_lists_the_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path, '[connections.a]\nprovider = "roostedhr"\napi_key = "k"\n')
    with pytest.raises(cb.ConfigurationError, match="it has: a"):
        cb.load_config(path).connect("b")


# --------------------------------------------------------------------------- config that helps


TWO = """
[connections.uk]
provider = "proconvey"
base_url = "https://acme.proconvey.example"
api_key = "${NOPE_A}-${NOPE_B}"

[connections.hr]
provider = "roostedhr"
api_key = "a$$b"
"""


def test_a_missing_variable_fails_only_the_connection_that_uses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOPE_A", raising=False)
    monkeypatch.delenv("NOPE_B", raising=False)
    config = cb.load_config(write(tmp_path, TWO))
    assert config.names() == ["uk", "hr"]
    with config.connect("hr") as conn:  # $$ is a literal $
        assert conn.provider == "roostedhr"
    with pytest.raises(cb.ConfigurationError) as caught:
        config.connect("uk")
    assert "NOPE_A, NOPE_B" in str(caught.value)  # every missing variable at once


@pytest.mark.parametrize("value", ["$KEY", "${KEY", "pa$word"])
def test_a_dollar_that_is_not_a_variable_is_an_error_not_a_literal_credential(
    tmp_path: Path, value: str
) -> None:
    path = write(tmp_path, f'[connections.hr]\nprovider = "roostedhr"\napi_key = "{value}"\n')
    with pytest.raises(cb.ConfigurationError, match="is not a variable") as caught:
        cb.load_config(path)
    assert "$$" in str(caught.value)


def test_every_unknown_key_is_named_with_its_likely_meaning(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[connections.hr]\nprovider = "roostedhr"\napi_key = "k"\napi_kye = "k"\ntimout = 3\n',
    )
    with pytest.raises(cb.ConfigurationError) as caught:
        cb.load_config(path)
    assert "'api_kye' (did you mean 'api_key'?)" in str(caught.value)
    assert "'timout' (did you mean 'timeout'?)" in str(caught.value)


def test_a_misspelt_provider_key_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, '[connections.hr]\nprovdier = "roostedhr"\n')
    with pytest.raises(cb.ConfigurationError, match="'provdier' is not a key"):
        cb.load_config(path)


def test_an_unknown_connection_name_suggests_the_close_one(tmp_path: Path) -> None:
    config = cb.load_config(
        write(tmp_path, '[connections.staffing]\nprovider = "roostedhr"\napi_key = "k"\n')
    )
    with pytest.raises(cb.ConfigurationError, match="did you mean 'staffing'"):
        config.connect("stafing")


def test_a_real_connection_with_sandbox_uses_the_sandbox_credentials_and_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOPE_A", "real")
    monkeypatch.setenv("NOPE_B", "key")
    config = cb.load_config(write(tmp_path, TWO))
    client = cb.Client(first_name="Ada", last_name="Lovelace", email="ada@example.com")
    for name in config.names():
        with config.connect(name, sandbox=True) as conn:
            [request] = conn.preview(client)
            assert "acme.proconvey.example" not in request.url
            assert "api.roostedhr.com" not in request.url
            assert conn.create(client).id  # the sandbox accepts its own credential
