"""Python function calls per create: clientbridge vs raw httpx, sync and async (deterministic).

On a shared machine timings swing by tens of percent; the number of Python calls a create
makes does not. This profiles ``--creates`` creates of one client with `cProfile` against
one loopback RoostedHR sandbox server, beside the same number of raw ``httpx`` posts of the
same JSON (sync: ``httpx.Client``; async: ``httpx.AsyncClient`` with the same transport),
and prints calls per create, in all and in clientbridge's own modules. ``--top`` lists the
clientbridge functions called most per create.

    .venv/bin/python bench/calls.py [--creates 200] [--top 0]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
from collections.abc import Callable
from typing import Any

import httpx
from _common import machine_note, row, sandbox_server
from overhead import CLIENT  # the client bench/overhead.py times

import clientbridge as cb
from clientbridge.async_transport import async_client


def _calls(run: Callable[[], None], creates: int) -> tuple[float, float, list[tuple[float, str]]]:
    """Calls per create in all and in clientbridge, and clientbridge's functions by calls."""
    profile = cProfile.Profile()
    profile.runcall(run)
    return _calls_from(profile, creates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=200)
    parser.add_argument("--top", type=int, default=0, help="list the N most called functions")
    args = parser.parse_args()
    creates = args.creates
    print(machine_note())
    with sandbox_server("roostedhr", "--seed", "1") as server:
        key, base_url = server.credential, server.base_url
        url = base_url + "/clients"
        conn = cb.connect("roostedhr", base_url=base_url, api_key=key)
        payload = conn.preview(CLIENT)[0].json
        raw = httpx.Client(headers={"X-API-KEY": key})

        def raw_sync() -> None:
            for _ in range(creates):
                response = raw.post(url, json=payload)
                response.raise_for_status()
                response.json()

        def ours_sync() -> None:
            for _ in range(creates):
                conn.create(CLIENT)

        for _ in range(10):  # warm both up: connections, caches, lazy imports
            conn.create(CLIENT)
            raw.post(url, json=payload).json()
        results = {"sync": (_calls(ours_sync, creates), _calls(raw_sync, creates))}
        conn.close()
        raw.close()

        async def both() -> tuple[Any, Any]:
            aconn = cb.connect_async("roostedhr", base_url=base_url, api_key=key)
            araw = async_client(headers={"X-API-KEY": key})
            loop = asyncio.get_running_loop()

            async def ours_async() -> None:
                for _ in range(creates):
                    await aconn.create(CLIENT)

            async def raw_async() -> None:
                for _ in range(creates):
                    response = await araw.post(url, json=payload)
                    response.raise_for_status()
                    response.json()

            async with aconn, araw:
                for _ in range(10):
                    await aconn.create(CLIENT)
                    (await araw.post(url, json=payload)).json()
                out = []
                for run in (ours_async, raw_async):
                    profile_run = _AsyncProfile(loop)
                    out.append(await profile_run.calls(run, creates))
            return out[0], out[1]

        results["async (default transport)"] = asyncio.run(both())
    print(row("what", "calls/create", "raw httpx", "ratio", "in clientbridge"))
    for what, ((total, ours, _), (raw_total, _, _)) in results.items():
        print(
            row(what, f"{total:.0f}", f"{raw_total:.0f}", f"{total / raw_total:.2f}", f"{ours:.0f}")
        )
    for what, ((_, _, by_function), _) in results.items():
        if args.top:
            print(f"\n{what}: clientbridge's functions by calls per create")
            for calls, name in by_function[: args.top]:
                print(f"  {calls:6.1f}  {name}")


class _AsyncProfile:
    """`cProfile` around an awaited coroutine (the loop's own calls count too)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    async def calls(
        self, run: Callable[[], Any], creates: int
    ) -> tuple[float, float, list[tuple[float, str]]]:
        profile = cProfile.Profile()
        profile.enable()
        await run()
        profile.disable()
        return _calls_from(profile, creates)


def _calls_from(
    profile: cProfile.Profile, creates: int
) -> tuple[float, float, list[tuple[float, str]]]:
    stats: dict[Any, Any] = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    total = ours = 0
    by_function: list[tuple[float, str]] = []
    for (filename, line, name), (_, calls, *_rest) in stats.items():
        total += calls
        path = filename.replace("\\", "/")
        if "/clientbridge/" in path:
            ours += calls
            by_function.append(
                (calls / creates, f"{path.split('/clientbridge/')[-1]}:{line}({name})")
            )
    by_function.sort(reverse=True)
    return total / creates, ours / creates, by_function


if __name__ == "__main__":
    main()
