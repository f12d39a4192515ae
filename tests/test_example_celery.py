"""The Celery example (examples/celery_signup) on real parts: redis-server, a `clientbridge
sandbox serve --all` process answering slowly, and real Celery workers.

A worker (two pool processes) is killed with SIGKILL, with its pool, while creates are
on the wire; another worker takes over. Each client then exists exactly once in every
back-office: the tasks the dead worker held come back (``acks_late``) and the ledger
replays or settles what they had started instead of sending it again, or, where a
back-office cannot be asked whether it holds the client, leaves it to a person.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest

from clientbridge import registry
from clientbridge._toml import parse_toml

from .redis_server import redis_server
from .sandbox_process import serve_all

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "celery_signup"
SIGNUPS = 20
#: Every answer of the back-offices is this late, so a kill finds creates on the wire.
LATENCY_MS = 400
#: Each request's budget in the config file: the ledger's lease is this plus 10 s.
TOTAL_TIMEOUT = 5
#: Above the lease, so a task that comes back finds its keys released.
VISIBILITY_TIMEOUT = 16
#: Bound of every wait (a loaded 2-core machine included).
WAIT = 90.0
#: The providers whose back-office can be asked whether it holds a client.
CAN_BE_ASKED = {
    provider
    for provider in registry.providers()
    if registry.adapter_class(provider).capabilities.find_existing
}

pytestmark = pytest.mark.timeout(300)


def email(user_id: int) -> str:
    return f"user-{user_id:02d}@example.com"


def wait_until(condition: Callable[[], bool], what: str, seconds: float = WAIT) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds:g} s: {what}"
        time.sleep(0.05)


@contextmanager
def worker(name: str, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A Celery worker with two prefork processes, in a process group of its own
    (stopped with its pool by the group's id)."""
    command = [sys.executable, "-m", "celery", "-A", "signup", "worker", "--pool=prefork"]
    command += ["--concurrency=2", "--loglevel=INFO", "--without-mingle", "--without-gossip"]
    with log.open("ab") as output:
        process = subprocess.Popen(
            [*command, "-n", f"{name}@%h"],
            cwd=EXAMPLE,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        kill_group(process)


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL ``process`` and every process of its group, and wait until all are gone."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)

    def group_gone() -> bool:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return True
        return False

    wait_until(group_gone, "the worker's pool processes exit", 10)


class BackOffices:
    """The sandbox server's back-offices, read over HTTP (Host 127.0.0.1, as the
    inspector requires of its callers)."""

    def __init__(self, config_toml: str) -> None:
        connections = parse_toml(config_toml)["connections"]
        self.base_urls = {name: table["base_url"] for name, table in connections.items()}

    def records(self) -> dict[str, list[str]]:
        """Per provider, each stored record as JSON text."""
        found = {}
        for provider, base_url in self.base_urls.items():
            answer = httpx.get(f"{base_url}/_sandbox/records", timeout=10)
            answer.raise_for_status()
            found[provider] = [json.dumps(record) for record in answer.json()]
        return found

    def copies(self, records: dict[str, list[str]], user_id: int) -> dict[str, int]:
        """How many records of user ``user_id`` each back-office holds."""
        quoted = json.dumps(email(user_id))
        return {
            provider: sum(quoted in record for record in held) for provider, held in records.items()
        }


class LedgerView:
    """The ledger's entries as the Redis store keeps them: (provider, key) -> state."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)

    def entries(self) -> dict[tuple[str, str], str]:
        states = {}
        for name in self.client.scan_iter("clientbridge:ledger:*"):
            account = name.decode().removeprefix("clientbridge:ledger:")
            if account.startswith("ids:"):
                continue
            provider = account.split(" ")[0]
            for key, raw in self.client.hgetall(name).items():
                states[provider, key.decode()] = json.loads(raw)["state"]
        return states

    def pending(self) -> set[tuple[str, str]]:
        return {entry for entry, state in self.entries().items() if state == "pending"}


def load_example(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> Any:
    """The example's module in this process (to queue tasks and read their results)."""
    monkeypatch.setenv("SIGNUP_REDIS_URL", redis_url)
    spec = importlib.util.spec_from_file_location("celery_signup_example", EXAMPLE / "signup.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def on_the_wire(held: set[tuple[str, str]], offices: BackOffices) -> bool:
    """Whether the create of each key in ``held`` has reached its back-office."""
    records = offices.records()
    return all(
        offices.copies(records, int(key.removeprefix("user-")))[provider] == 1
        for provider, key in held
    )


#: How long what a stopped or killed worker had written takes to land, at most.
LANDING = 0.3


def kill_on_the_wire(
    process: subprocess.Popen[bytes],
    results: list[Any],
    ledger: LedgerView,
    offices: BackOffices,
) -> None:
    """Kill the worker with SIGKILL once some tasks are done and others are sending.

    The worker is stopped (SIGSTOP) first, so its state can be read once what it had
    written has landed in Redis and the back-offices: a kill then is a kill at that
    state. It is killed when every key it holds has reached its back-office (each create
    is on the wire, its answer not yet back); otherwise (a key claimed, its request not
    yet sent) it goes on (SIGCONT) and the moment is looked for again.
    """
    deadline = time.monotonic() + WAIT
    while True:
        done = sum(result.ready() for result in results)
        assert done < len(results), "every task finished before the worker could be killed"
        assert time.monotonic() < deadline, f"no moment to kill the worker in {WAIT:g} s"
        if done >= 3 and ledger.pending():
            os.killpg(process.pid, signal.SIGSTOP)
            time.sleep(LANDING)
            held = ledger.pending()
            if held and on_the_wire(held, offices):
                kill_group(process)
                return
            os.killpg(process.pid, signal.SIGCONT)
        time.sleep(0.02)


def test_a_worker_killed_mid_run_leaves_each_client_once_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (
        redis_server() as redis_url,
        serve_all(("--all", "--latency-ms", str(LATENCY_MS))) as banner,
    ):
        base = redis_url.removesuffix("/0")
        config = tmp_path / "clientbridge.toml"
        budget = f"timeout = {TOTAL_TIMEOUT}\ntotal_timeout = {TOTAL_TIMEOUT}\n"
        config.write_text(
            "\n".join(
                line + ("\n" + budget if line.startswith("[connections.") else "")
                for line in banner.config_toml.splitlines()
            )
        )
        env = {
            **os.environ,
            "SIGNUP_REDIS_URL": base,
            "SIGNUP_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "CLIENTBRIDGE_CONFIG": str(config),
            "PYTHONUNBUFFERED": "1",
        }
        example = load_example(monkeypatch, base)
        offices = BackOffices(banner.config_toml)
        ledger = LedgerView(f"{base}/2")
        log = tmp_path / "workers.log"
        results: list[Any] = []
        try:
            results += [
                example.sign_up.delay(n, email(n), "Ada", f"Signup{n}")
                for n in range(1, SIGNUPS + 1)
            ]
            with worker("first", env, log) as first:
                kill_on_the_wire(first, results, ledger, offices)
            time.sleep(LANDING)
            # What the dead worker left: keys it held, each create on the wire.
            held = ledger.pending()
            assert held, "the worker held no key when it was killed"
            assert on_the_wire(held, offices), held
            done_before = {n for n, result in enumerate(results, 1) if result.ready()}
            print(f"killed after {len(done_before)} sign-ups, holding {sorted(held)}")
            with worker("second", env, log):
                wait_until(lambda: all(result.ready() for result in results), "every task ends")

            records = offices.records()
            for n in range(1, SIGNUPS + 1):
                assert offices.copies(records, n) == dict.fromkeys(offices.base_urls, 1), n
            # Nothing was sent twice: a create per client per back-office.
            assert {p: len(stored) for p, stored in records.items()} == dict.fromkeys(
                offices.base_urls, SIGNUPS
            )

            # Where the back-office can be asked, the ledger settled each key the dead
            # worker held (found: created, not sent again); elsewhere a person must look.
            entries = ledger.entries()
            needs_a_person = {entry for entry in held if entry[0] not in CAN_BE_ASKED}
            unsettled = {entry for entry, state in entries.items() if state != "created"}
            assert unsettled == needs_a_person, entries
            states = {f"user-{n}": result.state for n, result in enumerate(results, 1)}
            failed = {key for key, state in states.items() if state == "FAILURE"}
            assert failed == {key for _, key in needs_a_person}, states
            for n in range(1, SIGNUPS + 1):
                if f"user-{n}" not in failed:
                    assert set(results[n - 1].result) == set(offices.base_urls)
            # The kill was mid-run: tasks had finished, and others were not begun.
            assert 3 <= len(done_before) < SIGNUPS - len({key for _, key in held})
        except BaseException:
            print(log.read_text(errors="replace")[-20000:])
            raise
        finally:
            results.clear()  # each result lets go of the backend before it closes
            gc.collect()
            example.app.close()
            ledger.client.close()
