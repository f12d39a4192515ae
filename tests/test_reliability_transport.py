"""Transport safety: what clientbridge refuses to send, and what it refuses to read.

* a base URL is https, or plain http to a loopback host only, never with a credential in it;
* TLS certificates are checked unless ``verify_tls=False`` says otherwise, with a warning;
* a setting that reaches a header or a URL path cannot break out of it, and neither can
  an id a look-up answered;
* path values are percent-encoded;
* an answer over the size cap, or a success that is not JSON, is an
  `UnexpectedResponseError`;
* a redirect is never followed, even by a caller's ``http_client`` that would.

Every test runs against `httpx.MockTransport` or the in-process sandbox: nothing here
touches the network.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import pytest

import clientbridge as cb
from clientbridge.async_transport import AiohttpOnAsyncio
from clientbridge.errors import outcome_unknown
from clientbridge.registry import adapter_class
from clientbridge.sandbox import SANDBOX_SETTINGS, Sandbox

from .conftest import CANARY, Recorder
from .providers import ADA, BUILTINS, fixture

PROVIDERS = BUILTINS
#: Any one provider, for what every provider does alike (TLS, the config file).
ANY = BUILTINS[0]


def settings_of(provider: str) -> dict[str, Any]:
    """Settings that reach no look-up, with the canary as the credential so any echo of
    it shows."""
    return fixture(provider).offline_settings(CANARY)


def created(provider: str) -> Any:
    """What ``provider`` answers to a create of `CLIENT`."""
    return fixture(provider).created


def _declared(provider: str, *, header: bool) -> list[tuple[str, str]]:
    return [
        (provider, setting.name)
        for setting in adapter_class(provider).settings_spec
        if (setting.header or setting.secret if header else setting.path_segment)
    ]


#: Every setting whose value reaches a request header or a URL path, as the adapters
#: declare them (`test_every_setting_reaching_a_header_or_a_path_is_declared_so` checks
#: each reaches one, and nothing else does).
HEADER_SETTINGS = [pair for provider in PROVIDERS for pair in _declared(provider, header=True)]
PATH_SETTINGS = [pair for provider in PROVIDERS for pair in _declared(provider, header=False)]

CLIENT = ADA
LEAD = cb.Client(first_name="Ada", last_name="Lovelace", email="ada@example.com", lead=True)
SYNC_AND_ASYNC = pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
#: The size cap while testing (the real one is 10 MiB).
CAP = 1000


async def create(
    provider: str, asynchronous: bool, client: cb.Client = CLIENT, **options: Any
) -> cb.CreateResult:
    """Create ``client`` over a sync or an async connection with `settings_of` and ``options``."""
    settings = {**settings_of(provider), **options}
    if asynchronous:
        async with cb.connect_async(provider, **settings) as conn:
            return await conn.create(client)
    with cb.connect(provider, **settings) as conn:
        return conn.create(client)


def callers_client(recorder: Recorder, asynchronous: bool, **options: Any) -> Any:
    """A caller's own ``http_client`` (sync or async) sending to ``recorder``."""
    client_class = httpx.AsyncClient if asynchronous else httpx.Client
    return client_class(transport=recorder.transport(), **options)


async def close(closable: Any) -> None:
    """Close a sync or an async connection or httpx client."""
    if isinstance(closable, cb.AsyncConnection | httpx.AsyncClient):
        await closable.aclose()
    else:
        closable.close()


def posts(recorder: Recorder) -> list[httpx.Request]:
    return [request for request in recorder.requests if request.method == "POST"]


def assert_no_canary(error: BaseException) -> None:
    shown = f"{error} {error!r} {getattr(error, 'body', '')!r}"
    assert CANARY not in shown


