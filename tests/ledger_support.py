"""What the ledger tests share: a ledger on each backend, and one way to call a sync or
an async connection (so that every behaviour is checked both ways)."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

import clientbridge as cb
from clientbridge.sandbox import Sandbox

from .redis_server import redis_server
from .test_group import person

__all__ = ["person"]

BACKENDS = ["sqlite", "redis"]
MODES = ["sync", "async"]


@pytest.fixture(scope="session")
def redis_location() -> Iterator[str]:
    with redis_server() as url:
        yield url


def fresh_redis(url: str) -> str:
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()
    return url


def location_for(request: pytest.FixtureRequest, backend: str, tmp_path: Any) -> str:
    if backend == "sqlite":
        return str(tmp_path / "clients.ledger")
    return fresh_redis(request.getfixturevalue("redis_location"))


@pytest.fixture(params=BACKENDS)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new ledger's location: a file, or a flushed database of the session's Redis."""
    return location_for(request, request.param, tmp_path)


@pytest.fixture
def ledger(location: str) -> Iterator[cb.Ledger]:
    with cb.Ledger(location) as made:
        yield made


class Either:
    """A sync or an async connection (or group), called the same way from a test."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    async def create(self, client: cb.Client, **kwargs: Any) -> Any:
        return await _awaited(self.conn.create(client, **kwargs))

    async def create_many(self, clients: list[cb.Client], **kwargs: Any) -> Any:
        return await _awaited(self.conn.create_many(clients, **kwargs))

    async def close(self) -> None:
        await _awaited(self.conn.close())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.conn, name)


async def _awaited(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


@asynccontextmanager
async def connected(
    mode: str, provider: str, sandbox: Sandbox, **settings: Any
) -> AsyncIterator[Either]:
    """A connection to ``provider`` answered by ``sandbox``: sync or async."""
    if mode == "sync":
        conn = cb.connect(provider, sandbox=True, transport=sandbox.transport(provider), **settings)
        try:
            yield Either(conn)
        finally:
            conn.close()
    else:
        transport = sandbox.transport(provider, asynchronous=True)
        async with cb.connect_async(
            provider, sandbox=True, transport=transport, **settings
        ) as made:
            yield Either(made)


@asynccontextmanager
async def grouped(
    mode: str, sandbox: Sandbox, providers: list[str], **settings: Any
) -> AsyncIterator[Either]:
    """A group of one connection per provider (named ``to-<provider>``), sync or async."""
    if mode == "sync":
        connections = {
            f"to-{p}": cb.connect(p, sandbox=True, transport=sandbox.transport(p))
            for p in providers
        }
        with cb.ConnectionGroup(connections, **settings) as group:
            yield Either(group)
    else:
        made = {
            f"to-{p}": cb.connect_async(
                p, sandbox=True, transport=sandbox.transport(p, asynchronous=True)
            )
            for p in providers
        }
        async with cb.AsyncConnectionGroup(made, **settings) as agroup:
            yield Either(agroup)
