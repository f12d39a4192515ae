"""A real HTTP server around one emulator, or all of them, on the loopback interface only.

`serve` blocks until SIGINT or SIGTERM (it backs ``clientbridge sandbox serve`` and
``python -m clientbridge.sandbox serve``); `running_server` is the same server as a
context manager for tests, on a free port, always stopped on exit.

HTTP/1.1 with keep-alive, one thread per connection, each answer written in one piece
with Nagle's algorithm off: fast enough to benchmark a client against. ``GET
/_sandbox/records`` (under an emulator's base URL) answers the JSON list of the records
it holds, ``GET /_sandbox/stats`` the counts ``{"requests": N, "rate_limited": M, ...}``;
``/`` is the inspector, a page showing every request as it arrives.
"""

from __future__ import annotations

import ipaddress
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any

import attrs

from clientbridge.errors import ConfigurationError
from clientbridge.sandbox._sandbox import RECORDS_PATH, Sandbox
from clientbridge.sandbox._site import Page, Site
from clientbridge.sandbox.emulators.base import Reply, SandboxRequest
from clientbridge.secrets import Secret, redact_text

__all__ = ["Endpoint", "SandboxServer", "running_server", "serve"]

#: The printed config file's last line (the banner's last line too).
_CONFIG_END = "# end of clientbridge.toml"
#: In the printed config file, a credential the caller chose is read from this variable.
CREDENTIAL_VARIABLE = "CLIENTBRIDGE_SANDBOX_CREDENTIAL"

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

    def __init__(self, address: tuple[str, int], site: Site) -> None:
        super().__init__(address, _Handler)
        self.site = site
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
        reply = self.server.site.handle(request)
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
        if reply.stream is not None:
            # A push stream: its chunks as they come, then the connection is closed.
            self.close_connection = True
        else:
            lines.append(f"Content-Length: {len(reply.body)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n"
        if reply.stream is None:
            self.wfile.write(head + reply.body)
            return
        self.wfile.write(head)
        with suppress(OSError):
            for chunk in reply.stream:
                self.wfile.write(chunk)
                self.wfile.flush()


@attrs.frozen
class Endpoint:
    """Where one emulator of a running server answers."""

    provider: str
    #: what to pass as the adapter's ``base_url``
    base_url: str
    #: the credential the emulator accepts
    credential: str
    #: ``GET`` it for the records the emulator holds
    records_url: str
    #: the adapter settings that reach it: ``cb.connect(provider, **settings)``
    settings: Mapping[str, str]


class SandboxServer:
    """A sandbox server running in a background thread (see `running_server`).

    ``provider`` is one provider's name (its emulator answers at the server's root, as
    the provider does) or a sequence of names (each emulator under ``/<name>``, a path
    that is part of its base URL). ``endpoints`` says where each one answers.
    """

    def __init__(
        self, provider: str | Sequence[str], sandbox: Sandbox, *, host: str, port: int
    ) -> None:
        self.sandbox = sandbox
        providers = [provider] if isinstance(provider, str) else list(provider)
        if not providers:
            raise ConfigurationError("name at least one provider to serve")
        self.site = Site(
            sandbox, providers, prefixed=not isinstance(provider, str), page=_inspector_page
        )
        self.host = loopback_host(host)
        self._http = _HTTPServer((self.host, port), self.site)
        self.port = self._http.server_port
        root = f"http://{self.host}:{self.port}"
        self.site.root = root
        #: the inspector's page
        self.url = root + "/"
        self.endpoints: Mapping[str, Endpoint] = {
            mount.provider: Endpoint(
                provider=mount.provider,
                base_url=self.site.base_url(mount),
                credential=sandbox.credential(mount.provider),
                records_url=root + mount.prefix + RECORDS_PATH,
                settings=self.site.connect_settings(mount),
            )
            for mount in self.site.mounts
        }
        # A credential the caller chose is theirs: never echoed into terminals and CI logs.
        self._chosen = tuple(
            Secret(sandbox.credential(name))
            for name in self.endpoints
            if sandbox.credential(name) != sandbox.emulator(name).default_credential
        )
        self.site.credentials_chosen = bool(self._chosen)
        self._thread = threading.Thread(
            target=self._http.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"clientbridge-sandbox-{'+'.join(self.endpoints)}",
            daemon=True,
        )
        self._stopped = False

    def _only(self) -> Endpoint:
        if len(self.endpoints) != 1:
            raise ValueError(
                f"this server serves {len(self.endpoints)} emulators; read .endpoints[name]"
            )
        return next(iter(self.endpoints.values()))

    @property
    def provider(self) -> str:
        """The provider emulated (a server of one emulator)."""
        return self._only().provider

    @property
    def base_url(self) -> str:
        """What to pass as the adapter's ``base_url`` (a server of one emulator)."""
        return self._only().base_url

    @property
    def credential(self) -> str:
        """The credential the emulator accepts (a server of one emulator)."""
        return self._only().credential

    @property
    def records_url(self) -> str:
        """``GET`` it for the records the emulator holds (a server of one emulator)."""
        return self._only().records_url

    @property
    def settings(self) -> Mapping[str, str]:
        """The adapter settings that reach this server (a server of one emulator)."""
        return self._only().settings

    def start(self) -> SandboxServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        self.site.events.close()  # push streams end
        if self._thread.is_alive():
            self._http.shutdown()
        self._http.close_connections()
        self._http.server_close()
        self._thread.join(STOP_TIMEOUT)

    def announcement(self) -> str:
        """What `serve` prints: where to connect and with which credential, and for several
        emulators a config file with one connection each."""
        if len(self.endpoints) == 1:
            endpoint = self._only()
            settings = ", ".join(f"{key}={value!r}" for key, value in endpoint.settings.items())
            lines = [
                f"clientbridge sandbox: {endpoint.provider} emulator listening "
                "(stop it with Ctrl+C or SIGTERM)",
                f"base_url: {endpoint.base_url}",
                f"credential: {endpoint.credential}",
                f"records: {endpoint.records_url}",
                f"inspector: {self.url}",
                f"connect: cb.connect({endpoint.provider!r}, {settings})",
            ]
        else:
            width = max(len(name) for name in self.endpoints)
            url_width = max(len(endpoint.base_url) for endpoint in self.endpoints.values())
            lines = [
                f"clientbridge sandbox: {len(self.endpoints)} emulators listening "
                "(stop them with Ctrl+C or SIGTERM)",
                f"inspector: {self.url} (open it to watch every request arrive)",
                *(
                    f"  {name:<{width}}  {endpoint.base_url:<{url_width}}  "
                    f"credential: {endpoint.credential}"
                    for name, endpoint in self.endpoints.items()
                ),
                "",
                "# clientbridge.toml: one connection per provider"
                + (f" (set {CREDENTIAL_VARIABLE} to your credential)" if self._chosen else ""),
                self.config_toml(),
                _CONFIG_END,
            ]
        return redact_text("\n".join(lines), self._chosen)

    def config_toml(self) -> str:
        """A config file (TOML) with one connection per emulator, named for its provider.

        A credential the caller chose is written as ``${CLIENTBRIDGE_SANDBOX_CREDENTIAL}``,
        read from the environment when the file is loaded.
        """
        chosen = {secret.reveal() for secret in self._chosen}
        blocks = []
        for name, endpoint in self.endpoints.items():
            lines = [f"[connections.{name}]", f"provider = {_toml_string(name)}"]
            for key, value in endpoint.settings.items():
                text = f"${{{CREDENTIAL_VARIABLE}}}" if value in chosen else value
                lines.append(f"{key} = {_toml_string(text)}")
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks)

    def __repr__(self) -> str:
        where = ", ".join(endpoint.base_url for endpoint in self.endpoints.values())
        return f"<SandboxServer {'+'.join(self.endpoints)} at {where}>"


