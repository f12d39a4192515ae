"""The async transport keeps the guarantees, with aiohttp underneath (the ``fast`` extra)
and with httpx's own: every scenario runs against a real server on 127.0.0.1.

* a connection that is refused is "provably not sent" and retried;
* a reset, a dropped connection or a read timeout after the request was written is
  ``maybe_sent`` (httpx-aiohttp alone reports a reset as a connect timeout);
* a redirect is not followed; a trickled answer ends at the total timeout;
* TLS is verified unless ``verify_tls=False``; a proxy from the environment is used;
* vcrpy cassettes replay through it.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import socket
import ssl
import struct
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

import clientbridge as cb
from clientbridge.async_transport import AiohttpOnAsyncio, async_client, httpx_error_of

from .trickle_server import trickle_server

CLIENT = cb.Client(first_name="Ada", last_name="Lovelace", email="ada@example.com")
KEY = "transport-test-key"
TLS = Path(__file__).parent / "fixtures" / "tls"
pytestmark = pytest.mark.anyio

#: Each scenario with aiohttp underneath (the default with the ``fast`` extra) and with
#: httpx's own transport (the default without it, and what ``transport=`` keeps).
TRANSPORTS = pytest.mark.parametrize("kind", ["aiohttp", "httpx"])


def transport_option(kind: str) -> dict[str, Any]:
    if kind == "aiohttp":
        pytest.importorskip("httpx_aiohttp")
        return {}
    return {"transport": httpx.AsyncHTTPTransport()}


def connect(kind: str, base_url: str, **settings: Any) -> cb.AsyncConnection:
    conn = cb.connect_async(
        "roostedhr", api_key=KEY, base_url=base_url, **transport_option(kind), **settings
    )
    uses_aiohttp = isinstance(conn.driver.client._transport, AiohttpOnAsyncio)
    assert uses_aiohttp is (kind == "aiohttp")
    return conn


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, bytes], Awaitable[None]]


class Server:
    """A loopback HTTP/1.1 server: reads each request whole, then lets ``handler`` act."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[str] = []
        self.heads: list[list[str]] = []
        self.port = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                length = next(
                    (
                        int(line.split(":")[1])
                        for line in lines
                        if line.lower().startswith("content-length:")
                    ),
                    0,
                )
                body = await reader.readexactly(length)
                self.requests.append(lines[0])
                self.heads.append(lines[1:])
                await self.handler(reader, writer, body)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def serving(handler: Handler, tls: ssl.SSLContext | None = None) -> AsyncIterator[Server]:
    server = Server(handler)
    listener = await asyncio.start_server(server.serve, "127.0.0.1", 0, ssl=tls)
    server.port = listener.sockets[0].getsockname()[1]
    try:
        yield server
    finally:
        listener.close()


def answer(writer: asyncio.StreamWriter, status: int, body: Any, *headers: str) -> None:
    content = json.dumps(body).encode()
    head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(content)}", *headers]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + content)


async def created(reader: Any, writer: asyncio.StreamWriter, body: bytes) -> None:
    answer(
        writer,
        201,
        {"id": "r1", "pending": False, **json.loads(body)},
        "Content-Type: application/json",
    )


