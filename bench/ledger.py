"""Benchmark: what a ledger adds to a create against a loopback server.

``conn.create(client, key=...)`` against a RoostedHR sandbox server (its own process, on
127.0.0.1) with no ledger, a SQLite ledger (a file in a temporary directory) and a Redis
ledger (a ``redis-server`` started here on a free loopback port), interleaved in blocks
(the order rotates every block) so that all three see the same machine state. Every
create has a key of its own, so each one is sent: a claim before and a record after.
Target: a ledger adds <= 5% (ratio <= 1.05). ``--latency-ms`` delays the server's
answers (a provider farther away than the loopback).

Also: the cost of a replay (a key already created: one claim, nothing sent), and the
ledger's own round trips with no server (claim + record, µs).

    .venv/bin/python bench/ledger.py [--requests 3000] [--latency-ms 0]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import secrets
import statistics
import tempfile
import time
import timeit
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
from _common import Answer, machine_note, redis_server, row, sandbox_server
from fanout import client

import clientbridge as cb
from clientbridge.ledger import Store

BLOCK = 20
SIDES = ("none", "sqlite", "redis")


def ledgers(folder: str, redis_url: str) -> dict[str, cb.Ledger | None]:
    return {
        "none": None,
        "sqlite": cb.Ledger(Path(folder) / "bench.ledger"),
        "redis": cb.Ledger(redis_url),
    }


def blocks(requests: int, first: int) -> Iterator[tuple[str, list[tuple[cb.Client, str]]]]:
    """Per block, each side in turn (the order rotating) with its clients and keys: 20
    warm-up creates per side first (their times are dropped: block -1)."""
    numbers = itertools.count(first)
    for block in range(-1, requests // BLOCK):
        for side in SIDES[block % 3 :] + SIDES[: block % 3]:
            yield side, [(client(n), f"k-{n}") for n in itertools.islice(numbers, BLOCK)]


def per_create(timings: dict[str, list[float]]) -> dict[str, float]:
    """Seconds per create of each side: the median block (the warm-up block dropped)."""
    return {side: statistics.median(values[1:]) / BLOCK for side, values in timings.items()}


def sync_run(
    base_url: str, key: str, made: dict[str, cb.Ledger | None], requests: int
) -> dict[str, float]:
    conns = {
        side: cb.connect("roostedhr", base_url=base_url, api_key=key, ledger=ledger)
        for side, ledger in made.items()
    }
    timings: dict[str, list[float]] = {side: [] for side in SIDES}
    try:
        for side, batch in blocks(requests, 0):
            conn, keyed = conns[side], made[side] is not None
            started = time.perf_counter()
            for person, name in batch:
                conn.create(person, key=name if keyed else None)
            timings[side].append(time.perf_counter() - started)
    finally:
        for conn in conns.values():
            conn.close()
    return per_create(timings)


async def async_run(
    base_url: str, key: str, made: dict[str, cb.Ledger | None], requests: int
) -> dict[str, float]:
    conns = {
        side: cb.connect_async("roostedhr", base_url=base_url, api_key=key, ledger=ledger)
        for side, ledger in made.items()
    }
    timings: dict[str, list[float]] = {side: [] for side in SIDES}
    try:
        for side, batch in blocks(requests, 10_000_000):  # keys of their own
            conn, keyed = conns[side], made[side] is not None
            started = time.perf_counter()
            for person, name in batch:
                await conn.create(person, key=name if keyed else None)
            timings[side].append(time.perf_counter() - started)
    finally:
        for conn in conns.values():
            await conn.aclose()
        for ledger in made.values():
            if ledger is not None:
                await ledger.aclose()
    return per_create(timings)


def claim_and_record(store: Store, account: str) -> Callable[[], None]:
    """One claim and one record of a new key: the ledger's round trips for a create."""
    numbers = itertools.count()

    def once() -> None:
        name, now = f"bare-{next(numbers)}", time.time()
        store.claim(account, name, holder="bench", now=now, lease_until=now + 60)
        store.record_created(account, name, client_id="x", result="{}")

    return once


