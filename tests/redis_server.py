"""A real Redis server for tests (Debian's redis-server), started on a free loopback port
and stopped by its PID.

Under CI (``CI=true``) a missing redis-server fails the tests: `.ci/run` installs it.
Elsewhere they are skipped, saying so.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def redis_server() -> Iterator[str]:
    """A redis-server on a free port for the block; yields its ``redis://`` URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server is not installed (apt-get install redis-server)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; .ci/run installs it, so CI must have it")
        pytest.skip(f"{message}; CI runs these tests")
    import redis

    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url, socket_timeout=1)
        started = time.monotonic()
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() - started > 20 or server.poll() is not None:
                    raise RuntimeError("redis-server did not start in 20 s") from None
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
