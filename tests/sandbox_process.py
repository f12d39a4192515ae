"""``clientbridge sandbox serve --all`` in a subprocess, bounded in time, and its banner."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import attrs

#: The banner's last line, after the config file.
CONFIG_END = "# end of clientbridge.toml"
STARTUP = 30.0


@attrs.frozen
class Banner:
    text: str

    @property
    def inspector_url(self) -> str:
        return next(
            line.split()[1] for line in self.text.splitlines() if line.startswith("inspector: ")
        )

    @property
    def config_toml(self) -> str:
        return self.text[self.text.index("[connections.") :]


@contextmanager
def serve_all(arguments: Sequence[str] = ("--all",)) -> Iterator[Banner]:
    """Run ``clientbridge sandbox serve ARGUMENTS`` until the block ends; yield its banner."""
    command = [sys.executable, "-m", "clientbridge.cli", "sandbox", "serve", *arguments]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    lines: queue.Queue[str] = queue.Queue()
    output = process.stdout
    assert output is not None
    threading.Thread(target=lambda: [lines.put(line) for line in output], daemon=True).start()
    try:
        banner: list[str] = []
        deadline = time.monotonic() + STARTUP
        while not (banner and banner[-1].startswith(CONFIG_END)):
            banner.append(lines.get(timeout=max(0.1, deadline - time.monotonic())))
        yield Banner("".join(banner))
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def serve_provider(
    provider: str, *arguments: str, until: str = "records"
) -> Iterator[dict[str, str]]:
    """Run ``clientbridge sandbox serve -p PROVIDER ARGUMENTS`` until the block ends; yield
    the ``key: value`` lines it announces (read up to the one named ``until``)."""
    from .import_fakes import deadline

    command = [sys.executable, "-m", "clientbridge.cli", "sandbox", "serve", "-p", provider]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [*command, *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        lines: dict[str, str] = {}
        with deadline(int(STARTUP)):
            while until not in lines:
                line = process.stdout.readline()
                assert line, "the sandbox server stopped before announcing itself"
                key, _, value = line.strip().partition(": ")
                lines[key] = value
        yield lines
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
