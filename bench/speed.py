"""Speed at the limit: every figure of issue 28 in one table, measured side by side in one run.

1. Per create against one loopback sandbox server, interleaved in blocks (overhead.py):
   clientbridge vs raw httpx, wall and the client's CPU per request; sync, sync with the
   rate limit and total timeout off, async with aiohttp's transport and with httpx's.
2. The ceiling: ``--rows`` requests at 20 ms latency, 16 in flight, against a minimal
   loopback server in its own process (ceiling 16 / 0.020 s = 800 a second). Each run is a
   fresh process; the kinds take turns (``--rounds`` rounds), and the best round is shown
   with the client's CPU per request: raw httpx, raw httpx with the aiohttp transport,
   ``create_many`` and the journaled ``clientbridge import`` with each transport.
3. AgencyHandy: an import of ``--bulk-rows`` rows (bulk requests of 200) vs one create
   per client, at 20 ms against its sandbox server (as throughput.py).

    .venv/bin/python bench/speed.py [--rows 4000] [--rounds 2] [--requests 1000]

On a shared machine wall-clock figures move with the load; the CPU figures move much less.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from _common import ROOT, machine_note, row, sandbox_server
from overhead import overhead_rows
from throughput import import_rate, loop_rate, write_csv

HERE = Path(__file__).resolve().parent
LATENCY_MS = 20
CONCURRENCY = 16
CEILING = CONCURRENCY / (LATENCY_MS / 1000)
KINDS = (
    ("raw-httpx", "raw `httpx.AsyncClient` (httpcore)"),
    ("raw-aiohttp", "raw `httpx.AsyncClient`, aiohttp transport"),
    ("create-many-httpx", "`create_many`, httpx transport"),
    ("create-many-aiohttp", "`create_many`, aiohttp transport (default with `[fast]`)"),
    ("import-httpx", "`clientbridge import` (journal on), httpx transport"),
    ("import-aiohttp", "`clientbridge import` (journal on), aiohttp transport"),
)


@contextmanager
def minimal_server() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, str(HERE / "_minimal_server.py"), "--latency-ms", str(LATENCY_MS)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = process.stdout.readline().split(":")[1].strip()
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)


def child(kind: str, base_url: str, rows: int, folder: Path, run: int) -> tuple[float, float]:
    """One run of ``kind`` in a fresh process: (rows a second, CPU seconds per request)."""
    command = [sys.executable, str(HERE / "_speed_child.py"), kind, base_url, str(rows)]
    command.append(str(CONCURRENCY))
    if kind.startswith("import-"):
        path = folder / f"{kind}-{run}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["first_name", "last_name", "email", "company_name"])
            for n in range(rows):
                writer.writerow([f"Ada{n}", "Lovelace", f"{kind}{run}-{n}@example.com", f"F{n}"])
        command += [str(path), str(folder / f"{kind}-{run}-report.csv")]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    found = re.search(r"BENCH seconds=([\d.]+) cpu=([\d.]+)", done.stdout)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{kind} failed: {done.stdout[-1000:]}{done.stderr[-2000:]}")
    seconds, cpu = float(found.group(1)), float(found.group(2))
    return rows / seconds, cpu / rows


def ceiling_rows(rows: int, rounds: int) -> dict[str, tuple[float, float]]:
    """Best rows/s of each kind over ``rounds`` interleaved rounds, with that run's CPU."""
    best: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as folder, minimal_server() as base_url:
        for run in range(rounds):
            kinds = KINDS if run % 2 == 0 else tuple(reversed(KINDS))
            for kind, _ in kinds:
                rate, cpu = child(kind, base_url, rows, Path(folder), run)
                if kind not in best or rate > best[kind][0]:
                    best[kind] = (rate, cpu)
    return best


def batching(rows: int, sample: int) -> tuple[float, float]:
    """AgencyHandy: import rows/s (bulk) vs the naive loop's (one create per client)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "agencyhandy.csv"
        write_csv(path, rows, "bulk-agencyhandy-")
        with sandbox_server("agencyhandy", "--latency-ms", str(LATENCY_MS)) as server:
            bulk = import_rate(
                path, "agencyhandy", server.base_url, "api_key", server.credential, 16, rows
            )
            settings = {"base_url": server.base_url, "api_key": server.credential}
            naive = loop_rate("agencyhandy", settings, sample, "loop-agencyhandy-")
    return bulk, naive


def micro(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} µs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--bulk-rows", type=int, default=10_000, help="AgencyHandy import rows")
    args = parser.parse_args()
    with sandbox_server("roostedhr", "--seed", "1") as server:
        creates = overhead_rows(server.base_url, server.credential, args.requests)
    ceiling = ceiling_rows(args.rows, args.rounds)
    bulk, naive = batching(args.bulk_rows, args.sample)

    load = os.getloadavg()[0]
    print(f"{machine_note()}; load average at the end {load:.1f}")
    print(row("what", "measured", "client CPU per request", "target", "met"))
    print(row(*["---"] * 5))
    for name, sides in creates:
        met = "yes" if sides.wall_ratio <= 1.05 else "no"
        print(
            row(
                f"create vs raw httpx, {name} (wall ratio; CPU ratio)",
                f"{sides.wall_ratio:.3f} ({micro(sides.ours_wall)} vs {micro(sides.raw_wall)})",
                f"{micro(sides.ours_cpu)} vs {micro(sides.raw_cpu)} ({sides.cpu_ratio:.3f})",
                "<= 1.05",
                met,
            )
        )
    print(
        row(
            f"the ceiling: {CONCURRENCY} in flight / {LATENCY_MS} ms",
            f"{CEILING:.0f} rows/s",
            "",
            "",
            "",
        )
    )
    for kind, label in KINDS:
        rate, cpu = ceiling[kind]
        target = ">= 85% (680 rows/s)" if kind == "import-aiohttp" else ""
        met = ("yes" if rate >= 0.85 * CEILING else "no") if target else ""
        print(
            row(
                f"{label}, {args.rows} rows",
                f"{rate:.0f} rows/s ({rate / CEILING:.0%})",
                f"{cpu * 1e3:.2f} ms",
                target,
                met,
            )
        )
    ratio = bulk / naive
    print(
        row(
            "AgencyHandy import (bulk of 200) vs one create per client",
            f"{ratio:.0f}x ({bulk:.0f} vs {naive:.1f} rows/s)",
            "",
            ">= 100x",
            "yes" if ratio >= 100 else "no",
        )
    )


if __name__ == "__main__":
    main()
