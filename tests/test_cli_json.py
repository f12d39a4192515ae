"""The CLI for scripts and newcomers: one JSON document per command (errors too), what a
provider is not sent (preview and the import summary), config-file messages, ``check --all``.

Providers come from the registry and the sandbox emulators, never by name.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import clientbridge as cb
from clientbridge.importer import ImportSummary, format_summary
from clientbridge.registry import adapter_class
from clientbridge.sandbox.emulators import EMULATORS
from clientbridge.sandbox.server import running_server
from clientbridge.testing import RICH_CLIENT

from .conftest import CANARY
from .import_fakes import invoke, write_csv

DOCS = Path(__file__).resolve().parent.parent / "docs"
#: the keys of every JSON error (docs/cli.md, "JSON output")
ERROR_KEYS = {
    "type",
    "message",
    "field",
    "errors",
    "provider",
    "status_code",
    "outcome_unknown",
    "columns",
    "exit_code",
}
ADA = ["--first-name", "Ada", "--last-name", "Lovelace", "--email", "ada@example.com"]
#: scalar fields a CSV column sets directly
SCALAR_FIELDS = ("phone", "title", "source", "company_name", "avatar_url")


def sandboxed(provider: str) -> list[str]:
    return ["--provider", provider, "--sandbox"]


def one_provider() -> str:
    return sorted(EMULATORS)[0]


def provider_that_drops(field: str | None = None) -> tuple[str, str]:
    """A provider whose sandbox drops one of `SCALAR_FIELDS` of the rich client, and it."""
    for name in sorted(EMULATORS):
        with cb.connect(name, sandbox=True) as conn:
            dropped = conn.preview(RICH_CLIENT).dropped_fields
        for candidate in SCALAR_FIELDS:
            if candidate in dropped and field in (None, candidate):
                return name, candidate
    pytest.skip("no emulated provider drops a scalar field")


def document(result: Any) -> dict[str, Any]:
    """The one JSON document a command printed on stdout (nothing else is there)."""
    parsed = json.loads(result.stdout)
    assert isinstance(parsed, dict)
    return parsed


def clients_csv(tmp_path: Path, field: str, rows: int = 3) -> Path:
    value = {"phone": "+44 7911 123456", "avatar_url": "https://example.com/a.png"}
    return write_csv(
        tmp_path / "clients.csv",
        [
            ["first_name", "last_name", "email", field],
            *(
                [f"Ada{n}", "Lovelace", f"ada{n}@example.com", value.get(field, "Dr")]
                for n in range(rows)
            ),
        ],
    )


# ------------------------------------------------------------------ JSON output


def command_lines(tmp_path: Path) -> dict[str, list[str]]:
    provider = one_provider()
    csv_file = write_csv(
        tmp_path / "c.csv", [["first_name", "last_name", "email"], ["Ada", "Lo", "ada@x.example"]]
    )
    return {
        "providers": ["providers"],
        "create": ["create", *sandboxed(provider), *ADA],
        "preview": ["preview", *sandboxed(provider), *ADA],
        "check": ["check", *sandboxed(provider)],
        "import": ["import", str(csv_file), *sandboxed(provider), "--progress", "plain"],
    }


@pytest.mark.parametrize("spelling", [["--json"], ["--output", "json"], ["-o", "json"]])
@pytest.mark.parametrize("command", ["providers", "create", "preview", "check", "import"])
def test_every_command_prints_one_json_document_on_stdout(
    tmp_path: Path, command: str, spelling: list[str]
) -> None:
    result = invoke([*command_lines(tmp_path)[command], *spelling])
    assert result.exit_code == 0, result.output
    answer = document(result)
    assert answer["ok"] is True


def test_providers_json_lists_each_provider_with_capabilities_and_settings() -> None:
    answer = document(invoke(["providers", "--json"]))
    listed = {entry["name"]: entry for entry in answer["providers"]}
    assert set(cb.providers()) <= set(listed) | {item["name"] for item in answer["unavailable"]}
    for name, entry in listed.items():
        adapter = adapter_class(name)
        assert entry["capabilities"]["bulk_size"] == adapter.capabilities.bulk_size
        assert [setting["name"] for setting in entry["settings"]] == [
            setting.name for setting in adapter.settings_spec
        ]


def test_create_json_holds_the_result() -> None:
    result = invoke(["create", *sandboxed(one_provider()), *ADA, "--json"])
    created = document(result)["result"]
    assert created["id"]
    assert created["client"]["email"] == "ada@example.com"


def test_import_json_holds_the_summary_and_progress_stays_off_stdout(tmp_path: Path) -> None:
    provider, field = provider_that_drops()
    csv_file = clients_csv(tmp_path, field)
    args = ["import", str(csv_file), *sandboxed(provider), "--progress", "plain", "--json"]
    result = invoke(args)
    assert result.exit_code == 0, result.output
    [summary] = document(result)["imports"]
    assert summary["counts"]["created"] == 3
    assert summary["exit_code"] == 0


@pytest.mark.parametrize(
    ("args", "code", "kind"),
    [
        (["create", "--frobnicate"], 2, "UsageError"),
        (["create", "--company", "Acme"], 2, "UsageError"),  # no target
        (["providers", "no-such-provider"], 2, "ConfigurationError"),
        (["import", "missing.csv", "--provider", "x"], 2, "UsageError"),
        (["check", "--provider", "no-such-provider"], 2, "ConfigurationError"),
    ],
)
def test_errors_are_one_json_document_with_the_exit_code(
    args: list[str], code: int, kind: str
) -> None:
    result = invoke([*args, "--json"])
    assert result.exit_code == code
    error = document(result)["error"]
    assert document(result)["ok"] is False
    assert set(error) == ERROR_KEYS
    assert (error["type"], error["exit_code"]) == (kind, code)
    assert error["message"]


def test_an_invalid_client_is_a_json_error_naming_the_field() -> None:
    provider = one_provider()
    result = invoke(["create", *sandboxed(provider), *ADA[:4], "--email", "nope", "--json"])
    assert result.exit_code == 1
    error = document(result)["error"]
    assert (error["type"], error["field"], error["exit_code"]) == ("ValidationError", "email", 1)
    assert error["errors"][0]["field"] == "email"
    assert "Traceback" not in result.output


def test_a_refused_credential_is_a_json_error_without_the_credential(tmp_path: Path) -> None:
    seen = []
    for name in sorted(EMULATORS):
        adapter = adapter_class(name)
        secrets = [setting.name for setting in adapter.settings_spec if setting.secret]
        target = [*sandboxed(name), *(f"--set={key}={CANARY}" for key in secrets)]
        csv_file = write_csv(tmp_path / "c.csv", [["first_name", "email"], ["A", "a@x.example"]])
        for args in (
            ["create", *target, *ADA],
            ["preview", *target, *ADA],
            ["check", *target],
            ["import", str(csv_file), *target, "--progress", "none", "--no-journal"],
        ):
            result = invoke([*args, "--json"])
            seen.append(result.output)
            assert result.exit_code in {0, 1, 2}
            document(result)  # one JSON document, whatever happened
    assert all(CANARY not in output for output in seen)
    assert any('"AuthenticationError"' in output for output in seen)


def test_error_json_keeps_its_keys_for_every_error_class() -> None:
    from clientbridge.cli.output import error_json

    for error in (
        cb.ConfigurationError("x"),
        cb.ValidationError.from_errors("P", (cb.FieldError("email", "bad"),)),
        cb.AuthenticationError("no", provider="p", status_code=401),
        KeyboardInterrupt(),
    ):
        assert set(error_json(error, 1)) == ERROR_KEYS


def test_the_client_as_json_is_client_json_and_json_alone_asks_for_json_output(
    tmp_path: Path,
) -> None:
    client = tmp_path / "client.json"
    client.write_text(
        json.dumps({"first_name": "Ada", "last_name": "Lo", "email": "ada@example.com"}),
        encoding="utf-8",
    )
    provider = one_provider()
    good = invoke(["preview", *sandboxed(provider), "--client-json", f"@{client}", "--json"])
    assert good.exit_code == 0, good.output
    assert document(good)["requests"]
    old = invoke(["preview", *sandboxed(provider), "--json", f"@{client}"])
    assert old.exit_code == 2
    assert "--client-json" in document(old)["error"]["message"]


def test_the_json_output_section_documents_the_error_keys() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    section = text[text.index("## JSON output") :]
    section = section[: section.index("\n## ", 4)]
    block = re.search(r'```json\n(\{\n  "ok": false.*?)```', section, re.DOTALL)
    assert block, "docs/cli.md shows the error document"
    assert set(json.loads(block.group(1))["error"]) == ERROR_KEYS
    for command in ("providers", "create", "preview", "check", "import"):
        assert f"`{command}`" in section


# ------------------------------------------------------------------ what is not sent


def test_preview_prints_the_fields_not_sent_with_why_and_the_warnings() -> None:
    provider, field = provider_that_drops()
    with cb.connect(provider, sandbox=True) as conn:
        expected = conn.preview(RICH_CLIENT)
        reasons = {name: conn.dropped_reason(name) for name in expected.dropped_fields}
    flags = [*ADA, f"--{field.replace('_', '-')}"]
    flags.append("+44 7911 123456" if field == "phone" else "Dr")
    if field == "company_name":
        flags[-2] = "--company"
    result = invoke(["preview", *sandboxed(provider), *flags])
    assert result.exit_code == 0, result.output
    assert f"Not sent:\n  {field}: {reasons[field]}" in result.stdout
    assert "Warnings:" in result.stdout
    answer = document(invoke(["preview", *sandboxed(provider), *flags, "--json"]))
    assert field in answer["dropped_fields"]
    assert {"field": field, "reason": reasons[field]} in answer["dropped"]
    assert answer["warnings"]


def test_the_import_summary_counts_each_field_not_sent_and_says_why(tmp_path: Path) -> None:
    provider, field = provider_that_drops()
    with cb.connect(provider, sandbox=True) as conn:
        reason = conn.dropped_reason(field)
    csv_file = clients_csv(tmp_path, field, rows=3)
    args = ["import", str(csv_file), *sandboxed(provider), "--progress", "none"]
    result = invoke(args)
    assert result.exit_code == 0, result.output
    assert f"  {field}: not sent for 3 rows — {reason}" in result.stdout
    dry = invoke([*args, "--dry-run", "--show", "0"])
    assert f"  {field}: would not be sent for 3 rows — {reason}" in dry.stdout
    [summary] = document(invoke([*args, "--json"]))["imports"]
    assert {"field": field, "rows": 3, "reason": reason} in summary["dropped"]


def test_the_reason_names_the_provider_for_every_adapter() -> None:
    for name in cb.providers():
        with cb.connect(name, sandbox=True) as conn:
            for field in conn.preview(RICH_CLIENT).dropped_fields:
                assert conn.display_name in conn.dropped_reason(field)


def test_format_summary_lists_dropped_fields_in_the_order_first_met() -> None:
    summary = ImportSummary(source=Path("c.csv"), target="t", provider="p")
    summary.add_dropped(["title", "phone"], lambda field: f"P has no {field} on create")
    summary.add_dropped(["phone"], lambda field: "asked again")
    text = format_summary(summary)
    assert "Not sent:\n  title: not sent for 1 row — P has no title on create\n" in text
    assert "  phone: not sent for 2 rows — P has no phone on create" in text


# ------------------------------------------------------------------ config that helps


def test_a_missing_config_file_names_config_and_the_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLIENTBRIDGE_CONFIG", raising=False)
    result = invoke(["create", "-c", "uk", "--name", "Ada"])
    assert result.exit_code == 2
    assert "--config" in result.stderr
    assert "$CLIENTBRIDGE_CONFIG" in result.stderr
    monkeypatch.setenv("CLIENTBRIDGE_CONFIG", str(tmp_path / "elsewhere.toml"))
    named = invoke(["check", "--all"])
    assert "elsewhere.toml (named by $CLIENTBRIDGE_CONFIG) not found" in named.stderr


def write_config_with_missing_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    names = sorted(EMULATORS)
    for variable in ("I19_UNSET_A", "I19_UNSET_B", "I19_UNSET_C"):
        monkeypatch.delenv(variable, raising=False)
    first, second = names[0], names[1 % len(names)]
    first_secret = next(s.name for s in adapter_class(first).settings_spec if s.secret)
    config = tmp_path / "clientbridge.toml"
    config.write_text(
        f'[connections.broken]\nprovider = "{first}"\n{first_secret} = "${{I19_UNSET_A}}"\n'
        f'base_url = "${{I19_UNSET_B}}"\n\n'
        f'[connections.working]\nprovider = "{second}"\nsandbox = true\n\n'
        f'[connections.also_broken]\nprovider = "{second}"\nbase_url = "${{I19_UNSET_C}}"\n'
        "sandbox = true\n",
        encoding="utf-8",
    )
    return config


def test_check_all_lists_every_missing_variable_and_checks_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config_with_missing_variables(tmp_path, monkeypatch)
    result = invoke(["check", "--all", "--config", str(config)])
    assert result.exit_code == 2
    assert "Not set: I19_UNSET_A, I19_UNSET_B, I19_UNSET_C" in result.stdout
    working = next(line for line in result.stdout.splitlines() if "'working'" in line)
    assert "CANNOT" not in working
    assert "FAILED" not in working
    answer = document(invoke(["check", "--all", "--config", str(config), "--json"]))
    assert answer["missing_variables"] == ["I19_UNSET_A", "I19_UNSET_B", "I19_UNSET_C"]
    assert [target["ok"] for target in answer["targets"]] == [False, True, False]
    assert answer["exit_code"] == 2


def test_a_connection_with_a_missing_variable_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config_with_missing_variables(tmp_path, monkeypatch)
    result = invoke(["check", "-c", "broken", "--config", str(config)])
    assert result.exit_code == 2
    assert "I19_UNSET_A, I19_UNSET_B, which are not set" in result.stderr


# ------------------------------------------------------------------ the sandbox's base URLs


def test_the_banner_config_reaches_every_emulator_over_http(tmp_path: Path) -> None:
    with running_server(sorted(EMULATORS)) as server:
        config = tmp_path / "clientbridge.toml"
        config.write_text(server.config_toml(), encoding="utf-8")
        result = invoke(["check", "--all", "--config", str(config), "--json"])
        assert result.exit_code == 0, result.output
        created = [
            invoke(["create", "-c", name, "--config", str(config), *ADA, "--json"])
            for name in sorted(EMULATORS)
        ]
    assert [item.exit_code for item in created] == [0] * len(EMULATORS), [
        item.output for item in created
    ]


def test_the_cli_docs_sandbox_example_uses_the_full_base_url(tmp_path: Path) -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    section = text[text.index("## `sandbox serve`") :]
    example = re.search(
        r"-p (\S+) --set base_url=(http://127\.0\.0\.1:8765\S*)\s*\\?\s*--set (\w+)=", section
    )
    assert example, "docs/cli.md shows an import pointed at a served emulator"
    provider, documented, _ = example.groups()
    with running_server(provider) as server:
        assert urlsplit(documented).path == urlsplit(server.base_url).path
        base_url = documented.replace("127.0.0.1:8765", f"127.0.0.1:{server.port}")
        secret = next(s.name for s in adapter_class(provider).settings_spec if s.secret)
        csv_file = write_csv(
            tmp_path / "c.csv", [["first_name", "email"], ["Ada", "ada@example.com"]]
        )
        target = ["-p", provider, "--set", f"base_url={base_url}"]
        target += ["--set", f"{secret}={server.credential}", "--progress", "none", "--no-journal"]
        result = invoke(["import", str(csv_file), *target])
    assert result.exit_code == 0, result.output


def test_a_dry_run_in_json_holds_the_shown_requests_and_nothing_else_on_stdout(
    tmp_path: Path,
) -> None:
    provider, field = provider_that_drops()
    csv_file = clients_csv(tmp_path, field, rows=3)
    args = ["import", str(csv_file), *sandboxed(provider), "--dry-run", "--show", "2", "--json"]
    answer = document(invoke([*args, "--progress", "plain"]))
    assert [preview["row"] for preview in answer["previews"]] == [2, 3]
    assert all(preview["requests"] for preview in answer["previews"])
    [summary] = answer["imports"]
    assert (summary["dry_run"], summary["counts"]["valid"]) == (True, 3)


def test_an_import_into_several_connections_prints_a_summary_for_each(tmp_path: Path) -> None:
    names = sorted(EMULATORS)[:2]
    config = tmp_path / "clientbridge.toml"
    config.write_text(
        "".join(
            f'[connections.c{n}]\nprovider = "{name}"\nsandbox = true\n'
            for n, name in enumerate(names)
        ),
        encoding="utf-8",
    )
    csv_file = clients_csv(tmp_path, "title", rows=2)
    args = ["import", str(csv_file), "--config", str(config), "--all-connections"]
    result = invoke([*args, "--no-journal", "--progress", "none", "--json"])
    answer = document(result)
    assert [summary["connection"] for summary in answer["imports"]] == ["c0", "c1"][: len(names)]
    assert answer["exit_code"] == result.exit_code