async def reset(reader: Any, writer: asyncio.StreamWriter, body: bytes) -> None:
    """Reset the connection (RST) once the request has arrived."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def hang_up(reader: Any, writer: asyncio.StreamWriter, body: bytes) -> None:
    """Close the connection without an answer once the request has arrived."""
    writer.close()
    await writer.wait_closed()


async def silent(reader: Any, writer: asyncio.StreamWriter, body: bytes) -> None:
    await asyncio.sleep(5)


async def redirect(reader: Any, writer: asyncio.StreamWriter, body: bytes) -> None:
    answer(writer, 307, {}, "Location: /elsewhere")


@TRANSPORTS
async def test_a_refused_connection_was_not_sent_and_is_retried(
    kind: str, no_sleep: list[float]
) -> None:
    with socket.socket() as bound:  # bound, never listening: connections are refused
        bound.bind(("127.0.0.1", 0))
        base_url = f"http://127.0.0.1:{bound.getsockname()[1]}"
        async with connect(kind, base_url, max_retries=2) as conn:
            with pytest.raises(cb.TransportError) as raised:
                await conn.create(CLIENT)
    assert raised.value.maybe_sent is False
    assert "ConnectError" in str(raised.value)
    assert len(no_sleep) == 2  # both retries were made


@TRANSPORTS
@pytest.mark.parametrize(
    ("handler", "kind_of_error"),
    [(reset, "ReadError"), (hang_up, "RemoteProtocolError"), (silent, "ReadTimeout")],
    ids=["reset", "hang-up", "read-timeout"],
)
async def test_a_failure_after_sending_may_have_reached_the_server_and_is_not_resent(
    kind: str, handler: Handler, kind_of_error: str, no_sleep: list[float]
) -> None:
    async with serving(handler) as server:
        async with connect(kind, f"http://127.0.0.1:{server.port}", timeout=0.5) as conn:
            with pytest.raises(cb.TransportError) as raised:
                await conn.create(CLIENT)
    assert raised.value.maybe_sent is True
    assert kind_of_error in str(raised.value)
    assert server.requests == ["POST /clients HTTP/1.1"]
    assert no_sleep == []


@TRANSPORTS
async def test_a_redirect_is_not_followed(kind: str, no_sleep: list[float]) -> None:
    async with serving(redirect) as server:
        async with connect(kind, f"http://127.0.0.1:{server.port}") as conn:
            with pytest.raises(cb.ClientBridgeError):
                await conn.create(CLIENT)
    assert server.requests == ["POST /clients HTTP/1.1"]


@TRANSPORTS
async def test_a_trickled_answer_ends_at_the_total_timeout(kind: str) -> None:
    with trickle_server() as server:
        async with connect(kind, server.base_url, total_timeout=1) as conn:
            with pytest.raises(cb.TransportError, match="total_timeout=1 s") as raised:
                await conn.create(CLIENT)
    assert raised.value.maybe_sent is True
    assert server.requests == ["POST /clients HTTP/1.1"]


@TRANSPORTS
async def test_a_create_succeeds_and_the_connection_is_kept_alive(kind: str) -> None:
    async with serving(created) as server:
        async with connect(kind, f"http://127.0.0.1:{server.port}") as conn:
            results = [await conn.create(CLIENT) for _ in range(3)]
    assert [result.id for result in results] == ["r1"] * 3
    assert len(server.requests) == 3


@TRANSPORTS
async def test_headers_are_sent_as_written(kind: str) -> None:
    """Some providers read a header by its exact spelling (AgencyHandy's ``companyId``)."""
    async with serving(created) as server:
        async with connect(kind, f"http://127.0.0.1:{server.port}") as conn:
            await conn.create(CLIENT)
    assert f"X-API-KEY: {KEY}" in server.heads[0]


def server_tls() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS / "localhost.pem", TLS / "localhost.key")
    return context


@TRANSPORTS
async def test_tls_is_verified_and_a_failed_check_was_not_sent(
    kind: str, no_sleep: list[float]
) -> None:
    async with serving(created, tls=server_tls()) as server:
        async with connect(kind, f"https://127.0.0.1:{server.port}", max_retries=1) as conn:
            with pytest.raises(cb.TransportError) as raised:
                await conn.create(CLIENT)
    assert raised.value.maybe_sent is False
    assert "CERTIFICATE_VERIFY_FAILED" in str(raised.value)
    assert server.requests == []


@TRANSPORTS
async def test_verify_tls_false_accepts_a_self_signed_certificate(kind: str) -> None:
    async with serving(created, tls=server_tls()) as server:
        if kind == "httpx":
            option = {"transport": httpx.AsyncHTTPTransport(verify=False)}
        else:
            pytest.importorskip("httpx_aiohttp")
            option = {"verify_tls": False}
        async with cb.connect_async(
            "roostedhr", api_key=KEY, base_url=f"https://127.0.0.1:{server.port}", **option
        ) as conn:
            result = await conn.create(CLIENT)
    assert result.id == "r1"
    assert server.requests == ["POST /clients HTTP/1.1"]