# --------------------------------------------------------------------------- base URLs


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://api.example.com", "plain http"),
        ("http://127.example.com", "plain http"),
        ("http://localhost.evil.example", "plain http"),
        ("http://127.0.0.1.nip.io", "plain http"),
        ("http://0x7f000001", "plain http"),  # 127.0.0.1 to some resolvers, not to us
        ("http://127.1", "plain http"),
        ("http://evil.example#@localhost", "plain http"),
        ("http://localhost#@evil.example", "query string or fragment"),
        ("http://localhost?@evil.example", "query string or fragment"),
        ("http://127.0.0.1@evil.example", "credentials"),
        ("http://evil.example\\@127.0.0.1", "credentials"),
        ("http://user:pass@127.0.0.1:8765", "credentials"),
        (f"https://user:{CANARY}@api.example.com", "credentials"),
        (f"https://user:{CANARY}@api.example.com:99999", "valid host and port"),
        (f"ftp://user:{CANARY}@api.example.com", "absolute http"),
        ("http://localhost:99999", "valid host and port"),
        ("http://localhost:http", "valid host and port"),
        ("https://[::1", "valid host and port"),
        ("ftp://localhost", "absolute http"),
        ("file:///etc/passwd", "absolute http"),
        ("//api.example.com", "absolute http"),
        ("localhost:8765", "absolute http"),
    ],
)
def test_an_unsafe_base_url_is_a_configuration_error(provider: str, url: str, reason: str) -> None:
    # A ConfigurationError, never the ValueError urllib raises for a bad port or host.
    with pytest.raises(cb.ConfigurationError, match=re.escape(reason)) as caught:
        cb.connect(provider, **{**settings_of(provider), "base_url": url})
    assert "base_url" in str(caught.value)
    assert_no_canary(caught.value)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    ("origin", "host", "port"),
    [
        ("http://localhost:8765", "localhost", 8765),
        ("http://LOCALHOST", "localhost", None),
        ("http://127.0.0.1", "127.0.0.1", None),
        ("http://127.0.0.2:9000", "127.0.0.2", 9000),
        ("http://[::1]", "::1", None),
        ("http://[::1]:8765", "::1", 8765),
    ],
)
def test_plain_http_to_a_loopback_host_is_allowed_and_used(
    provider: str, origin: str, host: str, port: int | None
) -> None:
    sandbox = Sandbox()
    recorder = Recorder(sandbox.transport(provider).handle_request)
    base_url = origin + sandbox.emulator(provider).base_path
    settings = {**SANDBOX_SETTINGS[provider], "base_url": base_url}
    with cb.connect(provider, transport=recorder.transport(), **settings) as conn:
        assert conn.create(CLIENT).id
    assert recorder.requests
    for request in recorder.requests:
        assert (request.url.scheme, request.url.host, request.url.port) == ("http", host, port)


# --------------------------------------------------------------------------- TLS


def ssl_context(client: httpx.Client | httpx.AsyncClient) -> ssl.SSLContext:
    """The TLS context of the connection pool made for ``client``: httpx's (its internals)
    or, with the ``fast`` extra, the aiohttp transport's."""
    transport = client._transport
    if isinstance(transport, AiohttpOnAsyncio):
        context = transport.ssl_context
    else:
        context = transport._pool._ssl_context  # type: ignore[attr-defined]
    assert isinstance(context, ssl.SSLContext)
    return context


def tls_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == "clientbridge"
        and record.levelno == logging.WARNING
        and "TLS" in record.getMessage()
    ]


