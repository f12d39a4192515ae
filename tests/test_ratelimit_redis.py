"""A rate limit shared by processes through a real Redis server (Debian's redis-server),
started by these tests on a free loopback port and stopped by its PID.

Under CI (``CI=true``) a missing redis-server fails the tests: `.ci/run` installs it.
Elsewhere they are skipped, saying so.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import clientbridge as cb
from clientbridge.sandbox import running_server
from clientbridge.sandbox.emulators.placio import WORKSPACE_ID as PLACIO_WORKSPACE_ID

from . import together
from .conftest import CANARY
from .import_fakes import deadline
from .redis_server import free_port, redis_server

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def run_processes(base_url: str, count: int, *limit: str) -> list[dict[str, int]]:
    """Two processes creating ``count`` clients each, started together."""
    children = [
        together.child(
            "tests.ratelimit_child",
            base_url,
            CANARY,
            PLACIO_WORKSPACE_ID,
            str(count),
            f"process{index}-",
            *limit,
        )
        for index in range(2)
    ]
    return [result for result, _ in together.run_together(children)]


def test_two_processes_share_one_limit_through_redis(redis_url: str) -> None:
    with (
        deadline(120),
        running_server(
            "placio", credential=CANARY, rate_limit="50/s", rate_limit_burst=20
        ) as server,
    ):
        results = run_processes(server.base_url, 40, "50/s", redis_url)
        stats = server.sandbox.stats()
    assert results == [{"created": 40, "failed": 0}] * 2
    assert (stats["requests"], stats["rate_limited"]) == (80, 0)


def test_without_redis_two_processes_each_spend_the_whole_limit(redis_url: str) -> None:
    with (
        deadline(120),
        running_server(
            "placio", credential=CANARY, rate_limit="50/s", rate_limit_burst=20
        ) as server,
    ):
        run_processes(server.base_url, 40, "50/s")
        stats = server.sandbox.stats()
    assert stats["rate_limited"] > 0


def test_the_redis_key_names_the_account_by_a_digest(redis_url: str) -> None:
    import redis

    with running_server("placio", credential=CANARY) as server:
        settings = {"token": CANARY, "workspace_id": PLACIO_WORKSPACE_ID}
        # One request a minute: the bucket's key lives long enough to be read.
        with cb.connect(
            "placio",
            base_url=server.base_url,
            rate_limit="1/min",
            rate_limit_storage=redis_url,
            timeout=5,
            **settings,
        ) as conn:
            conn.create(cb.Client(name="Ada", email="ada@example.com"))
    client = redis.Redis.from_url(redis_url)
    try:
        keys = [key.decode() for key in client.keys("clientbridge:*")]
    finally:
        client.close()
    assert len(keys) == 1
    assert keys[0].startswith("clientbridge:rate-limit:placio:")
    assert CANARY not in keys[0]


@pytest.mark.anyio
async def test_async_connections_share_the_redis_limit_too(redis_url: str) -> None:
    with running_server(
        "placio", credential=CANARY, rate_limit="100/s", rate_limit_burst=30
    ) as server:
        settings = {"token": CANARY, "workspace_id": PLACIO_WORKSPACE_ID}
        options = {"rate_limit": "100/s", "rate_limit_storage": redis_url, "timeout": 5}
        async with (
            cb.connect_async("placio", base_url=server.base_url, **options, **settings) as one,
            cb.connect_async("placio", base_url=server.base_url, **options, **settings) as two,
        ):
            import anyio

            batches: list[cb.BatchResult] = []

            async def create(conn: cb.AsyncConnection, prefix: str) -> None:
                clients = [cb.Client(name="Ada", email=f"{prefix}{n}@x.test") for n in range(40)]
                batches.append(await conn.create_many(clients))

            async with anyio.create_task_group() as tasks:
                tasks.start_soon(create, one, "one")
                tasks.start_soon(create, two, "two")
        stats = server.sandbox.stats()
    assert all(batch.ok for batch in batches)
    assert (stats["requests"], stats["rate_limited"]) == (80, 0)


def test_an_unreachable_storage_sends_nothing_and_hides_its_password() -> None:
    with running_server("placio", credential=CANARY) as server:
        settings = {"token": CANARY, "workspace_id": PLACIO_WORKSPACE_ID}
        storage = f"redis://:{CANARY}@127.0.0.1:{free_port()}/0"
        with cb.connect(
            "placio",
            base_url=server.base_url,
            rate_limit="10/s",
            rate_limit_storage=storage,
            **settings,
        ) as conn:
            with pytest.raises(cb.TransportError) as raised:
                conn.create(cb.Client(name="Ada", email="ada@example.com"))
        stats = server.sandbox.stats()
    assert raised.value.maybe_sent is False
    assert "***@127.0.0.1" in str(raised.value)
    assert CANARY not in str(raised.value)
    assert stats["requests"] == 0