def replay_and_store(base_url: str, key: str, made: dict[str, cb.Ledger | None]) -> dict:
    """µs per replay (nothing sent), and per claim + record with no create at all."""
    figures: dict[str, tuple[float, float]] = {}
    for side in ("sqlite", "redis"):
        ledger = made[side]
        assert ledger is not None
        with cb.connect("roostedhr", base_url=base_url, api_key=key, ledger=ledger) as conn:
            conn.create(client(1), key="replayed")

            def replay(conn: cb.Connection = conn) -> None:
                conn.create(client(1), key="replayed")

            replayed = min(timeit.repeat(replay, number=500, repeat=5)) / 500
            bare_run = claim_and_record(ledger.store, conn.ledger_account().id)
            bare = min(timeit.repeat(bare_run, number=500, repeat=5)) / 500
        figures[side] = (replayed, bare)
    return figures


def creates(conn: cb.Connection, *, keyed: bool) -> Callable[[], None]:
    """A create of a new client each call (under a key of its own when ``keyed``)."""
    numbers = itertools.count()
    prefix = secrets.token_hex(4)  # new keys each run, even on a ledger used before

    def create() -> None:
        number = next(numbers)
        conn.create(client(number), key=f"{prefix}-{number}" if keyed else None)

    return create


def cpu_run(base_url: str, key: str, made: dict[str, cb.Ledger | None]) -> dict:
    """Client-side µs per create with no server (an instant answer), per ledger: the
    difference is exactly what the ledger adds, whatever the network."""
    with httpx.Client(headers={"X-API-KEY": key}) as probe:
        plain = cb.connect("roostedhr", base_url=base_url, api_key=key)
        payload = plain.preview(client(0))[0].json
        answer = probe.post(base_url + "/clients", json=payload).content
    figures = {}
    for side, ledger in made.items():
        conn = cb.connect(
            "roostedhr",
            base_url=base_url,
            api_key=key,
            http_client=httpx.Client(transport=Answer(answer)),
            ledger=ledger,
        )

        create = creates(conn, keyed=ledger is not None)
        with conn:
            figures[side] = min(timeit.repeat(create, number=200, repeat=15)) / 200
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="the server's delay of every answer"
    )
    args = parser.parse_args()
    latency = ("--latency-ms", str(args.latency_ms)) if args.latency_ms else ()
    with (
        sandbox_server("roostedhr", "--seed", "1", *latency) as server,
        redis_server() as redis_url,
        tempfile.TemporaryDirectory() as folder,
    ):
        made = ledgers(folder, redis_url)
        sync = sync_run(server.base_url, server.credential, made, args.requests)
        extra = replay_and_store(server.base_url, server.credential, made)
        cpu = cpu_run(server.base_url, server.credential, made)
        made = ledgers(folder + "/", redis_url)  # fresh handles for the event loop
        asynchronous = asyncio.run(
            async_run(server.base_url, server.credential, made, args.requests)
        )
    print(
        f"create with a ledger vs none, {args.requests} creates each, server latency "
        f"{args.latency_ms:g} ms, {machine_note()}"
    )
    print(row("driver", "ledger", "µs per create", "ratio to none", "target"))
    print(row("---", "---", "---", "---", "---"))
    for name, figures in (("sync", sync), ("async", asynchronous)):
        for side in SIDES:
            ratio = figures[side] / figures["none"]
            target = "" if side == "none" else "<= 1.05"
            print(row(name, side, f"{figures[side] * 1e6:.0f}", f"{ratio:.3f}", target))
    print()
    print(
        row(
            "ledger",
            "added per create, no server (µs)",
            "claim + record alone (µs)",
            "replay (µs, nothing sent)",
        )
    )
    print(row("---", "---", "---", "---"))
    for side, (replay, bare) in extra.items():
        added = (cpu[side] - cpu["none"]) * 1e6
        print(row(side, f"{added:.0f}", f"{bare * 1e6:.0f}", f"{replay * 1e6:.0f}"))
    print(f"\n(a create with no ledger and no server: {cpu['none'] * 1e6:.0f} µs of CPU)")


if __name__ == "__main__":
    main()
