"""One key in flight once across processes sharing a ledger (a SQLite file, or a real
redis-server), and a process killed with kill -9 while it holds a key."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

import clientbridge as cb
from clientbridge.sandbox import Sandbox, running_server

from . import together
from .conftest import CANARY
from .import_fakes import deadline
from .ledger_child import CLIENT
from .ledger_support import location as location  # fixtures
from .ledger_support import redis_location as redis_location

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = 4


def child(*arguments: str) -> subprocess.Popen[str]:
    return together.child("tests.ledger_child", *arguments)


def test_processes_creating_one_key_at_once_create_it_once(location: str) -> None:
    with deadline(120), running_server("roostedhr", credential=CANARY) as server:
        server.sandbox.configure(latency_ms=300)  # the first create is slow: the others wait
        server.sandbox.inject("latency", provider="roostedhr")
        children = [
            child("create", server.base_url, CANARY, location, "user-42") for _ in range(PROCESSES)
        ]
        answers = together.run_together(children)
        results = [result for result, _ in answers]
        assert [code for _, code in answers] == [0] * PROCESSES
        records = server.sandbox.records("roostedhr")
    assert len(records) == 1
    assert {result["id"] for result in results} == {records[0]["id"]}
    assert sorted(result["replayed"] for result in results) == [False] + [True] * (PROCESSES - 1)


def held_by_a_killed_process(
    location: str, ledger: cb.Ledger, conn: cb.Connection, provider: str
) -> None:
    """A child process claims ``user-1`` in ``provider`` and hangs sending; kill -9 it."""
    holder = child("hang", provider, location, "user-1", "1.5")
    try:
        account = conn.ledger_account().id
        started = time.monotonic()
        while (entry := ledger.entry(account, "user-1")) is None or entry.state != "pending":
            assert holder.poll() is None, "the child stopped before it held the key"
            assert time.monotonic() - started < 60, "the child never held the key"
            time.sleep(0.05)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
    assert holder.returncode == -signal.SIGKILL


@pytest.mark.parametrize("provider", ["roostedhr", "placio"])
def test_a_key_held_by_a_killed_process_is_unknown_once_its_lease_ends(
    location: str, provider: str
) -> None:
    sandbox = Sandbox()
    with (
        deadline(120),
        cb.Ledger(location) as ledger,
        cb.connect(
            provider,
            sandbox=True,
            transport=sandbox.transport(provider),
            ledger=ledger,
            total_timeout=10,
            settle_after=0,
        ) as conn,
    ):
        held_by_a_killed_process(location, ledger, conn, provider)
        started = time.monotonic()
        if provider == "roostedhr":  # looked up: not found, and the window has passed
            result = conn.create(CLIENT, key="user-1")
            assert result.replayed is False
        else:
            with pytest.raises(cb.UnknownOutcomeError) as raised:
                conn.create(CLIENT, key="user-1")
            assert raised.value.retry_after is None
        waited = time.monotonic() - started
        entry = ledger.entry(conn.ledger_account().id, "user-1")
        assert entry is not None
        assert entry.state == ("created" if provider == "roostedhr" else "unknown")
    assert waited < 10  # the lease (1.5 s) ended; the key was not blocked for ever
    assert len(sandbox.records(provider)) == (1 if provider == "roostedhr" else 0)
