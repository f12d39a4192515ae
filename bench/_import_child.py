"""Run ``clientbridge import`` in this process against an in-process sandbox that keeps
no records, then print the peak RSS (KiB) — for memory.py and journal.py."""

from __future__ import annotations

import resource
import sys
import time

from clientbridge.cli import CliContext, cli
from clientbridge.sandbox import Sandbox


def main() -> None:
    sandbox = Sandbox(retain_records=False)

    def transport(provider: str, asynchronous: bool) -> object:
        return sandbox.transport(provider, asynchronous=asynchronous)

    started = time.perf_counter()
    try:
        cli.main(sys.argv[1:], obj=CliContext(transport), standalone_mode=False)
    finally:
        elapsed = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"BENCH peak_kib={peak} seconds={elapsed:.3f}", file=sys.stderr)


if __name__ == "__main__":
    main()
