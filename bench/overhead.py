"""Benchmark 1: per-create overhead of clientbridge over hand-written httpx.

``conn.create(client)`` against a RoostedHR sandbox server vs ``httpx.Client.post`` of
the same JSON to the same server, interleaved in blocks so both see the same machine
state: wall time and the client's CPU time (``time.process_time``) per request. Sync
(``httpx.Client``), sync with the rate limit and total timeout off, and async against
``httpx.AsyncClient`` with the same transport (aiohttp's, the ``fast`` extra's, and
httpx's own). Target: ratio <= 1.05.

The loopback ratio depends on how fast the server answers, so the script also measures
the client-side CPU of one create with no server at all: both sides send through an
httpx transport that answers at once with the sandbox's recorded answer. The difference
is exactly what clientbridge adds per create, whatever the network.

    .venv/bin/python bench/overhead.py [--requests 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import timeit
from dataclasses import dataclass
from typing import Any

import httpx
from _common import Answer, machine_note, row, sandbox_server

import clientbridge as cb
from clientbridge.async_transport import async_client

CLIENT = cb.Client(
    first_name="Ada",
    last_name="Lovelace",
    email="ada@example.com",
    company_name="Analytical Engines Ltd",
    address=cb.Address(line1="1 Main St", city="London", postal_code="SW1A 1AA"),
)
BLOCK = 50


@dataclass
class Sides:
    """Per request, median over blocks: wall and CPU seconds of clientbridge and of raw httpx."""

    ours_wall: float
    raw_wall: float
    ours_cpu: float
    raw_cpu: float

    @property
    def wall_ratio(self) -> float:
        return self.ours_wall / self.raw_wall

    @property
    def cpu_ratio(self) -> float:
        return self.ours_cpu / self.raw_cpu


class _Blocks:
    """Wall and CPU (``time.process_time``) of each block of ``BLOCK`` requests, per side."""

    def __init__(self) -> None:
        self.wall: tuple[list[float], list[float]] = ([], [])
        self.cpu: tuple[list[float], list[float]] = ([], [])

    @staticmethod
    def order(block: int) -> tuple[int, int]:
        # ABBA: each side goes first in every other block, so neither gains from always
        # running right after the other (a warmer cache, a busier server).
        return (0, 1) if block % 2 == 0 else (1, 0)

    def add(self, side: int, wall: float, cpu: float) -> None:
        self.wall[side].append(wall)
        self.cpu[side].append(cpu)

    def sides(self) -> Sides:
        def per_request(values: list[float]) -> float:
            return statistics.median(values) / BLOCK

        return Sides(
            per_request(self.wall[0]),
            per_request(self.wall[1]),
            per_request(self.cpu[0]),
            per_request(self.cpu[1]),
        )


def sync_run(base_url: str, key: str, requests: int, **options: Any) -> Sides:
    """``Connection.create`` vs ``httpx.Client.post`` of the same JSON, interleaved."""
    conn = cb.connect("roostedhr", base_url=base_url, api_key=key, **options)
    payload = conn.preview(CLIENT)[0].json
    raw = httpx.Client(headers={"X-API-KEY": key})
    url = base_url + "/clients"
    blocks = _Blocks()
    with conn, raw:
        for _ in range(20):  # warm both connections up
            conn.create(CLIENT)
            raw.post(url, json=payload).json()
        for block in range(requests // BLOCK):
            for side in blocks.order(block):
                started, cpu = time.perf_counter(), time.process_time()
                if side == 0:
                    for _ in range(BLOCK):
                        conn.create(CLIENT)
                else:
                    for _ in range(BLOCK):
                        response = raw.post(url, json=payload)
                        response.raise_for_status()
                        response.json()
                blocks.add(side, time.perf_counter() - started, time.process_time() - cpu)
    return blocks.sides()


async def async_run(base_url: str, key: str, requests: int, transport: str) -> Sides:
    """``AsyncConnection.create`` vs ``httpx.AsyncClient.post`` with the same transport:
    ``"aiohttp"`` (the fast extra's, clientbridge's default when installed) or ``"httpx"``."""
    if transport == "aiohttp":
        options: dict[str, Any] = {}
        raw = async_client(headers={"X-API-KEY": key})
    else:
        options = {"transport": httpx.AsyncHTTPTransport()}
        raw = httpx.AsyncClient(headers={"X-API-KEY": key}, transport=httpx.AsyncHTTPTransport())
    conn = cb.connect_async("roostedhr", base_url=base_url, api_key=key, **options)
    payload = conn.preview(CLIENT)[0].json
    url = base_url + "/clients"
    blocks = _Blocks()
    async with conn, raw:
        for _ in range(20):
            await conn.create(CLIENT)
            (await raw.post(url, json=payload)).json()
        for block in range(requests // BLOCK):
            for side in blocks.order(block):
                started, cpu = time.perf_counter(), time.process_time()
                if side == 0:
                    for _ in range(BLOCK):
                        await conn.create(CLIENT)
                else:
                    for _ in range(BLOCK):
                        response = await raw.post(url, json=payload)
                        response.raise_for_status()
                        response.json()
                blocks.add(side, time.perf_counter() - started, time.process_time() - cpu)
    return blocks.sides()


def cpu_run(base_url: str, key: str) -> tuple[float, float]:
    """Client-side µs per create, clientbridge vs raw httpx, with no server."""
    with httpx.Client(headers={"X-API-KEY": key}) as probe:
        payload = cb.connect("roostedhr", base_url=base_url, api_key=key).preview(CLIENT)[0].json
        answer = probe.post(base_url + "/clients", json=payload).content
    conn = cb.connect(
        "roostedhr",
        base_url=base_url,
        api_key=key,
        http_client=httpx.Client(transport=Answer(answer)),
    )
    raw = httpx.Client(transport=Answer(answer), headers={"X-API-KEY": key})
    url = base_url + "/clients"

    def theirs() -> None:
        response = raw.post(url, json=payload)
        response.raise_for_status()
        response.json()

    def ours() -> None:
        conn.create(CLIENT)

    with conn, raw:
        timings = [
            min(timeit.repeat(function, number=2000, repeat=5)) / 2000
            for function in (ours, theirs)
        ]
    return timings[0], timings[1]


def overhead_rows(base_url: str, key: str, requests: int) -> list[tuple[str, Sides]]:
    """Every per-create comparison, interleaved against one server."""
    return [
        ("sync", sync_run(base_url, key, requests)),
        (
            "sync, no rate limit or total timeout",
            sync_run(base_url, key, requests, rate_limit="off", total_timeout=None),
        ),
        ("async, aiohttp transport", asyncio.run(async_run(base_url, key, requests, "aiohttp"))),
        ("async, httpx transport", asyncio.run(async_run(base_url, key, requests, "httpx"))),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    with sandbox_server("roostedhr", "--seed", "1") as server:
        rows = overhead_rows(server.base_url, server.credential, args.requests)
        cpu_ours, cpu_raw = cpu_run(server.base_url, server.credential)
    print(f"per-create overhead, {args.requests} requests each, {machine_note()}")
    print(
        row(
            "create vs raw httpx",
            "wall µs",
            "raw wall µs",
            "ratio",
            "CPU µs",
            "raw CPU µs",
            "CPU ratio",
            "target",
        )
    )
    print(row(*["---"] * 8))
    for name, sides in rows:
        print(
            row(
                name,
                f"{sides.ours_wall * 1e6:.0f}",
                f"{sides.raw_wall * 1e6:.0f}",
                f"{sides.wall_ratio:.3f}",
                f"{sides.ours_cpu * 1e6:.0f}",
                f"{sides.raw_cpu * 1e6:.0f}",
                f"{sides.cpu_ratio:.3f}",
                "<= 1.05",
            )
        )
    print(
        f"\nclient-side CPU per create, no server (sync): clientbridge {cpu_ours * 1e6:.0f} µs, "
        f"raw httpx {cpu_raw * 1e6:.0f} µs: clientbridge adds {(cpu_ours - cpu_raw) * 1e6:.0f} µs"
    )


if __name__ == "__main__":
    main()
