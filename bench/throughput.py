"""Benchmark 3: bulk import throughput against a sandbox server with 20 ms latency.

* Per-client providers (RoostedHR): ``clientbridge import --concurrency 16`` of 10,000
  rows vs the naive loop a user would write (``conn.create`` one client after another).
  Target: >= 12x.
* AgencyHandy: ``clientbridge import`` (bulk requests of 200) vs one request per client.
  Target: >= 100x.

The sequential baselines run on a sample (``--sample`` rows, default 300) and are
compared in rows/s; at 20 ms a request, 10,000 sequential creates would take minutes.

    .venv/bin/python bench/throughput.py [--rows 10000] [--sample 300]
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, machine_note, row, sandbox_server

import clientbridge as cb

LATENCY_MS = "20"


def write_csv(path: Path, rows: int, prefix: str) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["first_name", "last_name", "email", "company_name"])
        for number in range(rows):
            writer.writerow(
                [f"Ada{number}", "Lovelace", f"{prefix}{number}@example.com", f"Firm {number}"]
            )


def import_rate(
    csv_path: Path,
    provider: str,
    base_url: str,
    key_setting: str,
    key: str,
    concurrency: int,
    rows: int,
) -> float:
    command = [
        sys.executable,
        "-m",
        "clientbridge.cli",
        "import",
        str(csv_path),
        "--provider",
        provider,
        "--set",
        f"base_url={base_url}",
        "--set",
        f"{key_setting}={key}",
        "--concurrency",
        str(concurrency),
        "--no-journal",
        "--progress",
        "none",
    ]
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"import failed ({completed.returncode}): {completed.stderr[-2000:]}")
    return rows / elapsed


def sample_clients(count: int, prefix: str) -> list[cb.Client]:
    """``count`` valid clients with distinct emails ``<prefix><n>@example.com``."""
    return [
        cb.Client(
            first_name=f"Bo{n}",
            last_name="Loop",
            email=f"{prefix}{n}@example.com",
            company_name=f"Loop {n}",
        )
        for n in range(count)
    ]


def loop_rate(provider: str, settings: dict[str, str], sample: int, prefix: str) -> float:
    clients = sample_clients(sample, prefix)
    with cb.connect(provider, **settings) as conn:
        started = time.perf_counter()
        for client in clients:
            conn.create(client)
        return sample / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=300)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for provider, key_setting, concurrency, target in (
            ("roostedhr", "api_key", 16, 12),
            ("agencyhandy", "api_key", 16, 100),
        ):
            csv_path = Path(folder) / f"{provider}.csv"
            write_csv(csv_path, args.rows, f"bulk-{provider}-")
            with sandbox_server(provider, "--latency-ms", LATENCY_MS) as server:
                bulk = import_rate(
                    csv_path,
                    provider,
                    server.base_url,
                    key_setting,
                    server.credential,
                    concurrency,
                    args.rows,
                )
                settings = {"base_url": server.base_url, key_setting: server.credential}
                naive = loop_rate(provider, settings, args.sample, f"loop-{provider}-")
            results.append((provider, concurrency, bulk, naive, target))
    print(f"bulk import, {args.rows} rows, server latency {LATENCY_MS} ms, {machine_note()}")
    print(row("provider", "import (rows/s)", "naive loop (rows/s)", "ratio", "target"))
    print(row("---", "---", "---", "---", "---"))
    for provider, concurrency, bulk, naive, target in results:
        how = (
            "bulk requests of 200" if provider == "agencyhandy" else f"--concurrency {concurrency}"
        )
        print(
            row(
                f"{provider} ({how})",
                f"{bulk:.0f}",
                f"{naive:.1f}",
                f"{bulk / naive:.1f}",
                f">= {target}x",
            )
        )


if __name__ == "__main__":
    main()
