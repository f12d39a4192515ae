"""Shared pieces of the benchmarks: a sandbox server in its own process, timing helpers.

Every comparison is a ratio measured side by side in one run against the same loopback
server process, so machine noise hits both sides alike.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class Server:
    base_url: str
    credential: str
    root: str


@contextlib.contextmanager
def sandbox_server(provider: str, *extra: str) -> Iterator[Server]:
    """`python -m clientbridge.sandbox serve` in a separate process on 127.0.0.1."""
    process = subprocess.Popen(
        [sys.executable, "-m", "clientbridge.sandbox", "serve", "--provider", provider, *extra],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        lines: dict[str, str] = {}
        deadline = time.monotonic() + 30
        while "credential" not in lines:
            if time.monotonic() > deadline:
                raise RuntimeError("the sandbox server did not start in 30 s")
            line = process.stdout.readline()
            if not line:
                raise RuntimeError("the sandbox server exited before it was ready")
            match = re.match(r"(\w+): (.*)", line.strip())
            if match:
                lines[match.group(1)] = match.group(2)
        base_url = lines["base_url"]
        root = re.match(r"https?://[^/]+", base_url)
        assert root is not None
        yield Server(base_url=base_url, credential=lines["credential"], root=root.group(0))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def machine_note() -> str:
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def row(*cells: object) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"
