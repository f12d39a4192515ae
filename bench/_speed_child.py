"""One measured run of the async benchmarks in a fresh process (see speed.py).

    python bench/_speed_child.py KIND BASE_URL REQUESTS CONCURRENCY [CSV JOURNAL]

KIND is ``raw-httpx``, ``raw-aiohttp`` (httpx's API, the aiohttp transport),
``create-many-httpx``, ``create-many-aiohttp``, ``import-httpx`` or ``import-aiohttp``.
Prints one line ``BENCH seconds=S cpu=C``: wall seconds, and this process's CPU seconds.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import httpx
from throughput import sample_clients

import clientbridge as cb
from clientbridge.async_transport import async_client
from clientbridge.cli import CliContext, cli

KEY = "speed-bench-key"


async def raw(client: httpx.AsyncClient, url: str, count: int, concurrency: int) -> None:
    payload = {"client_name": "Firm", "client_contact_email": "a@example.com"}
    limit = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with limit:
            response = await client.post(url, json=payload, headers={"X-API-KEY": KEY})
            response.raise_for_status()
            response.json()

    async with client:
        await asyncio.gather(*(one() for _ in range(count)))


async def create_many(base_url: str, count: int, concurrency: int, **options: Any) -> None:
    batch = sample_clients(count, "speed")
    async with cb.connect_async("roostedhr", base_url=base_url, api_key=KEY, **options) as conn:
        result = await conn.create_many(batch, max_concurrency=concurrency)
    assert not result.failed, result.failed[0].error


def main() -> None:
    kind, base_url, count, concurrency = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:5])
    limits = httpx.Limits(max_connections=concurrency)
    started, cpu = time.perf_counter(), time.process_time()
    if kind == "raw-httpx":
        asyncio.run(
            raw(httpx.AsyncClient(limits=limits), base_url + "/clients", count, concurrency)
        )
    elif kind == "raw-aiohttp":
        client = async_client(limits=limits)
        asyncio.run(raw(client, base_url + "/clients", count, concurrency))
    elif kind.startswith("create-many-"):
        options = {"transport": httpx.AsyncHTTPTransport()} if kind.endswith("httpx") else {}
        asyncio.run(create_many(base_url, count, concurrency, **options))
    elif kind.startswith("import-"):
        csv_path, report = sys.argv[5], sys.argv[6]

        def transport(provider: str, asynchronous: bool) -> object:
            return httpx.AsyncHTTPTransport() if kind.endswith("httpx") else None

        command = ["import", csv_path, "--provider", "roostedhr", "--set", f"base_url={base_url}"]
        command += ["--set", f"api_key={KEY}", "--concurrency", str(concurrency)]
        command += ["--progress", "none", "--report", report]
        cli.main(command, obj=CliContext(transport), standalone_mode=False)
    else:
        raise SystemExit(f"unknown kind {kind!r}")
    print(f"BENCH seconds={time.perf_counter() - started:.4f} cpu={time.process_time() - cpu:.4f}")


if __name__ == "__main__":
    main()
