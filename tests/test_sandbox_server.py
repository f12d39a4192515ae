"""The sandbox as a real HTTP server on 127.0.0.1: started by each test, always stopped.

Every request has a timeout and every server is bound to a free loopback port.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

import clientbridge as cb
from clientbridge.sandbox import Sandbox, running_server, serve
from clientbridge.sandbox.emulators.agencyhandy import COMPANY_ID as AGENCYHANDY_COMPANY_ID
from clientbridge.sandbox.emulators.placio import TOKEN as PLACIO_TOKEN
from clientbridge.sandbox.server import SandboxServer

TIMEOUT = 5.0
ADA = cb.Client(name="Ada Lovelace", email="ada@example.com")


def port_is_closed(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT).close()
    except OSError:
        return True
    return False


def get_records(server: SandboxServer) -> list[dict[str, object]]:
    response = httpx.get(server.records_url, timeout=TIMEOUT)
    assert response.status_code == 200
    records: list[dict[str, object]] = response.json()
    return records


def test_a_placio_client_is_created_over_real_http() -> None:
    with running_server("placio") as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert server.credential == PLACIO_TOKEN
        with cb.connect(
            "placio",
            base_url=server.base_url,
            token=server.credential,
            workspace_id="ws1",
            timeout=TIMEOUT,
        ) as conn:
            result = conn.create(ADA)
        records = get_records(server)
    assert [record["id"] for record in records] == [result.id]
    assert records[0]["workspaceId"] == "ws1"
    assert records[0]["name"] == "Ada Lovelace"


def test_the_server_stops_when_the_block_ends() -> None:
    with running_server("placio") as server:
        port = server.port
        assert not port_is_closed(port)
    assert port_is_closed(port)


def test_the_server_stops_when_the_block_raises() -> None:
    ports = []

    def fail_inside() -> None:
        with running_server("placio") as server:
            ports.append(server.port)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_inside()
    assert port_is_closed(ports[0])


def test_stopping_does_not_wait_for_idle_keep_alive_connections() -> None:
    with httpx.Client(timeout=TIMEOUT) as http:
        with running_server("roostedhr") as server:
            response = http.get(
                f"{server.base_url}/clients", headers={"X-API-KEY": server.credential}
            )
            assert response.status_code == 200
            started = time.perf_counter()
        assert time.perf_counter() - started < 2.0


def test_connections_are_kept_alive() -> None:
    with running_server("roostedhr") as server:
        request = (
            f"GET /api/1_12/clients HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"X-API-KEY: {server.credential}\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
            answers = []
            for _ in range(2):
                sock.sendall(request)
                answers.append(sock.recv(65536))
    assert all(answer.startswith(b"HTTP/1.1 200 ") for answer in answers)
    assert all(b"Connection: close" not in answer for answer in answers)


@pytest.mark.parametrize("provider", ["roostedhr", "proconvey", "agencyhandy", "placio"])
def test_server_settings_connect_each_provider(provider: str) -> None:
    with running_server(provider) as server:
        response = httpx.get(server.records_url, timeout=TIMEOUT)
        assert server.settings["base_url"] == server.base_url
        assert server.credential in server.settings.values()
        assert server.base_url in server.announcement()
        assert f"credential: {server.credential}" in server.announcement()
    assert response.json() == []


def test_agencyhandy_header_casing_survives_real_http() -> None:
    with (
        running_server("agencyhandy") as server,
        cb.connect("agencyhandy", timeout=TIMEOUT, **server.settings) as conn,
    ):
        client = conn.create(cb.Client(first_name="Ada", last_name="L", email="ada@example.com"))
        lead = conn.create(cb.Client(first_name="Bo", last_name="L", email="bo@x.io", lead=True))
        records = get_records(server)
    assert [record["_id"] for record in records] == [client.id, lead.id]
    assert {record["company"] for record in records} == {AGENCYHANDY_COMPANY_ID}


def test_roostedhr_is_served_under_its_api_path() -> None:
    with running_server("roostedhr") as server:
        assert server.base_url.endswith("/api/1_12")
        with cb.connect("roostedhr", timeout=TIMEOUT, **server.settings) as conn:
            assert conn.create(cb.Client(company_name="Acme")).id


def test_a_chosen_credential_is_the_only_one_accepted() -> None:
    with running_server("placio", credential="my-token") as server:
        assert server.credential == "my-token"
        with (
            cb.connect(
                "placio", timeout=TIMEOUT, **{**server.settings, "token": PLACIO_TOKEN}
            ) as conn,
            pytest.raises(cb.AuthenticationError),
        ):
            conn.create(ADA)


def test_a_dropped_connection_on_the_server_may_have_been_sent() -> None:
    with running_server("placio") as server:
        server.sandbox.inject("disconnect")
        with (
            cb.connect("placio", timeout=TIMEOUT, **server.settings) as conn,
            pytest.raises(cb.TransportError) as caught,
        ):
            conn.create(ADA)
        assert get_records(server) == []
    assert caught.value.maybe_sent is True
    assert server.sandbox.injected["disconnect"] == 1


@pytest.mark.usefixtures("no_sleep")
def test_a_rate_limit_on_the_server_is_retried() -> None:
    with running_server("placio") as server:
        server.sandbox.inject("rate_limited", count=2)
        with cb.connect("placio", timeout=TIMEOUT, **server.settings) as conn:
            assert conn.create(ADA).id
        assert len(get_records(server)) == 1


def test_a_500_after_create_on_the_server_leaves_the_record() -> None:
    with running_server("placio") as server:
        server.sandbox.inject("error_after_create")
        with (
            cb.connect("placio", timeout=TIMEOUT, **server.settings) as conn,
            pytest.raises(cb.ProviderUnavailableError),
        ):
            conn.create(ADA)
        assert len(get_records(server)) == 1


def test_latency_on_the_server() -> None:
    with running_server("placio", latency_ms=50) as server:
        started = time.perf_counter()
        response = httpx.post(
            f"{server.base_url}/v1/workspace/ws1/clients",
            json={
                "name": "x",
                "contactMethods": [{"type": "other", "value": "x", "isPreferred": True}],
            },
            headers={"Authorization": f"Bearer {server.credential}"},
            timeout=TIMEOUT,
        )
    assert response.status_code == 201
    assert time.perf_counter() - started >= 0.05


def test_a_seeded_rate_on_the_server_matches_in_process() -> None:
    def outcomes(http: httpx.Client, url: str) -> list[int]:
        body = {"client_name": "Acme"}
        headers = {"X-API-KEY": "k"}
        return [http.post(url, json=body, headers=headers).status_code for _ in range(20)]

    kinds = ["rate_limited", "server_error", "unavailable"]
    with (
        running_server(
            "roostedhr", seed=9, fail_rate=0.5, fault_kinds=kinds, credential="k"
        ) as server,
        httpx.Client(timeout=TIMEOUT) as http,
    ):
        over_http = outcomes(http, f"{server.base_url}/clients")
    sandbox = Sandbox(seed=9, fail_rate=0.5, fault_kinds=kinds, credentials={"roostedhr": "k"})
    with httpx.Client(transport=sandbox.transport("roostedhr")) as http:
        in_process = outcomes(http, "https://api.roostedhr.com/api/1_12/clients")
    assert over_http == in_process


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "example.com", "::"])
def test_only_loopback_addresses_are_bound(host: str) -> None:
    with (
        pytest.raises(cb.ConfigurationError, match="loopback"),
        running_server("placio", host=host),
    ):
        pass  # pragma: no cover


def test_serve_announces_and_stops_on_request() -> None:
    announced: list[str] = []
    stop = threading.Event()
    ready = threading.Event()

    def on_ready(text: str) -> None:
        announced.append(text)
        ready.set()

    thread = threading.Thread(
        target=serve, args=("proconvey",), kwargs={"on_ready": on_ready, "stop": stop}, daemon=True
    )
    thread.start()
    try:
        assert ready.wait(TIMEOUT)
        lines = dict(line.split(": ", 1) for line in announced[0].splitlines()[1:])
        response = httpx.get(lines["records"], timeout=TIMEOUT)
        assert response.json() == []
        assert lines["credential"] == "sandbox-proconvey-key"
    finally:
        stop.set()
        thread.join(TIMEOUT)
    assert not thread.is_alive()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_python_m_clientbridge_sandbox_serve_runs_until_a_signal(stop_signal: int) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "clientbridge.sandbox", "serve", "--provider", "placio"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines: dict[str, str] = {}
        deadline = time.monotonic() + 20
        assert process.stdout is not None
        while "connect" not in lines and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            key, _, value = line.strip().partition(": ")
            lines[key] = value
        assert lines["base_url"].startswith("http://127.0.0.1:")
        with cb.connect(
            "placio",
            base_url=lines["base_url"],
            token=lines["credential"],
            workspace_id="ws1",
            timeout=TIMEOUT,
        ) as conn:
            assert conn.create(ADA).id
        process.send_signal(stop_signal)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_python_m_clientbridge_sandbox_refuses_an_unknown_provider() -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "clientbridge.sandbox", "serve", "--provider", "nosuch"],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert finished.returncode == 2
    assert "nosuch" in finished.stderr


def test_a_chosen_credential_is_masked_in_the_announcement_whoever_prints_it() -> None:
    # `python -m clientbridge.sandbox serve` prints it too, not only the clientbridge CLI.
    with running_server("placio", credential="chosen-secret-4411") as server:
        assert server.credential == "chosen-secret-4411"
        assert "chosen-secret-4411" not in server.announcement()
    with running_server("placio") as server:  # the documented default is shown
        assert f"credential: {server.credential}" in server.announcement()


def test_a_client_slow_to_send_its_body_holds_no_one_else_up() -> None:
    with running_server("placio") as server:
        head = (
            f"POST /v1/workspace/ws1/clients HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {server.credential}\r\nContent-Type: application/json\r\n"
            "Content-Length: 100\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as slow:
            slow.sendall(head)  # the body is still to come (a client paused, or slow)
            time.sleep(0.2)
            assert get_records(server) == []
