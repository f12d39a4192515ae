"""The sandbox's rate limit: a token bucket per credential, 429s, and GET /_sandbox/stats.

Limits here are per hour, so no token comes back while a test runs: what is counted does
not depend on how fast the machine is.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import httpx
import pytest

import clientbridge as cb
from clientbridge.sandbox import Sandbox, running_server
from clientbridge.sandbox.emulators.placio import TOKEN as PLACIO_TOKEN
from clientbridge.sandbox.emulators.placio import WORKSPACE_ID as PLACIO_WORKSPACE_ID

from .import_fakes import deadline, invoke


def ada(number: int = 0) -> cb.Client:
    return cb.Client(name=f"Ada {number}", email=f"ada{number}@example.com")


def placio(sandbox: Sandbox, **options: object) -> cb.Connection:
    """A connection that takes every 429 as it comes: no limit of its own, no retry."""
    return cb.connect(
        "placio",
        sandbox=True,
        transport=sandbox.transport("placio"),
        rate_limit="off",
        max_retries=0,
        **options,  # type: ignore[arg-type]
    )


def create_all(conn: cb.Connection, count: int) -> list[cb.CreateResult | cb.ClientBridgeError]:
    outcomes: list[cb.CreateResult | cb.ClientBridgeError] = []
    for number in range(count):
        try:
            outcomes.append(conn.create(ada(number)))
        except cb.ClientBridgeError as error:
            outcomes.append(error)
    return outcomes


def test_requests_over_the_burst_are_answered_429_with_retry_after_in_whole_seconds() -> None:
    sandbox = Sandbox(rate_limit="3/h")
    with placio(sandbox) as conn:
        outcomes = create_all(conn, 5)
    refused = [outcome for outcome in outcomes if isinstance(outcome, cb.RateLimitedError)]
    assert [isinstance(outcome, cb.CreateResult) for outcome in outcomes[:3]] == [True] * 3
    assert len(refused) == 2
    # A token comes back every 1200 s: Retry-After says so, as an integer.
    assert all(error.retry_after is not None and error.retry_after >= 1000 for error in refused)
    assert all(error.retry_after == int(error.retry_after or 0) for error in refused)
    assert len(sandbox.records("placio")) == 3


def test_the_burst_option_sets_how_many_requests_go_at_once() -> None:
    sandbox = Sandbox(rate_limit="100/h", rate_limit_burst=2)
    with placio(sandbox) as conn:
        outcomes = create_all(conn, 4)
    assert [type(outcome).__name__ for outcome in outcomes] == [
        "CreateResult",
        "CreateResult",
        "RateLimitedError",
        "RateLimitedError",
    ]


def test_without_retry_after_the_429_carries_no_hint() -> None:
    sandbox = Sandbox(rate_limit="1/h", rate_limit_retry_after=False)
    with placio(sandbox) as conn:
        outcomes = create_all(conn, 2)
    assert isinstance(outcomes[1], cb.RateLimitedError)
    assert outcomes[1].retry_after is None


def test_each_credential_has_its_own_bucket() -> None:
    sandbox = Sandbox(rate_limit="1/h")
    with placio(sandbox) as conn:
        create_all(conn, 2)
    # Another credential still gets through the limit (and is refused as unknown).
    with placio(sandbox, token="another-token") as other, pytest.raises(cb.AuthenticationError):
        other.create(ada(9))
    assert sandbox.stats()["rate_limited"] == 1


def test_stats_count_requests_and_the_429s_of_the_rate_limit() -> None:
    sandbox = Sandbox(rate_limit="2/h")
    with placio(sandbox) as conn:
        create_all(conn, 5)
    stats = sandbox.stats()
    assert stats["requests"] == 5
    assert stats["rate_limited"] == 3
    assert stats["created"] == 2
    assert stats["rate_limit"] == "2/h"


def test_injected_429s_are_faults_not_the_rate_limit() -> None:
    sandbox = Sandbox()
    sandbox.inject("rate_limited")
    with placio(sandbox) as conn:
        create_all(conn, 2)
    stats = sandbox.stats()
    assert (stats["requests"], stats["rate_limited"]) == (2, 0)
    assert stats["faults"] == {"rate_limited": 1}
    assert stats["rate_limit"] is None


def test_an_unreadable_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="not a rate"):
        Sandbox(rate_limit="fast")


def test_the_server_answers_stats_as_json() -> None:
    with running_server("placio", rate_limit="1/h") as server:
        settings = {**server.settings, "workspace_id": PLACIO_WORKSPACE_ID}
        with cb.connect("placio", rate_limit="off", max_retries=0, timeout=5, **settings) as conn:
            create_all(conn, 3)
        root = re.match(r"http://[^/]+", server.base_url)
        assert root is not None
        stats = httpx.get(root.group(0) + "/_sandbox/stats", timeout=5).json()
    # Pinned: tools read these two counts.
    assert stats["requests"] == 3
    assert stats["rate_limited"] == 2


def test_sandbox_serve_takes_the_rate_limit_options() -> None:
    command = [
        sys.executable,
        "-m",
        "clientbridge.cli",
        "sandbox",
        "serve",
        "-p",
        "placio",
        "--rate-limit",
        "20/s",
        "--burst",
        "2",
        "--no-retry-after",
    ]
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
                if "records" in line:
                    break
            match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
            assert match, line
            stats = httpx.get(match.group(1) + "/_sandbox/stats", timeout=5).json()
        finally:
            server.terminate()
            server.wait(timeout=10)
    assert stats["rate_limit"] == "20/s"
    assert stats["burst"] == 2
    assert stats["retry_after"] is False


def test_sandbox_serve_refuses_an_unreadable_rate() -> None:
    result = invoke(["sandbox", "serve", "-p", "placio", "--rate-limit", "lots"])
    assert result.exit_code == 2
    assert "--rate-limit" in result.output
    assert "not a rate" in result.output


def test_python_m_sandbox_serve_takes_the_rate_limit_options() -> None:
    command = [
        sys.executable,
        "-m",
        "clientbridge.sandbox",
        "serve",
        "--provider",
        "placio",
        "--rate-limit",
        "600/min",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with (
        deadline(60),
        subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as server,
    ):
        try:
            assert server.stdout is not None
            lines = ""
            for _ in range(20):
                lines += server.stdout.readline()
                if "records" in lines:
                    break
            match = re.search(r"records: (http://127\.0\.0\.1:\d+)", lines)
            assert match, lines
            base_url = re.search(r"base_url: (\S+)", lines)
            assert base_url is not None
            with cb.connect(
                "placio",
                base_url=base_url.group(1),
                token=PLACIO_TOKEN,
                workspace_id=PLACIO_WORKSPACE_ID,
                timeout=5,
            ) as conn:
                conn.create(ada())
            stats = json.loads(httpx.get(match.group(1) + "/_sandbox/stats", timeout=5).text)
        finally:
            server.terminate()
            server.wait(timeout=10)
    assert stats["rate_limit"] == "600/min"
    assert stats["burst"] == 600
    assert (stats["requests"], stats["rate_limited"]) == (1, 0)