async def test_a_proxy_from_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx reads ``HTTP_PROXY``; with the fast extra its proxy transport still sends."""
    pytest.importorskip("httpx_aiohttp")
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    async with serving(created) as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        origin = "http://127.0.0.1:9"  # the discard port: only the proxy is contacted
        async with cb.connect_async("roostedhr", api_key=KEY, base_url=origin) as conn:
            result = await conn.create(CLIENT)
    assert result.id == "r1"
    assert proxy.requests == [f"POST {origin}/clients HTTP/1.1"]


async def test_a_cassette_replays_through_the_aiohttp_transport() -> None:
    """vcrpy patches aiohttp's session, so a recorded create replays with no server."""
    pytest.importorskip("httpx_aiohttp")
    import vcr

    from .cassette_support import json_body, replay_settings
    from .cassette_tests.scenarios import MINIMAL

    recorder = vcr.VCR(record_mode="none", match_on=["method", "path", "query", "json_body"])
    recorder.register_matcher("json_body", json_body)
    cassette_file = Path(__file__).parent / "cassettes/roostedhr/async_create_minimal_client.yaml"
    with recorder.use_cassette(str(cassette_file)) as cassette:
        async with cb.connect_async("roostedhr", **replay_settings("roostedhr")) as conn:
            assert isinstance(conn.driver.client._transport, AiohttpOnAsyncio)
            result = await conn.create(MINIMAL["roostedhr"])
    assert result.id
    assert cassette.all_played


async def test_cookies_are_kept_by_httpx_and_sent_once() -> None:
    pytest.importorskip("httpx_aiohttp")
    seen: list[list[str]] = []

    async def cookie(reader: Any, writer: asyncio.StreamWriter, body: bytes) -> None:
        answer(writer, 200, {}, "Set-Cookie: session=abc; Path=/")

    async with serving(cookie) as server:
        async with async_client() as client:
            url = f"http://127.0.0.1:{server.port}/"
            await client.get(url)
            request = client.build_request("GET", url)
            seen.append(request.headers.get_list("cookie"))
            response = await client.send(request)
            seen.append(response.request.headers.get_list("cookie"))
    assert seen == [["session=abc"], ["session=abc"]]


@contextmanager
def threaded_server() -> Iterator[int]:
    """A create-answering server in a thread (for an event loop other than asyncio)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            content = json.dumps({"id": "r1", "pending": False, **body}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_under_trio_httpx_transport_sends(anyio_backend: str) -> None:
    """aiohttp runs on asyncio only: under trio the same client uses httpx's transport."""
    pytest.importorskip("httpx_aiohttp")
    pytest.importorskip("trio")
    with threaded_server() as port:
        async with cb.connect_async(
            "roostedhr", api_key=KEY, base_url=f"http://127.0.0.1:{port}"
        ) as conn:
            transport = conn.driver.client._transport
            result = await conn.create(CLIENT)
            assert isinstance(transport, AiohttpOnAsyncio)
            assert (transport._aiohttp, type(transport._httpx)) == (None, httpx.AsyncHTTPTransport)
    assert result.id == "r1"


def test_every_aiohttp_failure_is_classified_by_when_it_happened() -> None:
    aiohttp = pytest.importorskip("aiohttp")
    key = aiohttp.client_reqrep.ConnectionKey("h", 1, False, True, None, None, None)
    not_sent = [
        aiohttp.ClientConnectorError(key, ConnectionRefusedError(111, "refused")),
        aiohttp.ConnectionTimeoutError("connect"),
    ]
    maybe_sent = [
        aiohttp.ServerDisconnectedError(),
        aiohttp.ClientOSError(104, "reset"),
        aiohttp.SocketTimeoutError("read"),
        aiohttp.ClientPayloadError("cut short"),
    ]
    not_sent_kinds = (httpx.ConnectError, httpx.ConnectTimeout)
    for error in not_sent:
        kind = httpx_error_of(error)
        assert kind is not None
        assert issubclass(kind, not_sent_kinds), error
    for error in maybe_sent:
        kind = httpx_error_of(error)
        assert kind is not None
        assert not issubclass(kind, not_sent_kinds), error
    assert httpx_error_of(ValueError("not aiohttp")) is None
