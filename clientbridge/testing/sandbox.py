"""`SandboxFixture`: what the ``clientbridge_sandbox`` fixture gives an app's test.

While it is active (see `clientbridge.overrides`), every connection the app opens is
answered by one in-process `Sandbox`; the fixture keeps the requests sent (credentials
redacted) and reads the emulators' records back as neutral clients, as a test outbox
does for email.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

import httpx

from clientbridge.registry import adapter_class, canonical_name
from clientbridge.sandbox import Sandbox
from clientbridge.secrets import REDACTED, Secret, redact_text, redact_value
from clientbridge.settings import resolve_settings
from clientbridge.wire import HttpRequest

if TYPE_CHECKING:
    from clientbridge.adapters.base import Adapter
    from clientbridge.model import Client

__all__ = ["SandboxFixture"]

#: Headers httpx adds on its own (not the adapter's): left out of `SandboxFixture.requests`,
#: so a request sent reads like the same request in a `Connection.preview`.
_HTTPX_HEADERS = frozenset(
    {"host", "accept", "accept-encoding", "connection", "user-agent", "content-length"}
)


class SandboxFixture:
    """One `Sandbox` answering every connection opened while the fixture is active.

    ``sandbox`` is that `Sandbox` (records, stats, fault options). Connections opened with
    a config file's or the caller's credentials get the sandbox's own instead; nothing is
    sent to the network.
    """

    #: who answers, as an override's warnings name it
    description = "the clientbridge_sandbox fixture"

    def __init__(self, sandbox: Sandbox | None = None) -> None:
        self.sandbox = sandbox if sandbox is not None else Sandbox()
        self._sent: list[tuple[str, HttpRequest]] = []
        self._lock = threading.Lock()
        self._readers: dict[str, Adapter] = {}

    def __repr__(self) -> str:
        return f"<SandboxFixture requests sent: {len(self._sent)}>"

    # ----------------------------------------------------------------- what the test reads

    def clients(self, provider: str) -> list[Client]:
        """The clients ``provider``'s emulator stored, parsed back into `Client` values as
        a create's result would hold them, oldest first.

        An unknown provider raises `ConfigurationError` naming the known ones.
        """
        records = self.sandbox.records(provider)
        reader = self._reader(provider)
        return [reader.parse_record(record) for record in records]

    def requests(self, provider: str | None = None) -> list[HttpRequest]:
        """The requests sent (to ``provider`` only, when given), oldest first, with every
        credential shown as ``***``."""
        wanted = None if provider is None else canonical_name(provider)
        with self._lock:
            return [request for name, request in self._sent if wanted in (None, name)]

    def inject(self, kind: str, count: int = 1, *, provider: str | None = None) -> None:
        """Make the next ``count`` creates (of ``provider`` only, when given) fail with
        ``kind``, as `Sandbox.inject`."""
        self.sandbox.inject(kind, count, provider=provider)

    def _reader(self, provider: str) -> Adapter:
        """An adapter of ``provider`` with sandbox settings, to read its records."""
        name = canonical_name(provider)
        reader = self._readers.get(name)
        if reader is None:
            cls = adapter_class(name)
            values, _ = resolve_settings(cls, {"sandbox": True})
            reader = self._readers[name] = cls(values)
        return reader

    # ----------------------------------------------------------------- the override

    def transport(self, adapter: Adapter, *, asynchronous: bool) -> httpx.MockTransport:
        """The transport of one connection: the sandbox answers, the request is kept."""
        handler = self.sandbox.transport(adapter.name, asynchronous=asynchronous).handler
        provider, secrets = adapter.name, adapter.secrets()
        if asynchronous:
            answer_async = cast(Callable[[httpx.Request], Awaitable[httpx.Response]], handler)

            async def keep_and_answer_async(request: httpx.Request) -> httpx.Response:
                self._keep(provider, request, secrets)
                return await answer_async(request)

            return httpx.MockTransport(keep_and_answer_async)
        answer = cast(Callable[[httpx.Request], httpx.Response], handler)

        def keep_and_answer(request: httpx.Request) -> httpx.Response:
            self._keep(provider, request, secrets)
            return answer(request)

        return httpx.MockTransport(keep_and_answer)

    def _keep(self, provider: str, request: httpx.Request, secrets: Sequence[Secret]) -> None:
        kept = HttpRequest(
            method=request.method,
            url=redact_text(str(request.url), secrets),
            headers={
                name.decode("latin-1"): _masked(value.decode("latin-1"), secrets)
                for name, value in request.headers.raw
                if name.lower().decode("latin-1") not in _HTTPX_HEADERS
            },
            json=_decoded(request.content, secrets),
        )
        with self._lock:
            self._sent.append((provider, kept))


def _masked(value: str, secrets: Sequence[Secret]) -> str:
    """A header value, whole as ``***`` when it holds a credential (as a preview shows it)."""
    return REDACTED if redact_text(value, secrets) != value else value


def _decoded(content: bytes, secrets: Sequence[Secret]) -> Any:
    if not content:
        return None
    try:
        body = json.loads(content)
    except ValueError:
        return redact_text(content.decode("utf-8", "replace"), secrets)
    return redact_value(body, secrets, frozenset())
