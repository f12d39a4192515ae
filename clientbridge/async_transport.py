"""The async connections' HTTP client: aiohttp underneath httpx's API when it is installed.

With the ``fast`` extra (``pip install 'clientbridge[fast]'``, which brings ``httpx-aiohttp``
and aiohttp), the `httpx.AsyncClient` that `connect_async` makes sends through aiohttp's
connection pool instead of httpcore's. Users still get httpx: its requests, responses,
timeouts, cookies, ``http_client=`` and ``transport=`` overrides and MockTransport-based
tests are unchanged. On a 2-core machine an async request costs about a third of the CPU
(see docs/performance.md), which is what bounds an import's rows a second.

The transport keeps httpx's failure semantics, on which the retry rule rests:

* aiohttp's exceptions are classified here, from aiohttp's own types, rather than by
  ``httpx-aiohttp``'s table (which reports a connection reset *after* the request was
  written as a ``ConnectTimeout``, i.e. "provably not sent"). Only a failure to
  establish the connection (``ClientConnectorError``: refused, DNS, TLS handshake and
  certificate) or aiohttp's connect timeout is "not sent"; anything after it (a reset,
  a disconnect, a broken answer, a read timeout) may have reached the server.
* Headers are sent as written (httpx-aiohttp passes them lower-cased, and some providers
  read a header by its exact spelling), and aiohttp's cookie jar is a dummy: httpx keeps
  the cookies, as it does with its own transport, so none is sent twice.
* Redirects are not followed (the transport never does; httpx decides).
* Only under asyncio: aiohttp has no trio support, so under trio the same client sends
  through httpx's own transport. Requests to a proxy (``HTTPS_PROXY`` and friends, read by
  httpx as usual) go through httpx's own proxy transport too.

Which one a connection uses: `async_client` makes it; `fast_transport_installed` says
whether the extra is there. Pass ``transport=httpx.AsyncHTTPTransport()`` to
`connect_async` to keep httpx's transport with the extra installed.
"""

from __future__ import annotations

import importlib.util
import ssl
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    import aiohttp
    from httpx_aiohttp import AiohttpTransport

__all__ = ["AiohttpOnAsyncio", "async_client", "fast_transport_installed", "httpx_error_of"]

_installed: bool | None = None


def fast_transport_installed() -> bool:
    """Whether ``httpx-aiohttp`` (the ``fast`` extra) can be imported; looked up once."""
    global _installed
    if _installed is None:
        _installed = importlib.util.find_spec("httpx_aiohttp") is not None
    return _installed


def async_client(**settings: Any) -> httpx.AsyncClient:
    """The `httpx.AsyncClient` a connection makes: with aiohttp underneath when the
    ``fast`` extra is installed and no ``transport`` is given, else httpx's own."""
    if settings.get("transport") is None and fast_transport_installed():
        return _AiohttpClient(**settings)
    return httpx.AsyncClient(**settings)


