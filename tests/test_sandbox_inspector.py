"""Every emulator from one server, and the inspector's requests (its page is tested in a
browser in test_sandbox_inspector_browser.py). Servers on free loopback ports, bounded."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

import clientbridge as cb
from clientbridge.cli import cli
from clientbridge.sandbox import running_server
from clientbridge.sandbox.emulators import EMULATORS
from clientbridge.sandbox.server import CREDENTIAL_VARIABLE, SandboxServer

from .sandbox_process import serve_all

TIMEOUT = 5.0
README = Path(__file__).resolve().parents[1] / "README.md"
CHOSEN = "chosen-Cr3dential-0042"
STATE = "/_sandbox/inspector/state"


def ada(email: str = "ada@example.com") -> cb.Client:
    return cb.Client(
        first_name="Ada",
        last_name="Lovelace",
        email=email,
        phone="+44 7911 123456",
        company_name="Analytical Engines Ltd",
        address=cb.Address(line1="1 Main St", city="London", postal_code="SW1A 1AA", country="GB"),
    )


@pytest.fixture
def every_emulator() -> Iterator[SandboxServer]:
    with running_server(list(EMULATORS)) as server:
        yield server


def load_banner_config(server: SandboxServer, tmp_path: Path) -> cb.Config:
    text = server.announcement()
    path = tmp_path / "clientbridge.toml"
    path.write_text(text[text.index("[connections.") :], encoding="utf-8")
    return cb.load_config(path)


def post(server: SandboxServer, action: str, form: dict[str, object]) -> httpx.Response:
    return httpx.post(
        f"{server.url}_sandbox/inspector/{action}",
        data=form,
        headers={"Accept": "application/json", "Origin": server.url.rstrip("/")},
        timeout=TIMEOUT,
    )


def create_everywhere(config: cb.Config, client: cb.Client) -> None:
    for name in config.names():
        with config.connect(name, timeout=TIMEOUT) as conn:
            conn.create(client)


def test_every_emulator_is_served_under_its_own_path(every_emulator: SandboxServer) -> None:
    assert list(every_emulator.endpoints) == list(EMULATORS)
    for name, endpoint in every_emulator.endpoints.items():
        assert endpoint.base_url.startswith(f"{every_emulator.url}{name}")
        with cb.connect(name, timeout=TIMEOUT, **endpoint.settings) as conn:
            result = conn.create(ada())
        records = httpx.get(endpoint.records_url, timeout=TIMEOUT).json()
        assert len(records) == 1, name
        assert result.id in json.dumps(records), name


def test_a_path_outside_every_emulator_is_a_404_naming_their_paths(
    every_emulator: SandboxServer,
) -> None:
    response = httpx.post(f"{every_emulator.url}v1/clients", json={}, timeout=TIMEOUT)
    assert response.status_code == 404
    for name in EMULATORS:
        assert f"/{name}/" in response.json()["message"]


def test_the_printed_config_file_has_one_working_connection_per_provider(
    every_emulator: SandboxServer, tmp_path: Path
) -> None:
    config = load_banner_config(every_emulator, tmp_path)
    assert list(config.names()) == list(EMULATORS)
    create_everywhere(config, ada())
    for endpoint in every_emulator.endpoints.values():
        assert len(httpx.get(endpoint.records_url, timeout=TIMEOUT).json()) == 1
    assert every_emulator.url in every_emulator.announcement()


def test_a_chosen_credential_is_masked_and_read_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_server(list(EMULATORS), credential=CHOSEN) as server:
        banner = server.announcement()
        assert CHOSEN not in banner
        assert f"${{{CREDENTIAL_VARIABLE}}}" in banner
        monkeypatch.setenv(CREDENTIAL_VARIABLE, CHOSEN)
        create_everywhere(load_banner_config(server, tmp_path), ada())
        page = httpx.get(server.url, timeout=TIMEOUT).text
        state = httpx.get(server.url + STATE.lstrip("/"), timeout=TIMEOUT).text
    assert CHOSEN not in page
    assert CHOSEN not in state


def test_every_create_and_look_up_is_logged_with_credentials_masked(
    every_emulator: SandboxServer, tmp_path: Path
) -> None:
    create_everywhere(load_banner_config(every_emulator, tmp_path), ada())
    events = every_emulator.site.events.events()
    assert {event.provider for event in events} == set(EMULATORS)
    assert {"create", "look-up"} <= {event.kind for event in events}
    credentials = [endpoint.credential for endpoint in every_emulator.endpoints.values()]
    for event in events:
        assert event.status
        assert event.request_body is not None
        assert event.answer_body
        assert not any(credential in repr(event) for credential in credentials)
        if event.kind == "create":
            assert event.client_keys == ("ada@example.com",)
    assert any("***" in value for event in events for _, value in event.request_headers)


def test_the_state_is_sent_only_when_something_changed(every_emulator: SandboxServer) -> None:
    url = every_emulator.url + STATE.lstrip("/")
    first = httpx.get(url, timeout=TIMEOUT).json()
    assert set(first["sections"]) == {"counters", "clients", "requests", "records", "settings"}
    unchanged = httpx.get(url, params={"version": first["version"]}, timeout=TIMEOUT)
    assert unchanged.status_code == 204
    endpoint = next(iter(every_emulator.endpoints.values()))
    with cb.connect(endpoint.provider, timeout=TIMEOUT, **endpoint.settings) as conn:
        conn.create(ada())
    changed = httpx.get(url, params={"version": first["version"]}, timeout=TIMEOUT).json()
    assert changed["version"] != first["version"]
    assert "ada@example.com" in changed["sections"]["clients"]


def test_faults_switched_on_from_the_page_answer_429_until_switched_off(
    every_emulator: SandboxServer,
) -> None:
    endpoint = next(iter(every_emulator.endpoints.values()))
    on = post(
        every_emulator,
        "settings",
        {"fail_rate": "1", "fault_kind": "rate_limited", "latency_ms": "0"},
    )
    assert on.status_code == 200, on.text
    assert "faults on" in on.json()["message"]
    with cb.connect(endpoint.provider, timeout=TIMEOUT, max_retries=0, **endpoint.settings) as conn:
        with pytest.raises(cb.RateLimitedError):
            conn.create(ada())
        assert post(every_emulator, "settings", {"fail_rate": "0"}).status_code == 200
        conn.create(ada())
    statuses = [(event.status, event.fault) for event in every_emulator.site.events.events()]
    assert (429, "rate_limited") in statuses
    assert statuses[-1][1] is None
    assert every_emulator.site.events.totals(endpoint.provider)["429"] == 1


def test_latency_set_from_the_page_delays_the_answers(every_emulator: SandboxServer) -> None:
    assert post(every_emulator, "settings", {"latency_ms": "120"}).status_code == 200
    endpoint = next(iter(every_emulator.endpoints.values()))
    with cb.connect(endpoint.provider, timeout=TIMEOUT, **endpoint.settings) as conn:
        conn.create(ada())
    assert every_emulator.site.events.events()[-1].delay_ms == pytest.approx(120)


def test_a_setting_out_of_range_is_refused_and_changes_nothing(
    every_emulator: SandboxServer,
) -> None:
    refused = post(every_emulator, "settings", {"fail_rate": "2"})
    assert refused.status_code == 400
    assert "between 0 and 1" in refused.json()["message"]
    assert every_emulator.sandbox.faults.fail_rate == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://attacker.example"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Host": "attacker.example"},
    ],
    ids=["another-origin", "cross-site-fetch", "rebound-host-name"],
)
def test_another_site_cannot_change_the_settings(
    every_emulator: SandboxServer, headers: dict[str, str]
) -> None:
    response = httpx.post(
        f"{every_emulator.url}_sandbox/inspector/settings",
        data={"fail_rate": "1"},
        headers=headers,
        timeout=TIMEOUT,
    )
    assert response.status_code == 403
    assert every_emulator.sandbox.faults.fail_rate == 0


def test_a_form_post_without_scripts_comes_back_to_the_page(every_emulator: SandboxServer) -> None:
    response = httpx.post(
        f"{every_emulator.url}_sandbox/inspector/settings",
        data={"fail_rate": "0.5", "fault_kind": ["unavailable", "server_error"]},
        timeout=TIMEOUT,
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert every_emulator.sandbox.faults.fail_rate == 0.5
    assert set(every_emulator.sandbox.faults.kinds) == {"unavailable", "server_error"}


def test_clear_all_forgets_records_and_requests(
    every_emulator: SandboxServer, tmp_path: Path
) -> None:
    config = load_banner_config(every_emulator, tmp_path)
    create_everywhere(config, ada())
    unconfirmed = post(every_emulator, "clear", {})
    assert unconfirmed.status_code == 400
    assert "Confirm" in unconfirmed.json()["message"]
    assert every_emulator.site.events.events() != []
    assert post(every_emulator, "clear", {"confirm": "yes"}).status_code == 200
    assert every_emulator.site.events.events() == []
    for endpoint in every_emulator.endpoints.values():
        assert httpx.get(endpoint.records_url, timeout=TIMEOUT).json() == []
    create_everywhere(config, ada())  # the same email is new again everywhere


def test_the_records_filter_keeps_the_matching_records(
    every_emulator: SandboxServer, tmp_path: Path
) -> None:
    config = load_banner_config(every_emulator, tmp_path)
    create_everywhere(config, ada("ada@example.com"))
    create_everywhere(config, ada("grace@example.com"))
    filtered = httpx.get(every_emulator.url, params={"rq": "GRACE@"}, timeout=TIMEOUT).text
    records = filtered[filtered.index('data-section="records"') :]
    assert "grace@example.com" in records
    assert "ada@example.com" not in records
    assert records.count("1 matching") == len(EMULATORS)


def test_the_page_loads_nothing_from_another_host(every_emulator: SandboxServer) -> None:
    page = httpx.get(every_emulator.url, timeout=TIMEOUT)
    assert page.headers["Content-Type"].startswith("text/html")
    assets = re.findall(r'(?:src|href|action)="([^"]*)"', page.text)
    assert assets
    assert [asset for asset in assets if not asset.startswith(("/", "#"))] == []
    for asset in assets:
        if asset.startswith("/_sandbox/inspector/static/"):
            served = httpx.get(every_emulator.url + asset.lstrip("/"), timeout=TIMEOUT)
            assert served.status_code == 200
            text = served.text.replace('xmlns="http://www.w3.org/2000/svg"', "")
            assert "http://" not in text
            assert "https://" not in text


def test_one_emulator_keeps_the_root_and_has_the_inspector_too() -> None:
    provider = next(iter(EMULATORS))
    with running_server(provider) as server:
        assert server.base_url == server.endpoints[provider].base_url
        with cb.connect(provider, timeout=TIMEOUT, **server.settings) as conn:
            conn.create(ada())
        page = httpx.get(server.url, timeout=TIMEOUT).text
        assert "ada@example.com" in page
        assert f"inspector: {server.url}" in server.announcement()


def test_one_server_of_several_emulators_has_no_single_base_url(
    every_emulator: SandboxServer,
) -> None:
    with pytest.raises(ValueError, match="endpoints"):
        every_emulator.base_url  # noqa: B018


def test_the_server_does_not_import_jinja2_until_the_page_is_asked_for() -> None:
    code = (
        "import sys, json, httpx\n"
        "from clientbridge.sandbox import running_server\n"
        "from clientbridge.sandbox.emulators import EMULATORS\n"
        "with running_server(list(EMULATORS)) as server:\n"
        "    endpoint = next(iter(server.endpoints.values()))\n"
        "    httpx.get(endpoint.records_url, timeout=5)\n"
        "    before = 'jinja2' in sys.modules\n"
        "    httpx.get(server.url, timeout=5)\n"
        "    print(json.dumps([before, 'jinja2' in sys.modules]))\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(finished.stdout) == [False, True]


@pytest.mark.parametrize(
    "arguments", [[], ["--all", "--provider", next(iter(EMULATORS))]], ids=["neither", "both"]
)
def test_serve_takes_either_a_provider_or_all(arguments: list[str]) -> None:
    result = CliRunner().invoke(cli, ["sandbox", "serve", *arguments])
    assert result.exit_code == 2
    assert "--provider NAME or --all" in result.output


def readme_blocks(section: str) -> dict[str, str]:
    """The first ```bash and ```python blocks of the README's ``section``."""
    text = README.read_text(encoding="utf-8")
    start = text.index(section)
    end = text.find("\n#", start + len(section))
    blocks = re.findall(r"```(bash|python)\n(.*?)```", text[start:end], re.DOTALL)
    return dict(reversed(blocks))


def test_the_readme_snippet_shows_the_client_in_the_inspector(tmp_path: Path) -> None:
    blocks = readme_blocks("### Watch it land")
    command = shlex.split(blocks["bash"])
    assert command[:4] == ["clientbridge", "sandbox", "serve", "--all"]
    arguments = ["0" if word == "8765" else word for word in command[3:]]  # a free port
    with serve_all(arguments) as banner:
        (tmp_path / "clientbridge.toml").write_text(banner.config_toml, encoding="utf-8")
        for _ in range(2):  # run again: the ledger sends nothing twice
            subprocess.run(
                [sys.executable, "-c", blocks["python"]], cwd=tmp_path, check=True, timeout=60
            )
        state = httpx.get(banner.inspector_url + STATE.lstrip("/"), timeout=TIMEOUT).json()
    clients = state["sections"]["clients"]
    row = clients[clients.index('data-client="ada@example.com"') :].split("</tr>")[0]
    assert row.count('data-status="20') == len(EMULATORS)
