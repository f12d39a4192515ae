"""Benchmark 5: start-up cost.

``python -c "import clientbridge"`` vs ``python -c "import httpx"`` (target <= 1.5x), and
``clientbridge --help`` (target <= 400 ms), each the median of interleaved runs.

    .venv/bin/python bench/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from _common import ROOT, machine_note, row

COMMANDS = {
    "import clientbridge": [sys.executable, "-c", "import clientbridge"],
    "import httpx": [sys.executable, "-c", "import httpx"],
    "clientbridge --help": [sys.executable, "-m", "clientbridge.cli", "--help"],
    "python -c pass": [sys.executable, "-c", "pass"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, command in COMMANDS.items():
            started = time.perf_counter()
            subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
            times[name].append(time.perf_counter() - started)
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"start-up, median of {args.runs} interleaved runs, {machine_note()}")
    print(row("command", "median (ms)"))
    print(row("---", "---"))
    for name, value in median.items():
        print(row(name, f"{value * 1000:.0f}"))
    ratio = median["import clientbridge"] / median["import httpx"]
    print(f"\nimport clientbridge / import httpx = {ratio:.2f} (target <= 1.5)")
    print(f"clientbridge --help = {median['clientbridge --help'] * 1000:.0f} ms (target <= 400)")


if __name__ == "__main__":
    main()
