"""Shared fixtures: a canary credential, JSON mock providers, anyio on asyncio.

The suite runs in parallel (README: ``pytest -n auto --dist worksteal``), so every test
must hold on its own in any worker, in any order:

* no fixed port: a server in the test's process binds port 0 and reports the port it got;
  one in another process (redis-server, a sandbox restarted on its port) is given
  ``tests.redis_server.free_port()``;
* files only under ``tmp_path`` / ``tmp_path_factory`` (per worker), never in the repo; a
  build of something in the repo (``pip install`` of an example) works on a copy;
* environment through ``monkeypatch.setenv`` only, and to child processes through their
  ``env=``; no session fixture changes ``os.environ`` or the working directory;
* a module- or session-scoped fixture runs once per worker that runs one of its tests
  (worksteal splits modules): each copy must be independent (its own port and data
  directory for a redis-server, its own browser profile);
* no timed assertions, and every process and wait bounded with room for a loaded machine.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from clientbridge.ratelimit import forget_limits

#: A credential that must never appear in any repr, log, error, preview or file.
CANARY = "canary-Sup3rS3cret-0042"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Recorder:
    """An `httpx.MockTransport` handler that records requests and answers from a script."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)

    @property
    def bodies(self) -> list[Any]:
        return [
            json.loads(request.content) if request.content else None for request in self.requests
        ]

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def respond(
    status: int, body: Any = None, **headers: str
) -> Callable[[httpx.Request], httpx.Response]:
    """A handler that always answers ``status`` with a JSON ``body``."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body, headers=headers)

    return answer


def sequence(*responses: httpx.Response) -> Callable[[httpx.Request], httpx.Response]:
    """A handler answering with ``responses`` in turn (the last one repeats)."""
    queue = list(responses)

    def answer(request: httpx.Request) -> httpx.Response:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return answer


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """Pauses and rates learned from 429s last for the process: each test starts afresh."""
    forget_limits()
    yield
    forget_limits()


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Make retry back-off instant; returns the delays that would have been slept.

    Time as the rate limiter reads it moves on by each delay instead (a pause asked for
    by ``Retry-After`` ends when it has been "slept" through).
    """
    slept: list[float] = []
    clock = [time.monotonic()]

    def sleep(self: object, seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    async def async_sleep(self: object, seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    monkeypatch.setattr("clientbridge.ratelimit._throttle.monotonic", lambda: clock[0])

    monkeypatch.setattr("clientbridge.driver.SyncDriver.sleep", sleep)
    monkeypatch.setattr("clientbridge.driver.AsyncDriver.sleep", async_sleep)
    return slept