class _AiohttpClient(httpx.AsyncClient):
    """`httpx.AsyncClient` whose default transport is `AiohttpOnAsyncio`. httpx still mounts
    its own proxy transports from the environment (``trust_env``), as it does by default."""

    def _init_transport(
        self,
        verify: ssl.SSLContext | str | bool = True,
        cert: Any = None,
        trust_env: bool = True,
        http1: bool = True,
        http2: bool = False,
        limits: httpx.Limits = httpx._config.DEFAULT_LIMITS,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> httpx.AsyncBaseTransport:
        if transport is not None:  # pragma: no cover - async_client passes none
            return transport
        return AiohttpOnAsyncio(
            verify=verify, cert=cert, trust_env=trust_env, http1=http1, http2=http2, limits=limits
        )


class AiohttpOnAsyncio(httpx.AsyncBaseTransport):
    """aiohttp's transport under asyncio, httpx's own under any other event loop (trio).

    Each is made on first use, with the same TLS and pool settings.
    """

    def __init__(self, **settings: Any) -> None:
        self._settings = settings
        self._aiohttp: AiohttpTransport | None = None
        self._httpx: httpx.AsyncHTTPTransport | None = None
        self._sniffio: Any = None

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """The TLS settings every request is sent with (``verify_tls``, certificates)."""
        return self._aiohttp_transport().ssl_context

    def _aiohttp_transport(self) -> AiohttpTransport:
        if self._aiohttp is None:
            self._aiohttp = _classified_transport_class()(**self._settings)
        return self._aiohttp

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._sniffio is None:
            import sniffio

            self._sniffio = sniffio
        if self._sniffio.current_async_library() == "asyncio":
            return await self._aiohttp_transport().handle_async_request(request)
        if self._httpx is None:
            self._httpx = httpx.AsyncHTTPTransport(**self._settings)
        return await self._httpx.handle_async_request(request)

    async def aclose(self) -> None:
        if self._aiohttp is not None:
            await self._aiohttp.aclose()
        if self._httpx is not None:
            await self._httpx.aclose()


def httpx_error_of(error: BaseException) -> type[httpx.TransportError] | None:
    """The httpx exception class that says what ``error``, one of aiohttp's, means for the
    request; None when ``error`` is not aiohttp's.

    Not sent: the connection was never established (refused, DNS, TLS, a proxy refusing
    the connection) or not in time. Everything else may have reached the server.
    """
    import aiohttp

    if isinstance(error, aiohttp.ClientConnectorError):
        return httpx.ConnectError  # includes the TLS handshake, certificates and DNS
    # aiohttp before 3.10 has no ConnectionTimeoutError: its timeouts are then all
    # read timeouts here, which may have been sent (the safe side).
    connect_timeout = getattr(aiohttp, "ConnectionTimeoutError", None)
    if connect_timeout is not None and isinstance(error, connect_timeout):
        return httpx.ConnectTimeout  # connecting, or waiting for a pooled connection
    if isinstance(error, aiohttp.ServerTimeoutError):
        return httpx.ReadTimeout  # a socket read (aiohttp.SocketTimeoutError) or unknown
    if isinstance(error, aiohttp.ClientHttpProxyError):
        return httpx.ProxyError
    if isinstance(error, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        return httpx.UnsupportedProtocol
    broken = (
        aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError | aiohttp.ClientResponseError
    )
    if isinstance(error, broken):
        return httpx.RemoteProtocolError  # as httpx says of a dropped or broken answer
    if isinstance(error, aiohttp.ClientError):
        return httpx.ReadError  # a reset or any other failure once connected
    return None


def _reraise(error: Exception, request: httpx.Request | None = None) -> None:
    """Raise ``error`` as what it means for the request: an aiohttp exception, or httpx's
    mapping of one (its ``__cause__``), as `httpx_error_of` classifies it. Anything else
    is raised as it is."""
    cause = error.__cause__ if isinstance(error, httpx.TransportError) else error
    kind = None if cause is None else httpx_error_of(cause)
    if kind is None:
        raise error
    raise kind(str(error) or type(cause).__name__, request=request) from cause


_transport_class: type[AiohttpTransport] | None = None


def _classified_transport_class() -> type[AiohttpTransport]:
    """``httpx_aiohttp.AiohttpTransport`` with aiohttp's failures classified here, and a
    dummy cookie jar (made on first use: aiohttp is imported only then)."""
    global _transport_class
    if _transport_class is not None:
        return _transport_class
    import aiohttp
    from httpx_aiohttp import AiohttpTransport

    class ClassifiedAiohttpTransport(AiohttpTransport):
        def get_client(self) -> aiohttp.ClientSession:
            limits = self.limits
            connector = aiohttp.TCPConnector(
                keepalive_timeout=limits.keepalive_expiry,
                ssl=self.ssl_context,
                limit=limits.max_connections or 0,
            )
            # httpx adds the client's cookies to each request; aiohttp must not add its own.
            return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if not isinstance(self.client, aiohttp.ClientSession):
                self.client = self.get_client()
            timeout = request.extensions.get("timeout", {})
            try:
                data: Any = request.content or None
            except httpx.RequestNotRead:  # a streamed body: aiohttp reads the stream
                data = request.stream
            try:
                response = await self.client.request(
                    method=request.method,
                    url=str(request.url),
                    # As written (httpx.Headers would give them lower-cased): some
                    # providers read a header by its exact spelling.
                    headers=[
                        (name.decode("latin-1"), value.decode("latin-1"))
                        for name, value in request.headers.raw
                    ],
                    data=data,
                    allow_redirects=False,
                    auto_decompress=False,  # httpx decodes, and caps what it decoded
                    compress=False,
                    timeout=aiohttp.ClientTimeout(
                        sock_connect=timeout.get("connect"),
                        sock_read=timeout.get("read"),
                        connect=timeout.get("pool"),
                    ),
                    server_hostname=request.extensions.get("sni_hostname"),
                ).__aenter__()
            except Exception as error:
                _reraise(error, request)
                raise  # pragma: no cover - _reraise always raises
            extensions: dict[str, Any] = {"http_version": b"HTTP/1.1"}
            if response.reason:
                extensions["reason_phrase"] = response.reason.encode()
            return httpx.Response(
                status_code=response.status,
                headers=response.raw_headers,
                stream=_ClassifiedStream(response),
                request=request,
                extensions=extensions,
            )

    _transport_class = ClassifiedAiohttpTransport
    return _transport_class


class _ClassifiedStream(httpx.AsyncByteStream):
    """An aiohttp response's body, its read failures classified as `httpx_error_of` says."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_chunked(64 * 1024):
                yield chunk
        except Exception as error:
            _reraise(error)

    async def aclose(self) -> None:
        try:
            await self._response.__aexit__(None, None, None)
        except Exception as error:
            _reraise(error)
