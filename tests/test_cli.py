"""The `clientbridge` command: help, providers, create, preview, check, sandbox serve."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import clientbridge as cb
from clientbridge.sandbox.emulators import placio as placio_emulator

from .conftest import CANARY
from .import_fakes import ROOSTED, FakeRoostedHR, deadline, invoke, no_requests

TARGET = ROOSTED[:4]  # --provider roostedhr --set api_key=<canary>


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["providers"],
        ["create"],
        ["preview"],
        ["import"],
        ["check"],
        ["sandbox"],
        ["sandbox", "serve"],
    ],
)
def test_every_command_has_help_with_examples(command: list[str]) -> None:
    result = invoke([*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output
    if command != ["sandbox"]:
        assert "Examples:" in result.output or "clientbridge import" in result.output


def test_an_unknown_option_is_a_usage_error() -> None:
    result = invoke(["import", "--frobnicate"])
    assert result.exit_code == 2


def test_providers_lists_every_adapter_with_its_capabilities() -> None:
    result = invoke(["providers"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["NAME", "PROVIDER", "ALIASES"]
    listed = {line.split()[0] for line in lines[1:]} | {
        line.split(":")[0] for line in result.stderr.splitlines()
    }
    assert set(cb.providers()) <= listed
    roosted = next(line for line in lines if line.startswith("roostedhr"))
    assert "api_key*" in roosted


def test_providers_markdown_has_the_matrix_and_each_providers_tables() -> None:
    result = invoke(["providers", "--markdown", "placio", "roostedhr"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "## Capability matrix" in text
    assert "| `email` | ✓ | ✓ |" in text
    assert "## RoostedHR (`roostedhr`)" in text
    assert "| `client_name` |" in text
    assert "| `auth_scheme` |" in text
    assert "Not sent (listed in `dropped_fields`" in text


def test_create_prints_the_new_id_and_warnings() -> None:
    fake = FakeRoostedHR()
    args = [
        "create",
        *TARGET,
        "--company",
        "Acme",
        "--email",
        "ops@acme.test",
        "--phone",
        "07911 123456",
    ]
    result = invoke(args, fake.transport)
    assert result.exit_code == 0, result.output
    assert "Created r1 in roostedhr (status active, invite not_invited)" in result.output
    assert "warning: phone is not supported by roostedhr" in result.output
    assert fake.created[0]["client_name"] == "Acme"


def test_create_from_json_with_flags_over_it(tmp_path: Path) -> None:
    fake = FakeRoostedHR()
    document = tmp_path / "client.json"
    document.write_text(
        json.dumps(
            {"company_name": "Acme", "email": "old@acme.test", "address": {"city": "Leeds"}}
        ),
        encoding="utf-8",
    )
    args = ["create", *TARGET, "--client-json", f"@{document}", "--email", "new@acme.test"]
    result = invoke([*args, "-o", "json", "--postal-code", "LS1 1AA"], fake.transport)
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)["result"]
    assert (answer["id"], answer["status"]) == ("r1", "active")
    assert fake.created[0]["client_contact_email"] == "new@acme.test"
    assert fake.created[0]["client_city"] == "Leeds"
    assert fake.created[0]["client_postal_code"] == "LS1 1AA"


def test_create_that_fails_exits_1_and_says_whether_it_may_exist() -> None:
    fake = FakeRoostedHR()
    fake.fail = {"ops@acme.test": 500}
    result = invoke(
        ["create", *TARGET, "--company", "Acme", "--email", "ops@acme.test"], fake.transport
    )
    assert result.exit_code == 1
    assert "HTTP 500" in result.stderr
    assert "may have been created" in result.stderr


def test_create_of_an_invalid_client_sends_nothing_and_exits_1() -> None:
    result = invoke(["create", *TARGET, "--company", "Acme", "--email", "nope"], no_requests)
    assert result.exit_code == 1
    assert "email: is not a valid email address" in result.stderr


def test_a_missing_setting_exits_2_with_the_message_only() -> None:
    result = invoke(["create", "--provider", "roostedhr", "--company", "Acme"], no_requests)
    assert result.exit_code == 2
    assert "missing setting 'api_key'" in result.stderr
    assert "Traceback" not in result.output


def test_a_target_is_required_and_only_one() -> None:
    assert invoke(["create", "--company", "Acme"]).exit_code == 2
    both = invoke(["create", "-c", "uk", *TARGET, "--company", "Acme"])
    assert both.exit_code == 2
    assert "not both" in both.stderr


def test_preview_prints_the_requests_with_secrets_redacted() -> None:
    result = invoke(
        ["preview", *TARGET, "--company", "Acme", "--email", "ops@acme.test"], no_requests
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("POST https://api.roostedhr.com/api/1_12/clients\n")
    assert "X-API-KEY: ***" in result.output
    assert '"client_name": "Acme"' in result.output
    assert CANARY not in result.output


def test_preview_as_json() -> None:
    args = ["preview", *TARGET, "--company", "Acme", "--set", "auth_scheme=bearer", "-o", "json"]
    result = invoke(args, no_requests)
    [request] = json.loads(result.stdout)["requests"]
    assert request["headers"]["Authorization"] == "***"
    assert request["json"] == {"client_name": "Acme"}


def test_settings_options_are_typed() -> None:
    args = ["preview", *TARGET, "--set", "timeout=2.5", "--set", "max_retries=0", "--company", "A"]
    assert invoke(args, no_requests).exit_code == 0
    bad = invoke([*args[:-2], "--set", "timeout=soon", "--company", "A"], no_requests)
    assert bad.exit_code == 2
    assert "timeout must be a positive number" in bad.stderr


def test_named_connections_come_from_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROOSTED_KEY", CANARY)
    config = tmp_path / "clientbridge.toml"
    config.write_text(
        '[connections.staffing]\nprovider = "roostedhr"\napi_key = "${ROOSTED_KEY}"\n',
        encoding="utf-8",
    )
    fake = FakeRoostedHR()
    args = ["create", "-c", "staffing", "--config", str(config), "--company", "Acme"]
    result = invoke(args, fake.transport)
    assert result.exit_code == 0, result.output
    assert "in connection 'staffing' (roostedhr)" in result.output
    unknown = invoke(["create", "-c", "uk", "--config", str(config), "--company", "A"])
    assert unknown.exit_code == 2
    assert "has no connection 'uk' (it has: staffing)" in unknown.stderr


def test_check_accepts_a_working_credential() -> None:
    fake = FakeRoostedHR()
    result = invoke(["check", *TARGET], fake.transport)
    assert result.exit_code == 0, result.output
    assert "roostedhr: ok" in result.output
    assert [request.method for request in fake.requests] == ["GET"]


def test_check_reports_a_refused_credential() -> None:
    result = invoke(["check", *TARGET], FakeRoostedHR(key="another").transport)
    assert result.exit_code == 1
    assert "roostedhr: FAILED" in result.output
    assert "HTTP 401" in result.output
    assert CANARY not in result.output


def test_check_says_when_a_provider_cannot_be_checked() -> None:
    args = ["check", "--provider", "placio", "--set", "token=t", "--set", "workspace_id=w"]
    result = invoke([*args, "--set", "base_url=https://placio.example"], no_requests)
    assert result.exit_code == 0, result.output
    assert "the credential cannot be checked" in result.output


def test_check_all_checks_every_connection_of_one_reading_of_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "clientbridge.toml"
    config.write_text(
        f'[connections.good]\nprovider = "roostedhr"\napi_key = "{CANARY}"\n'
        '[connections.stale]\nprovider = "roostedhr"\napi_key = "expired"\n',
        encoding="utf-8",
    )
    readings: list[object] = []
    load_config = cb.load_config

    def counted(path: object = None) -> cb.Config:
        readings.append(path)
        return load_config(path)  # type: ignore[arg-type]

    monkeypatch.setattr(cb, "load_config", counted)
    fake = FakeRoostedHR()
    result = invoke(["check", "--all", "--config", str(config)], fake.transport)
    assert result.exit_code == 1
    assert "connection 'good' (roostedhr): ok" in result.output
    assert "connection 'stale' (roostedhr): FAILED" in result.output
    assert readings == [str(config)]


def test_import_clientbridge_does_not_import_the_cli_or_the_importer() -> None:
    code = (
        "import json, sys; import httpx; before = set(sys.modules); import clientbridge; "
        "added = sorted(set(sys.modules) - before); "
        "print(json.dumps({'httpx': sorted(before), 'clientbridge': added}))"
    )
    found = json.loads(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, check=True, text=True
        ).stdout
    )
    added = found["clientbridge"]
    heavy = ("clientbridge.cli", "clientbridge.importer", "click", "rich", "sqlite3", "cattrs")
    assert [name for name in added if name.split(".")[0] in heavy or name.startswith(heavy)] == []
    # httpx itself imports click and rich when they are installed (for its own CLI); that is
    # its import cost, not ours (see the test above: clientbridge adds neither).
    assert "clientbridge.cli" not in found["httpx"]


def test_sandbox_serve_prints_a_base_url_that_works(tmp_path: Path) -> None:
    pytest.importorskip("clientbridge.sandbox.server")
    command = [sys.executable, "-m", "clientbridge.cli", "sandbox", "serve", "-p", "placio"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with (
        deadline(60),
        subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as server,
    ):
        try:
            assert server.stdout is not None
            line = ""
            for _ in range(20):
                line = server.stdout.readline()
                if "base_url" in line:
                    break
            match = re.search(r"(http://127\.0\.0\.1:\d+\S*)", line)
            assert match, line
            settings = {
                "token": placio_emulator.TOKEN,
                "workspace_id": placio_emulator.WORKSPACE_ID,
            }
            with cb.connect("placio", base_url=match.group(1), timeout=5, **settings) as conn:
                result = conn.create(cb.Client(name="Ada Lovelace", email="ada@example.com"))
            assert result.id
            records = httpx.get(match.group(1).rstrip("/") + "/_sandbox/records", timeout=5).json()
            assert len(records) == 1
        finally:
            server.terminate()
            server.wait(timeout=10)


# --------------------------------------------------------------------------- one sandbox serve


def _options_section(help_text: str) -> str:
    return " ".join(help_text[help_text.index("Options:") :].split())  # wrapped to the terminal


def test_both_sandbox_entry_points_are_the_same_command() -> None:
    via_module = subprocess.run(
        [sys.executable, "-m", "clientbridge.sandbox", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    via_cli = invoke(["sandbox", "serve", "--help"])
    assert via_cli.exit_code == 0, via_cli.output
    assert "Usage: python -m clientbridge.sandbox serve" in via_module
    assert _options_section(via_module) == _options_section(via_cli.output)
    for option in ("--credential", "--fault-kind", "--faults-on-lookups", "--emulator-option"):
        assert option in via_module


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("nosuch=1", "not an emulator option (one of "),
        ("retain_records=maybe", "give true or false"),
        ("retry_after=soon", "give a number"),
        ("retain_records", "write it as KEY=VALUE"),
    ],
)
def test_a_wrong_emulator_option_is_a_usage_error_before_serving(option: str, message: str) -> None:
    provider = cb.providers()[0]
    result = invoke(["sandbox", "serve", "-p", provider, "--emulator-option", option])
    assert result.exit_code == 2
    assert message in result.output
    assert "base_url" not in result.output


def test_python_m_clientbridge_sandbox_serve_passes_emulator_options_on() -> None:
    command = [sys.executable, "-m", "clientbridge.sandbox", "serve", "-p", "placio"]
    command += ["--emulator-option", "retain_records=false", "--seed", "3"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with (
        deadline(60),
        subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as server,
    ):
        try:
            assert server.stdout is not None
            lines: dict[str, str] = {}
            while "records" not in lines:
                line = server.stdout.readline()
                assert line, "the server exited before it was ready"
                key, _, value = line.strip().partition(": ")
                lines[key] = value
            settings = {"token": lines["credential"], "workspace_id": "ws1", "timeout": 5}
            with cb.connect("placio", base_url=lines["base_url"], **settings) as conn:
                assert conn.create(cb.Client(name="Ada Lovelace", email="ada@example.com")).id
            # retain_records=false reached the sandbox: it counted the client, kept no record
            assert httpx.get(lines["records"], timeout=5).json() == []
        finally:
            server.terminate()
            server.wait(timeout=10)


# --------------------------------------------------------------------------- help from the registry


def test_the_top_help_points_to_the_generated_provider_list() -> None:
    result = invoke(["--help"])
    assert result.exit_code == 0
    assert '"clientbridge providers" lists the providers' in " ".join(result.output.split())


@pytest.mark.parametrize(
    "command",
    [[], ["providers"], ["create"], ["preview"], ["import"], ["check"], ["sandbox", "serve"]],
)
def test_command_help_names_no_provider(command: list[str]) -> None:
    from clientbridge.registry import adapter_class

    result = invoke([*command, "--help"])
    assert result.exit_code == 0
    text = result.output.lower()
    for name in cb.providers():
        adapter = adapter_class(name)
        for word in (adapter.name, adapter.display_name, *adapter.aliases):
            assert word.lower() not in text, (command, word)


def test_help_imports_neither_the_importer_nor_httpx() -> None:
    code = (
        "import json, sys\n"
        "from clientbridge.cli import main\n"
        "for args in (['--help'], ['import', '--help'], ['sandbox', 'serve', '--help']):\n"
        "    try:\n"
        "        main(args)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )
    loaded = json.loads(finished.stdout.splitlines()[-1])
    heavy = ("clientbridge.importer", "clientbridge.sandbox", "httpx", "anyio", "rich", "sqlite3")
    assert [name for name in loaded if name.startswith(heavy)] == []
