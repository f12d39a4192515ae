"""`clientbridge preview` over several connections: the coverage table, text and JSON."""

from __future__ import annotations

import json
from pathlib import Path

import clientbridge as cb
from clientbridge.registry import adapter_class
from clientbridge.testing import RICH_CLIENT

from .conftest import CANARY
from .import_fakes import invoke, no_requests

PROVIDERS = cb.providers()
RICH_FLAGS = [
    "--first-name", "Ada", "--last-name", "Lovelace", "--email", "ada@example.com",
    "--phone", "+44 7911 123456", "--company", "Analytical Engines Ltd", "--title", "Dr",
    "--address-line1", "1 Main St", "--city", "London", "--postal-code", "SW1A 1AA",
    "--country", "GB", "--contact", "whatsapp=+447911123456",
    "--avatar-url", "https://example.com/ada.png", "--source", "website",
    "--custom", "tier=gold",
]  # fmt: skip


def write_config(tmp_path: Path) -> Path:
    tables = []
    for provider in PROVIDERS:
        credential = next(s.name for s in adapter_class(provider).settings_spec if s.secret)
        tables.append(
            f'[connections.to-{provider}]\nprovider = "{provider}"\nsandbox = true\n'
            f'{credential} = "{CANARY}"\n'
        )
    path = tmp_path / "clientbridge.toml"
    path.write_text("\n".join(tables), encoding="utf-8")
    return path


def expected_previews(path: Path) -> dict[str, cb.Preview]:
    config = cb.load_config(path)
    with config.connect_many() as group:
        return group.preview(RICH_CLIENT)


def test_coverage_table_shows_each_field_against_each_connection(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    result = invoke(
        ["preview", "--config", str(path), "--all-connections", *RICH_FLAGS], no_requests
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = lines[0].split()
    assert header[0] == "FIELD"
    assert [cell for cell in header[1:] if not cell.startswith("(")] == [
        f"to-{provider}" for provider in PROVIDERS
    ]
    fields = [line.split()[0] for line in lines[1:]]
    address = [f"address.{part}" for part in ("line1", "city", "postal_code", "country")]
    given = list(RICH_CLIENT.given_fields())
    at = given.index("address") + 1
    assert fields == [*given[:at], *address, *given[at:]]
    views = expected_previews(path)
    for line, field in zip(lines[1:], fields, strict=True):
        for view in views.values():
            if field in view.dropped_fields or field.split(".")[0] in view.dropped_fields:
                assert "dropped" in line
            for wire in view.wire_fields.get(field, ()):
                assert wire in line
    assert CANARY not in result.output


def test_coverage_as_json_matches_each_connections_preview(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    names = [f"to-{provider}" for provider in PROVIDERS[:2]]
    args = ["preview", "--config", str(path), *(f"--connection={n}" for n in names)]
    result = invoke([*args, *RICH_FLAGS, "--output", "json"], no_requests)
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert list(document["connections"]) == names
    views = expected_previews(path)
    for name in names:
        view = views[name]
        assert document["connections"][name]["dropped_fields"] == list(view.dropped_fields)
        assert document["connections"][name]["warnings"] == list(view.warnings)
        for field in RICH_CLIENT.given_fields():
            if field == "external_id":
                continue
            cell = document["fields"][field][name]
            if field in view.dropped_fields:
                assert cell == "dropped"
            else:
                assert cell == list(view.wire_fields.get(field, ()))
    assert CANARY not in result.output


def test_a_connection_that_refuses_the_client_is_named_and_exits_1(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    client = cb.Client(company_name="Acme Corp", email="ops@acme.test")
    refusing = []
    for provider in PROVIDERS:
        try:
            cb.connect(provider, sandbox=True).validate(client)
        except cb.ValidationError:
            refusing.append(f"to-{provider}")
    assert refusing
    args = ["preview", "--config", str(path), "--all-connections", "--company", "Acme Corp"]
    result = invoke([*args, "--email", "ops@acme.test"], no_requests)
    assert result.exit_code == 1
    for name in refusing:
        assert f"{name}: refused: " in result.stderr
    assert "(refused)" in result.output


def test_all_connections_and_connection_do_not_mix(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    args = ["preview", "--config", str(path), "--all-connections", "-c", f"to-{PROVIDERS[0]}"]
    result = invoke([*args, "--email", "a@example.com"], no_requests)
    assert result.exit_code == 2
    assert "leave out --connection" in result.stderr


def test_one_connection_still_prints_its_requests(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    result = invoke(
        ["preview", "--config", str(path), "-c", f"to-{PROVIDERS[0]}", *RICH_FLAGS], no_requests
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(("POST ", "GET "))
