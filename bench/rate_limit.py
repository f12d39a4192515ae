"""Benchmark: imports against a sandbox that allows 50 requests a second.

Each scenario imports 3,000 rows (``clientbridge import --concurrency 16``, RoostedHR,
one request a row) into a fresh sandbox server with 20 ms latency and ``--rate-limit
50/s`` (a token bucket of 50 per credential), and reads the server's ``GET
/_sandbox/stats`` for the requests and 429s it saw:

1. adaptive: no limit configured (``rate_limit = "auto"``, the default);
2. configured: ``rate_limit = "50/s"``, the true limit;
3. today's behaviour: ``rate_limit = "off"`` (each worker waits out its own 429);
4. two import processes of 1,500 rows each sharing ``rate_limit = "50/s"`` through Redis
   (a ``redis-server`` started here on a free loopback port).

Time is the wall clock from starting the import process(es) to the last one's exit, and
is compared with the ideal: rows / limit = 60 s.

    .venv/bin/python bench/rate_limit.py [--rows 3000]
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _common import ROOT, Server, machine_note, redis_server, row, sandbox_server

LIMIT = 50
CONCURRENCY = 16
LATENCY_MS = "20"
PROVIDER = "roostedhr"


def write_csv(path: Path, rows: int, prefix: str) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["first_name", "last_name", "email", "company_name"])
        for number in range(rows):
            writer.writerow(
                [f"Ada{number}", "Lovelace", f"{prefix}{number}@example.com", f"Firm {number}"]
            )


def import_command(csv_path: Path, server: Server, report: Path, *settings: str) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "clientbridge.cli",
        "import",
        str(csv_path),
        "--provider",
        PROVIDER,
        "--set",
        f"base_url={server.base_url}",
        "--set",
        f"api_key={server.credential}",
        "--concurrency",
        str(CONCURRENCY),
        "--no-journal",
        "--progress",
        "none",
        "--exit-zero",
        "--report",
        str(report),
    ]
    for setting in settings:
        command += ["--set", setting]
    return command


def failed_rows(report: Path) -> int:
    with report.open(newline="", encoding="utf-8") as handle:
        return sum(1 for line in csv.DictReader(handle) if line["outcome"] != "created")


def stats(server: Server) -> dict[str, int]:
    with urllib.request.urlopen(server.root + "/_sandbox/stats", timeout=10) as answer:
        found: dict[str, int] = json.load(answer)
        return found


def run_imports(commands: list[list[str]]) -> float:
    """Start ``commands`` together; seconds until the last one exits."""
    started = time.perf_counter()
    processes = [
        subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for command in commands
    ]
    for process in processes:
        _, err = process.communicate(timeout=1800)
        if process.returncode != 0:
            raise RuntimeError(f"import failed ({process.returncode}): {err.decode()[-2000:]}")
    return time.perf_counter() - started


def scenario(
    folder: Path, name: str, rows: int, processes: int, *settings: str
) -> tuple[str, float, dict[str, int], int]:
    """Import ``rows`` rows split over ``processes`` processes into a fresh server."""
    per_process = rows // processes
    server_options = ("--latency-ms", LATENCY_MS, "--rate-limit", f"{LIMIT}/s")
    with sandbox_server(PROVIDER, *server_options) as server:
        commands, reports = [], []
        for index in range(processes):
            csv_path = folder / f"{name}-{index}.csv"
            write_csv(csv_path, per_process, f"{name}-{index}-")
            reports.append(folder / f"{name}-{index}.report.csv")
            commands.append(import_command(csv_path, server, reports[-1], *settings))
        elapsed = run_imports(commands)
        seen = stats(server)
    return name, elapsed, seen, sum(failed_rows(report) for report in reports)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=3000)
    args = parser.parse_args()
    ideal = args.rows / LIMIT
    results = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        results.append(scenario(folder, "adaptive", args.rows, 1))
        results.append(scenario(folder, "configured", args.rows, 1, f"rate_limit={LIMIT}/s"))
        results.append(scenario(folder, "off", args.rows, 1, "rate_limit=off"))
        with redis_server() as redis_url:
            shared = (f"rate_limit={LIMIT}/s", f"rate_limit_storage={redis_url}")
            results.append(scenario(folder, "redis", args.rows, 2, *shared))
    labels = {
        "adaptive": ("adaptive (no limit configured)", "<= 1.15x, <= 3%, 0"),
        "configured": (f'rate_limit = "{LIMIT}/s"', "<= 1.05x, ~0, 0"),
        "off": ('today\'s behaviour (rate_limit = "off")', "for comparison"),
        "redis": ("2 processes sharing the limit through Redis", "<= 1.15x, <= 3%, 0"),
    }
    print(
        f"{args.rows:,} rows into a sandbox allowing {LIMIT} requests/s (burst {LIMIT}), "
        f"latency {LATENCY_MS} ms, --concurrency {CONCURRENCY}, {PROVIDER}; "
        f"ideal {ideal:.0f} s; {machine_note()}"
    )
    print(row("scenario", "time", "vs ideal", "requests", "429s", "failed rows", "target"))
    print(row("---", "---", "---", "---", "---", "---", "---"))
    for key, elapsed, seen, failed in results:
        label, target = labels[key]
        share = seen["rate_limited"] / seen["requests"] if seen["requests"] else 0.0
        print(
            row(
                label,
                f"{elapsed:.1f} s",
                f"{elapsed / ideal:.2f}x",
                f"{seen['requests']:,}",
                f"{seen['rate_limited']:,} ({share:.1%})",
                f"{failed:,}",
                target,
            )
        )


if __name__ == "__main__":
    main()
