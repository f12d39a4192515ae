"""Benchmark: a group's create over every provider vs one connection's create.

One sandbox server per registered provider, each in its own process on 127.0.0.1 and
answering after ``--latency-ms`` (default 100). The figure is the median of
``group.create(client)`` (sync: a thread per connection; async: a task group) divided by
the median of one connection's ``create`` (the slowest provider's, measured in the same
run). Target: <= 1.2 (the connections are asked at once, not one after another).

    .venv/bin/python bench/fanout.py [--creates 20] [--latency-ms 100]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import time
from collections.abc import Iterator
from typing import Any

from _common import machine_note, row, sandbox_server

import clientbridge as cb
from clientbridge.registry import adapter_class
from clientbridge.sandbox import SANDBOX_SETTINGS


def client(number: int) -> cb.Client:
    return cb.Client(
        first_name="Ada",
        last_name=f"Lovelace{number}",
        email=f"ada{number}@example.com",
        company_name="Analytical Engines Ltd",
        address=cb.Address(line1="1 Main St", city="London", postal_code="SW1A 1AA"),
    )


@contextlib.contextmanager
def servers(latency_ms: float) -> Iterator[dict[str, dict[str, Any]]]:
    """Settings for a connection to each provider's own sandbox server."""
    with contextlib.ExitStack() as stack:
        settings: dict[str, dict[str, Any]] = {}
        for provider in cb.providers():
            server = stack.enter_context(sandbox_server(provider, "--latency-ms", str(latency_ms)))
            credential = next(s.name for s in adapter_class(provider).settings_spec if s.secret)
            settings[provider] = {
                **SANDBOX_SETTINGS.get(provider, {}),
                "base_url": server.base_url,
                credential: server.credential,
            }
        yield settings


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def sync_run(settings: dict[str, dict[str, Any]], creates: int) -> tuple[float, float]:
    singles: dict[str, list[float]] = {provider: [] for provider in settings}
    fanout: list[float] = []
    connections = {
        provider: cb.connect(provider, **values) for provider, values in settings.items()
    }
    with cb.ConnectionGroup(connections) as group:
        group.create(client(0))  # look-ups cached, connections open
        for number in range(1, creates + 1):
            for provider, conn in connections.items():
                started = time.perf_counter()
                conn.create(client(number * 10 + 1))
                singles[provider].append(time.perf_counter() - started)
            started = time.perf_counter()
            fan = group.create(client(number * 10 + 2))
            fanout.append(time.perf_counter() - started)
            fan.raise_for_errors()
    return max(median_ms(s) for s in singles.values()), median_ms(fanout)


async def async_run(settings: dict[str, dict[str, Any]], creates: int) -> tuple[float, float]:
    singles: dict[str, list[float]] = {provider: [] for provider in settings}
    fanout: list[float] = []
    connections = {
        provider: cb.connect_async(provider, **values) for provider, values in settings.items()
    }
    async with cb.AsyncConnectionGroup(connections) as group:
        await group.create(client(100_000))
        for number in range(1, creates + 1):
            for provider, conn in connections.items():
                started = time.perf_counter()
                await conn.create(client(100_000 + number * 10 + 1))
                singles[provider].append(time.perf_counter() - started)
            started = time.perf_counter()
            fan = await group.create(client(100_000 + number * 10 + 2))
            fanout.append(time.perf_counter() - started)
            fan.raise_for_errors()
    return max(median_ms(s) for s in singles.values()), median_ms(fanout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--creates", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    arguments = parser.parse_args()
    print(f"{machine_note()}; {len(cb.providers())} connections, {arguments.latency_ms:g} ms")
    print(row("driver", "one connection (slowest, median ms)", "group (median ms)", "ratio"))
    print(row("---", "---", "---", "---"))
    with servers(arguments.latency_ms) as settings:
        single, group = sync_run(settings, arguments.creates)
        print(row("sync", f"{single:.1f}", f"{group:.1f}", f"{group / single:.2f}"))
        single, group = asyncio.run(async_run(settings, arguments.creates))
        print(row("async", f"{single:.1f}", f"{group:.1f}", f"{group / single:.2f}"))


if __name__ == "__main__":
    main()