def _inspector_page(site: Site) -> Page:
    # Jinja2 is imported when the page is first asked for, not with the server.
    from clientbridge.sandbox.inspector.page import InspectorPage

    return InspectorPage(site)


def _toml_string(text: str) -> str:
    """``text`` as a TOML basic string (JSON's escapes are TOML's for these characters)."""
    import json

    return json.dumps(text, ensure_ascii=False)


@contextmanager
def running_server(
    provider: str | Sequence[str],
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    credential: str | None = None,
    **options: Any,
) -> Iterator[SandboxServer]:
    """A sandbox server for ``provider`` on 127.0.0.1 (a free port unless ``port``).

    Yields a `SandboxServer` (``.base_url``, ``.credential``, ``.sandbox`` to inject
    faults or read records); stops it on exit, whatever happened. A sequence of
    providers serves each under its own path (``.endpoints[name].base_url``), all
    accepting ``credential`` when one is given. ``options`` are `Sandbox`'s
    (``latency_ms``, ``fail_rate``, ``seed``, ``fault_kinds``, ``retain_records``,
    ``rate_limit``...).
    """
    names = [provider] if isinstance(provider, str) else list(provider)
    credentials = None if credential is None else dict.fromkeys(names, credential)
    sandbox = Sandbox(credentials=credentials, **options)
    server = SandboxServer(provider, sandbox, host=host, port=port)
    try:
        yield server.start()
    finally:
        server.stop()


def serve(
    provider: str | Sequence[str],
    *,
    on_ready: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
    **options: Any,
) -> None:
    """Serve ``provider``'s emulator until SIGINT or SIGTERM (or until ``stop`` is set).

    When listening, calls ``on_ready`` (default: print to stdout) once with a few lines:
    ``base_url: ...``, ``credential: ...``, the records URL, the inspector's URL and a
    ``cb.connect`` line. A sequence of providers serves each under its own path, and the
    lines give each base URL and a config file with one connection per provider.
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
