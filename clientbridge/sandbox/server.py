"""A real HTTP server around one emulator, on the loopback interface only.

`serve` blocks until SIGINT or SIGTERM (it backs ``clientbridge sandbox serve`` and
``python -m clientbridge.sandbox serve``); `running_server` is the same server as a
context manager for tests, on a free port, always stopped on exit.

HTTP/1.1 with keep-alive, one thread per connection, each answer written in one piece
with Nagle's algorithm off: fast enough to benchmark a client against. ``GET
/_sandbox/records`` answers the JSON list of the records the emulator holds, ``GET
/_sandbox/stats`` the counts ``{"requests": N, "rate_limited": M, ...}``.
"""

from __future__ import annotations

import ipaddress
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any

from clientbridge.errors import ConfigurationError
from clientbridge.sandbox._sandbox import RECORDS_PATH, Sandbox
from clientbridge.sandbox.emulators.base import Reply, SandboxRequest
from clientbridge.secrets import Secret, redact_text

__all__ = ["SandboxServer", "running_server", "serve"]

#: How long `SandboxServer.stop` waits for the serving thread.
STOP_TIMEOUT = 5.0
#: Idle keep-alive connections are closed after this many seconds.
IDLE_TIMEOUT = 300.0


def loopback_host(host: str) -> str:
    """``host`` when it is an IPv4 loopback address (``localhost`` means 127.0.0.1)."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.IPv4Address(host)
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise ConfigurationError(
            f"the sandbox server binds loopback addresses only (e.g. 127.0.0.1), not {host!r}"
        )
    return host


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], sandbox: Sandbox, provider: str) -> None:
        super().__init__(address, _Handler)
        self.sandbox = sandbox
        self.provider = provider
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def track(self, connection: socket.socket, *, open_: bool) -> None:
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Shut every open connection so idle keep-alive threads end now."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = IDLE_TIMEOUT
    server: _HTTPServer
    server_version = "clientbridge-sandbox"

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, open_=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, open_=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a log line per request would cost more than the emulator does."""

    def _answer(self) -> None:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._write(Reply(411, b'{"message":"Send a Content-Length."}'))
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._write(Reply(400, b'{"message":"Bad Content-Length."}'))
            return
        request = SandboxRequest(
            self.command,
            self.path,
            self.headers.items(),
            lambda: self.rfile.read(length) if length else b"",
        )
        reply = self.server.sandbox.handle(self.server.provider, request)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.disconnect:
            # The injected dropped connection: close without reading the body or answering.
            self.close_connection = True
            return
        request.body  # noqa: B018 - read what the emulator did not, or keep-alive breaks
        self._write(reply)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    def _write(self, reply: Reply) -> None:
        lines = [f"HTTP/1.1 {reply.status} {self.responses.get(reply.status, ('',))[0]}"]
        lines.extend(f"{name}: {value}" for name, value in reply.headers)
        lines.append(f"Content-Length: {len(reply.body)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n"
        self.wfile.write(head + reply.body)


class SandboxServer:
    """A sandbox server running in a background thread (see `running_server`)."""

    def __init__(self, provider: str, sandbox: Sandbox, *, host: str, port: int) -> None:
        self.sandbox = sandbox
        emulator = sandbox.emulator(provider)
        self.provider = emulator.provider
        self.host = loopback_host(host)
        self._http = _HTTPServer((self.host, port), sandbox, self.provider)
        self.port = self._http.server_port
        root = f"http://{self.host}:{self.port}"
        #: what to pass as the adapter's ``base_url``
        self.base_url = root + emulator.base_path
        #: the credential the emulator accepts
        self.credential = emulator.credential
        # A credential the caller chose is theirs: never echoed into terminals and CI logs.
        self._chosen_credential = emulator.credential != emulator.default_credential
        #: ``GET`` it for the records the emulator holds
        self.records_url = root + RECORDS_PATH
        #: the adapter settings that reach this server: ``cb.connect(provider, **settings)``
        self.settings = emulator.connect_settings(root)
        self._thread = threading.Thread(
            target=self._http.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"clientbridge-sandbox-{self.provider}",
            daemon=True,
        )
        self._stopped = False

    def start(self) -> SandboxServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        if self._thread.is_alive():
            self._http.shutdown()
        self._http.close_connections()
        self._http.server_close()
        self._thread.join(STOP_TIMEOUT)

    def announcement(self) -> str:
        """What `serve` prints: where to connect and with which credential."""
        settings = ", ".join(f"{key}={value!r}" for key, value in self.settings.items())
        text = "\n".join(
            [
                f"clientbridge sandbox: {self.provider} emulator listening "
                "(stop it with Ctrl+C or SIGTERM)",
                f"base_url: {self.base_url}",
                f"credential: {self.credential}",
                f"records: {self.records_url}",
                f"connect: cb.connect({self.provider!r}, {settings})",
            ]
        )
        return redact_text(text, [Secret(self.credential)]) if self._chosen_credential else text

    def __repr__(self) -> str:
        return f"<SandboxServer {self.provider} at {self.base_url}>"


@contextmanager
def running_server(
    provider: str,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    credential: str | None = None,
    **options: Any,
) -> Iterator[SandboxServer]:
    """A sandbox server for ``provider`` on 127.0.0.1 (a free port unless ``port``).

    Yields a `SandboxServer` (``.base_url``, ``.credential``, ``.sandbox`` to inject
    faults or read records); stops it on exit, whatever happened. ``options`` are
    `Sandbox`'s (``latency_ms``, ``fail_rate``, ``seed``, ``fault_kinds``,
    ``retain_records``, ``rate_limit``...).
    """
    sandbox = Sandbox(credentials=None if credential is None else {provider: credential}, **options)
    server = SandboxServer(provider, sandbox, host=host, port=port)
    try:
        yield server.start()
    finally:
        server.stop()


def serve(
    provider: str,
    *,
    on_ready: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
    **options: Any,
) -> None:
    """Serve ``provider``'s emulator until SIGINT or SIGTERM (or until ``stop`` is set).

    When listening, calls ``on_ready`` (default: print to stdout) once with a few lines:
    ``base_url: ...``, ``credential: ...``, the records URL and a ``cb.connect`` line.
    Signals are caught only when called from the main thread; elsewhere pass ``stop``.
    ``options`` are `running_server`'s (``host``, ``port``, ``credential``, and
    `Sandbox`'s options).
    """
    if stop is None:
        stop = threading.Event()
    restore = _stop_on_signals(stop)
    try:
        with running_server(provider, **options) as server:
            (on_ready or _print)(server.announcement())
            while not stop.wait(0.5):
                pass
    finally:
        restore()


def _print(text: str) -> None:
    print(text, flush=True)


def _stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    """Set ``stop`` on SIGINT/SIGTERM (main thread only); returns how to undo it."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {
        number: signal.signal(number, handler) for number in (signal.SIGINT, signal.SIGTERM)
    }

    def restore() -> None:
        for number, action in previous.items():
            signal.signal(number, action)

    return restore
