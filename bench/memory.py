"""Benchmark 4: memory of a 1,000,000-row CSV import.

``clientbridge import --dry-run`` and a real import against an in-process sandbox that
keeps no records, each at 100,000 and 1,000,000 rows, in a fresh process; peak RSS from
``getrusage``. Targets: <= 150 MiB, and the 1M run within 1.2x of the 100k run.

    .venv/bin/python bench/memory.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import ROOT, machine_note, row

HEADER = "First Name,Last Name,Email Address,Company,Mobile,Postcode\n"


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER)
        for number in range(rows):
            handle.write(
                f"Ada{number},Lovelace,ada{number}@example.com,Firm {number % 977},"
                f"07700 900{number % 1000:03d},SW1A 1AA\n"  # fiction range
            )


def measure(csv_path: Path, *extra: str) -> tuple[float, float]:
    command = [
        sys.executable,
        str(Path(__file__).with_name("_import_child.py")),
        "import",
        str(csv_path),
        "--provider",
        "roostedhr",
        "--sandbox",
        "--no-journal",
        "--progress",
        "none",
        "--concurrency",
        "16",
        "--exit-zero",
        *extra,
    ]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    match = re.search(r"BENCH peak_kib=(\d+) seconds=([\d.]+)", completed.stderr)
    if not match:
        raise RuntimeError(f"the import did not report: {completed.stderr[-2000:]}")
    return int(match.group(1)) / 1024, float(match.group(2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    small_rows = args.rows // 10
    results = []
    with tempfile.TemporaryDirectory() as folder:
        small, large = Path(folder) / "small.csv", Path(folder) / "large.csv"
        write_csv(small, small_rows)
        write_csv(large, args.rows)
        for mode, extra in (("--dry-run", ("--dry-run", "--show", "0")), ("sandbox import", ())):
            small_peak, _ = measure(small, *extra)
            large_peak, large_time = measure(large, *extra)
            results.append((mode, small_peak, large_peak, large_time))
    print(f"peak RSS of an import, {small_rows:,} vs {args.rows:,} rows, {machine_note()}")
    print(
        row(
            "mode",
            f"{small_rows:,} rows (MiB)",
            f"{args.rows:,} rows (MiB)",
            "ratio",
            f"{args.rows:,} rows time (s)",
            "target",
        )
    )
    print(row("---", "---", "---", "---", "---", "---"))
    for mode, small_peak, large_peak, large_time in results:
        print(
            row(
                mode,
                f"{small_peak:.1f}",
                f"{large_peak:.1f}",
                f"{large_peak / small_peak:.2f}",
                f"{large_time:.0f}",
                "<= 150 MiB, <= 1.2x",
            )
        )


if __name__ == "__main__":
    main()
