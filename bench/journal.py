"""Benchmark 6: cost of the import journal.

The same import with and without ``--journal``, against a RoostedHR sandbox server in
its own process (real loopback HTTP), alternating runs. Target: <= 1.15x.

    .venv/bin/python bench/journal.py [--rows 5000] [--runs 3]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, machine_note, sandbox_server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    timings: dict[str, list[float]] = {"journal": [], "no journal": []}
    with tempfile.TemporaryDirectory() as folder, sandbox_server("roostedhr") as server:
        for run in range(args.runs):
            for mode in ("journal", "no journal"):
                path = Path(folder) / f"{mode.replace(' ', '-')}-{run}.csv"
                with path.open("w", newline="", encoding="utf-8") as handle:
                    writer = csv.writer(handle)
                    writer.writerow(["company_name", "email"])
                    for number in range(args.rows):
                        writer.writerow([f"Firm {run}-{number}", f"x{run}-{number}@example.com"])
                journal = (
                    ["--journal", str(path.with_suffix(".sqlite"))]
                    if mode == "journal"
                    else ["--no-journal"]
                )
                command = [
                    sys.executable,
                    "-m",
                    "clientbridge.cli",
                    "import",
                    str(path),
                    "--provider",
                    "roostedhr",
                    "--set",
                    f"base_url={server.base_url}",
                    "--set",
                    f"api_key={server.credential}",
                    "--concurrency",
                    "16",
                    "--progress",
                    "none",
                    *journal,
                ]
                started = time.perf_counter()
                subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
                timings[mode].append(time.perf_counter() - started)
    with_journal = statistics.median(timings["journal"])
    without = statistics.median(timings["no journal"])
    print(f"journal cost, {args.rows} rows x {args.runs} runs, {machine_note()}")
    print(
        f"with journal {with_journal:.2f} s, without {without:.2f} s, "
        f"ratio {with_journal / without:.3f} (target <= 1.15)"
    )


if __name__ == "__main__":
    main()
