"""Shared pieces of the benchmarks: a sandbox server in its own process, timing helpers.

Every comparison is a ratio measured side by side in one run against the same loopback
server process, so machine noise hits both sides alike.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx

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


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                    connection.sendall(b"PING\r\n")
                    if connection.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start in 20 s") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


class Answer(httpx.BaseTransport):
    """Answers every request at once with ``body`` (no socket, no server)."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        headers = [("content-type", "application/json"), ("content-length", str(len(self.body)))]
        return httpx.Response(201, headers=headers, stream=httpx.ByteStream(self.body))