@SYNC_AND_ASYNC
@pytest.mark.parametrize("verify_tls", [None, True, False], ids=["default", "true", "false"])
@pytest.mark.anyio
async def test_tls_is_verified_unless_verify_tls_is_false_which_logs_a_warning(
    asynchronous: bool,
    verify_tls: bool | None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    made: list[dict[str, Any]] = []
    name = "AsyncClient" if asynchronous else "Client"
    real = getattr(httpx, name)

    real_init = real.__init__

    def spy(self: Any, **kwargs: Any) -> None:  # sees the fast extra's subclass too
        made.append(kwargs)
        real_init(self, **kwargs)

    monkeypatch.setattr(real, "__init__", spy)
    options = {} if verify_tls is None else {"verify_tls": verify_tls}
    caplog.set_level(logging.WARNING, logger="clientbridge")
    connect = cb.connect_async if asynchronous else cb.connect
    conn = connect(ANY, **settings_of(ANY), **options)
    try:
        context = ssl_context(conn.driver.client)
    finally:
        await close(conn)

    disabled = verify_tls is False
    assert [kwargs["verify"] for kwargs in made] == [not disabled]
    assert context.check_hostname is not disabled
    assert context.verify_mode == (ssl.CERT_NONE if disabled else ssl.CERT_REQUIRED)
    assert len(tls_warnings(caplog)) == (1 if disabled else 0)
    assert CANARY not in caplog.text


def test_verify_tls_false_in_a_config_file_disables_verification_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "clientbridge.toml"
    path.write_text(
        f'[connections.dev]\nprovider = "{ANY}"\nverify_tls = false\n'
        + "".join(f"{key} = {json.dumps(value)}\n" for key, value in settings_of(ANY).items()),
        encoding="utf-8",
    )
    caplog.set_level(logging.WARNING, logger="clientbridge")
    with cb.load_config(path).connect("dev") as conn:
        assert ssl_context(conn.driver.client).verify_mode == ssl.CERT_NONE
    assert len(tls_warnings(caplog)) == 1


@pytest.mark.parametrize("value", ["false", "no", 0, 1])
def test_verify_tls_accepts_only_true_or_false(value: object) -> None:
    # A string "false" must not be read as a true-ish value, nor 0 as "off".
    with pytest.raises(cb.ConfigurationError, match="verify_tls must be true or false"):
        cb.connect(ANY, **settings_of(ANY), verify_tls=value)


@SYNC_AND_ASYNC
@pytest.mark.parametrize("given", ["http_client", "transport"])
@pytest.mark.anyio
async def test_verify_tls_false_is_refused_where_it_would_do_nothing(
    asynchronous: bool, given: str, caplog: pytest.LogCaptureFixture
) -> None:
    # The caller's client or transport does its own TLS: the warning would be a lie.
    recorder = Recorder(lambda request: httpx.Response(201, json=created(ANY)))
    http_client = callers_client(recorder, asynchronous)
    value = http_client if given == "http_client" else recorder.transport()
    caplog.set_level(logging.WARNING, logger="clientbridge")
    try:
        with pytest.raises(cb.ConfigurationError, match=f"verify_tls=False.*{given}"):
            await create(ANY, asynchronous, verify_tls=False, **{given: value})
    finally:
        await close(http_client)
    assert not recorder.requests
    assert not tls_warnings(caplog)


# --------------------------------------------------------------------------- headers and paths

CONTROL_CHARACTERS = ["\r\nX-Injected: 1", "\n", "\r", "\x00", "\x1b", "\x7f"]


@pytest.mark.parametrize(("provider", "setting"), HEADER_SETTINGS + PATH_SETTINGS)
@pytest.mark.parametrize("bad", CONTROL_CHARACTERS, ids=repr)
def test_a_control_character_in_a_header_or_path_value_is_refused(
    provider: str, setting: str, bad: str
) -> None:
    with pytest.raises(cb.ConfigurationError, match=f"'{setting}'.*control character") as caught:
        cb.connect(provider, **{**settings_of(provider), setting: f"{CANARY}{bad}tail"})
    assert_no_canary(caught.value)


@pytest.mark.parametrize(("provider", "setting"), HEADER_SETTINGS)
@pytest.mark.parametrize("bad", ["é", "\u2028", "\x85", "\u200b", "\ufeff"], ids=repr)
def test_a_non_ascii_character_in_a_header_value_is_refused(
    provider: str, setting: str, bad: str
) -> None:
    with pytest.raises(cb.ConfigurationError, match=f"'{setting}'.*HTTP header") as caught:
        cb.connect(provider, **{**settings_of(provider), setting: f"{CANARY}{bad}tail"})
    assert_no_canary(caught.value)


def _marked_settings(provider: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Working settings in which every free-text setting holds a marker of its own."""
    markers: dict[str, str] = {}
    for setting in adapter_class(provider).settings_spec:
        if setting.kind is str and not setting.url and not setting.choices:
            marker = f"zq{setting.name.replace('_', '')}zq"
            try:  # a setting checked against a list (a region code) cannot hold a marker
                cb.connect(provider, **{**settings_of(provider), setting.name: marker}).close()
            except cb.ConfigurationError:
                continue
            markers[setting.name] = marker
    return {**settings_of(provider), **markers}, markers


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_setting_reaching_a_header_or_a_path_is_declared_so(provider: str) -> None:
    settings, markers = _marked_settings(provider)
    spec = {setting.name: setting for setting in adapter_class(provider).settings_spec}
    in_header: set[str] = set()
    in_path: set[str] = set()
    with cb.connect(provider, **settings) as conn:
        for client in (CLIENT, LEAD):
            prepared = conn.adapter.prepare(0, client, "ignore")
            for request in conn.adapter.preview_requests([prepared]):
                headers = " ".join(request.wire_headers().values())
                segments = [unquote(part) for part in urlsplit(request.url).path.split("/")]
                in_header.update(name for name, mark in markers.items() if mark in headers)
                in_path.update(name for name, mark in markers.items() if mark in segments)
    for name in in_header:
        assert spec[name].header or spec[name].secret, f"{name} reaches a header unchecked"
    for name in in_path:
        assert spec[name].path_segment, f"{name} reaches a URL path unchecked"
    assert sorted(in_header) == sorted(s for p, s in HEADER_SETTINGS if p == provider)
    assert sorted(in_path) == sorted(s for p, s in PATH_SETTINGS if p == provider)


@pytest.mark.parametrize(("provider", "setting"), PATH_SETTINGS)
@pytest.mark.parametrize("value", ["..", ".", " .. ", "/", "a/b", "../admin", "ws/../../admin"])
def test_a_path_value_that_could_leave_its_segment_is_refused(
    provider: str, setting: str, value: str
) -> None:
    with pytest.raises(cb.ConfigurationError, match=f"'{setting}' must not contain '/'"):
        cb.connect(provider, **{**settings_of(provider), setting: value})


#: An encoded path segment: unreserved characters and %XX escapes only.
ENCODED_SEGMENT = re.compile(r"(?:[A-Za-z0-9._~-]|%[0-9A-F]{2})+")


# --------------------------------------------------------------------------- response bodies


class Body:
    """A response body sent in chunks, counting the chunks that were read."""

    def __init__(self, content: bytes, chunk_size: int = 100) -> None:
        self.chunks = [content[i : i + chunk_size] for i in range(0, len(content), chunk_size)]
        self.read = 0

    def stream(self, asynchronous: bool) -> Iterator[bytes] | AsyncIterator[bytes]:
        return self._async_chunks() if asynchronous else self._chunks()

    def _chunks(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.read += 1
            yield chunk

    async def _async_chunks(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks():
            yield chunk


@pytest.fixture
def small_cap(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr("clientbridge.driver._base.MAX_RESPONSE_BYTES", CAP)
    return CAP


def padded(provider: str, size: int) -> bytes:
    """The provider's created answer, padded with JSON whitespace to ``size`` bytes."""
    content = json.dumps(created(provider)).encode()
    assert len(content) <= size
    return content.ljust(size)


@pytest.mark.usefixtures("small_cap")
@SYNC_AND_ASYNC
@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.anyio
async def test_an_answer_declaring_more_than_the_cap_is_refused_unread(
    provider: str, asynchronous: bool
) -> None:
    # The declared length alone decides: the body is never read (here it is shorter than
    # declared and would parse, which a real server cannot send but a proxy may claim).
    body = Body(padded(provider, CAP))
    headers = {"Content-Length": str(CAP + 1)}
    recorder = Recorder(
        lambda request: httpx.Response(201, headers=headers, content=body.stream(asynchronous))
    )
    with pytest.raises(cb.UnexpectedResponseError, match=f"larger than {CAP} bytes") as caught:
        await create(provider, asynchronous, transport=recorder.transport())
    assert body.read == 0
    assert caught.value.maybe_created is True  # it answered a create
    assert len(recorder.requests) == 1
    assert_no_canary(caught.value)


@pytest.mark.usefixtures("small_cap")
@SYNC_AND_ASYNC
@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.anyio
async def test_a_streamed_answer_over_the_cap_is_refused_as_soon_as_it_passes_it(
    provider: str, asynchronous: bool
) -> None:
    body = Body(b" " * (CAP * 20))  # no Content-Length: chunked
    recorder = Recorder(lambda request: httpx.Response(201, content=body.stream(asynchronous)))
    with pytest.raises(cb.UnexpectedResponseError, match=f"larger than {CAP} bytes") as caught:
        await create(provider, asynchronous, transport=recorder.transport())
    assert body.read == CAP // 100 + 1  # stopped at the first chunk past the cap
    assert caught.value.maybe_created is True


@pytest.mark.usefixtures("small_cap")
@SYNC_AND_ASYNC
@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.anyio
async def test_a_compressed_answer_is_capped_on_its_decoded_size(
    provider: str, asynchronous: bool
) -> None:
    compressed = gzip.compress(b" " * (CAP * 50))
    assert len(compressed) < CAP  # small on the wire, over the cap once decoded
    headers = {"Content-Encoding": "gzip", "Content-Length": str(len(compressed))}
    recorder = Recorder(lambda request: httpx.Response(201, headers=headers, content=compressed))
    with pytest.raises(cb.UnexpectedResponseError, match=f"larger than {CAP} bytes"):
        await create(provider, asynchronous, transport=recorder.transport())


@pytest.mark.usefixtures("small_cap")
@SYNC_AND_ASYNC
@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
@pytest.mark.anyio
async def test_an_answer_of_exactly_the_cap_is_read(
    provider: str, asynchronous: bool, declared: bool
) -> None:
    content = padded(provider, CAP)

    def answer(request: httpx.Request) -> httpx.Response:
        if declared:
            return httpx.Response(201, content=content)
        return httpx.Response(201, content=Body(content).stream(asynchronous))

    result = await create(provider, asynchronous, transport=Recorder(answer).transport())
    assert result.id


@SYNC_AND_ASYNC
@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    "content",
    [
        b"<html><body>Service moved</body></html>",
        b"",
        b"\xff\xfe\x00{",
        b'{"id": "r1"',
        b"[" * 100_000,  # valid-looking JSON nested deeper than the decoder can go
        b'{"a":' * 100_000,
    ],
    ids=["html", "empty", "binary", "truncated", "deep-array", "deep-object"],
)
@pytest.mark.anyio
async def test_a_success_that_is_not_json_is_an_unexpected_response(
    provider: str, asynchronous: bool, content: bytes
) -> None:
    recorder = Recorder(lambda request: httpx.Response(201, content=content))
    with pytest.raises(cb.UnexpectedResponseError, match="not JSON") as caught:
        await create(provider, asynchronous, transport=recorder.transport())
    assert caught.value.status_code == 201
    assert caught.value.maybe_created is True
    assert_no_canary(caught.value)


# --------------------------------------------------------------------------- redirects

ELSEWHERE = "elsewhere.example"


def redirecting(status: int) -> Recorder:
    """Answers ``status`` pointing elsewhere (with the canary in the URL); the target
    would accept anything."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host == ELSEWHERE:
            return httpx.Response(201, json={"id": "stolen"})
        location = f"https://{ELSEWHERE}/collect?key={CANARY}"
        return httpx.Response(status, headers={"Location": location})

    return Recorder(answer)


@SYNC_AND_ASYNC
@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.anyio
async def test_a_redirect_is_not_followed_even_by_a_callers_client_that_would(
    provider: str, asynchronous: bool, status: int
) -> None:
    recorder = redirecting(status)
    http_client = callers_client(recorder, asynchronous, follow_redirects=True)
    try:
        with pytest.raises(cb.ProviderError) as caught:
            await create(provider, asynchronous, http_client=http_client)
    finally:
        await close(http_client)
    assert caught.value.status_code == status
    assert "redirects" in str(caught.value)
    assert f"https://{ELSEWHERE}/collect" in str(caught.value)
    assert_no_canary(caught.value)
    assert caught.value.retryable is False
    # A 303 to a create usually points at the record just stored: the outcome is unknown.
    assert outcome_unknown(caught.value) is (status == 303)
    (request,) = recorder.requests
    assert request.method == "POST"
    assert request.url.host != ELSEWHERE
