"""Benchmark 1: per-create overhead of clientbridge over hand-written httpx.

``conn.create(client)`` against a RoostedHR sandbox server vs ``httpx.Client.post`` of
the same JSON to the same server, interleaved in blocks so both see the same machine
state. Sync (``httpx.Client``) and async (``httpx.AsyncClient``). Target: ratio <= 1.10.

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

import httpx
from _common import Answer, machine_note, row, sandbox_server

import clientbridge as cb

CLIENT = cb.Client(
    first_name="Ada",
    last_name="Lovelace",
    email="ada@example.com",
    company_name="Analytical Engines Ltd",
    address=cb.Address(line1="1 Main St", city="London", postal_code="SW1A 1AA"),
)
BLOCK = 50


def sync_run(base_url: str, key: str, requests: int) -> tuple[float, float]:
    conn = cb.connect("roostedhr", base_url=base_url, api_key=key)
    payload = conn.preview(CLIENT)[0].json
    raw = httpx.Client(headers={"X-API-KEY": key})
    url = base_url + "/clients"
    ours: list[float] = []
    theirs: list[float] = []
    with conn, raw:
        for _ in range(20):  # warm both connections up
            conn.create(CLIENT)
            raw.post(url, json=payload).json()
        for block in range(requests // BLOCK):
            # ABBA: each side goes first in every other block, so neither gains from
            # always running right after the other (a warmer cache, a busier server).
            for side in (0, 1) if block % 2 == 0 else (1, 0):
                started = time.perf_counter()
                if side == 0:
                    for _ in range(BLOCK):
                        conn.create(CLIENT)
                else:
                    for _ in range(BLOCK):
                        response = raw.post(url, json=payload)
                        response.raise_for_status()
                        response.json()
                (ours if side == 0 else theirs).append(time.perf_counter() - started)
    return statistics.median(ours) / BLOCK, statistics.median(theirs) / BLOCK


async def async_run(base_url: str, key: str, requests: int) -> tuple[float, float]:
    conn = cb.connect_async("roostedhr", base_url=base_url, api_key=key)
    payload = conn.preview(CLIENT)[0].json
    raw = httpx.AsyncClient(headers={"X-API-KEY": key})
    url = base_url + "/clients"
    ours: list[float] = []
    theirs: list[float] = []
    async with conn, raw:
        for _ in range(20):
            await conn.create(CLIENT)
            (await raw.post(url, json=payload)).json()
        for block in range(requests // BLOCK):
            for side in (0, 1) if block % 2 == 0 else (1, 0):  # ABBA, as above
                started = time.perf_counter()
                if side == 0:
                    for _ in range(BLOCK):
                        await conn.create(CLIENT)
                else:
                    for _ in range(BLOCK):
                        response = await raw.post(url, json=payload)
                        response.raise_for_status()
                        response.json()
                (ours if side == 0 else theirs).append(time.perf_counter() - started)
    return statistics.median(ours) / BLOCK, statistics.median(theirs) / BLOCK


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    with sandbox_server("roostedhr", "--seed", "1") as server:
        sync_ours, sync_raw = sync_run(server.base_url, server.credential, args.requests)
        async_ours, async_raw = asyncio.run(
            async_run(server.base_url, server.credential, args.requests)
        )
        cpu_ours, cpu_raw = cpu_run(server.base_url, server.credential)
    print(f"per-create overhead, {args.requests} requests each, {machine_note()}")
    print(row("driver", "clientbridge (µs)", "raw httpx (µs)", "ratio", "target"))
    print(row("---", "---", "---", "---", "---"))
    for name, ours, raw in (("sync", sync_ours, sync_raw), ("async", async_ours, async_raw)):
        print(row(name, f"{ours * 1e6:.0f}", f"{raw * 1e6:.0f}", f"{ours / raw:.3f}", "<= 1.10"))
    print(
        f"\nclient-side CPU per create, no server (sync): clientbridge {cpu_ours * 1e6:.0f} µs, "
        f"raw httpx {cpu_raw * 1e6:.0f} µs: clientbridge adds {(cpu_ours - cpu_raw) * 1e6:.0f} µs"
    )


if __name__ == "__main__":
    main()
