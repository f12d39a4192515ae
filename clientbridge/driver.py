"""The sync and async httpx drivers: they run an adapter's plan over HTTP.

Retries, timeouts, response size limits, redirects and logging live here, once, for
every provider. The retry policy is the one a non-idempotent POST can afford:

* 429 and 503 are retried, honouring ``Retry-After`` (a longer wait than
  ``max_retry_after`` is not slept through: the error is raised with ``retry_after``);
* connection failures that prove the request was not sent (connect errors, connect
  and pool timeouts) are retried;
* after a read timeout, a dropped connection, 500, 502 or 504 a POST is never resent:
  the error carries ``maybe_sent=True`` so the caller can check first. Look-ups
  (GET) are idempotent and are retried on those too.

httpx's timeouts bound each network operation (a server trickling its answer a byte at a
time never trips the read timeout), so every attempt also has a total deadline,
``total_timeout``, for connecting, sending and reading the whole answer: the async driver
runs the attempt in an anyio cancel scope with that deadline; the sync driver, which has
no way to interrupt a blocking read, caps every operation's timeout at it and checks it
between the chunks of the answer. An attempt past its deadline is a `TotalTimeout`, an
``httpx.TimeoutException``: a POST is not resent after it (it may have been received).

The loop is written out here rather than delegated to a retry library because the
decision needs the response (status and ``Retry-After``) and the send phase of the
failure, and because its sleep must be injectable for tests without a global switch.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable, Generator, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import httpx

from clientbridge.errors import (
    RETRYABLE_STATUSES,
    ClientBridgeError,
    TransportError,
    UnexpectedResponseError,
)
from clientbridge.model import FrozenMapping
from clientbridge.secrets import Secret, redact_text
from clientbridge.wire import HttpRequest, HttpResponse

if TYPE_CHECKING:
    import anyio
    from httpx._client import UseClientDefault

    from clientbridge.ratelimit import Throttle

__all__ = ["AsyncDriver", "RetryPolicy", "SyncDriver", "TotalTimeout"]

logger = logging.getLogger("clientbridge")

#: Largest response body read; a larger one is an `UnexpectedResponseError`.
MAX_RESPONSE_BYTES = 10 * 1024 * 1024
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

#: What a plan returns: a create plan its outcomes, a find plan the records it found.
PlanResult = TypeVar("PlanResult")


class TotalTimeout(httpx.TimeoutException):
    """An attempt took longer than ``total_timeout`` in all (connect, send, whole answer)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the answer was not complete within total_timeout={seconds:g} s")


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """When and how long to wait before sending a request again."""

    max_retries: int = 3
    initial_backoff: float = 0.5
    max_backoff: float = 20.0
    #: the longest ``Retry-After`` we sleep through
    max_retry_after: float = 60.0

    def status_delay(self, method: str, response: HttpResponse, retries_done: int) -> float | None:
        """Seconds to wait before resending after ``response``, or None to stop."""
        status = response.status_code
        retryable = status in RETRYABLE_STATUSES or (
            method in _IDEMPOTENT and status in (500, 502, 504)
        )
        if not retryable or retries_done >= self.max_retries:
            return None
        retry_after = response.retry_after()
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after else None
        return self.backoff(retries_done)

    def error_delay(self, method: str, error: Exception, retries_done: int) -> float | None:
        if retries_done >= self.max_retries:
            return None
        if isinstance(error, _NOT_SENT) or method in _IDEMPOTENT:
            return self.backoff(retries_done)
        return None

    def backoff(self, retries_done: int) -> float:
        """Exponential backoff with full jitter, capped."""
        ceiling = min(self.max_backoff, self.initial_backoff * (2**retries_done))
        return random.uniform(ceiling / 2, ceiling)


def transport_error(
    error: Exception, request: HttpRequest, provider: str, secrets: Iterable[Secret] = ()
) -> TransportError:
    """A `TransportError` saying whether the request may have reached the provider.

    The transport's own words are quoted with ``secrets`` masked: they may echo what was
    being sent (h11 refuses a header with "Illegal header value '<the value>'").
    """
    # A proxy that refuses the tunnel (407 Proxy Authentication Required, a refused
    # CONNECT) answered before any byte of the request left for the provider.
    maybe_sent = not isinstance(error, _NOT_SENT) and not isinstance(
        error, httpx.UnsupportedProtocol | httpx.LocalProtocolError | httpx.ProxyError
    )
    kind = type(error).__name__
    reason = f"{request.method} to {provider} failed ({kind}: {redact_text(str(error), secrets)})"
    if maybe_sent:
        advice = (
            "the request may have reached the provider: check whether the client exists "
            "before creating it again"
        )
    else:
        advice = "the request was not sent; it is safe to try again"
    return TransportError(
        f"{reason}; {advice}", maybe_sent=maybe_sent, provider=provider, reason=reason
    )


class _DriverBase:
    """What the sync and async drivers share: every decision of `send` but the I/O."""

    def __init__(
        self,
        *,
        provider: str,
        policy: RetryPolicy,
        secrets: Iterable[Secret],
        timeout: httpx.Timeout | float | UseClientDefault | None,
        total_timeout: float | None = None,
        throttle: Throttle | None = None,
    ) -> None:
        self.provider = provider
        #: the account's rate limit: waited for before each attempt, told each answer
        self.throttle = throttle
        self.policy = policy
        self.secrets = tuple(secrets)
        #: per operation: seconds, None for none, or ``httpx.USE_CLIENT_DEFAULT``
        self.timeout = timeout
        #: seconds one attempt may take in all, None for no bound
        self.total_timeout = total_timeout
        self._urls: dict[str, httpx.URL] = {}
        #: `stop_sending` was called: no request leaves any more
        self.stopped = False

    def stop_sending(self) -> None:
        """Send no new request: one waiting for its turn (the rate limit, a retry's
        backoff) or not started raises a `TransportError` with ``maybe_sent=False``
        instead of leaving; a request already on its way finishes."""
        self.stopped = True

    def _check_not_stopped(self, request: HttpRequest) -> None:
        if self.stopped:
            raise _not_sent_after_stop(request, self.provider)

    def _build(self, client: httpx.Client | httpx.AsyncClient, request: HttpRequest) -> Any:
        # Built anew for every attempt: the client adds its cookies when it builds one.
        url = self._urls.get(request.url)
        if url is None:
            # A connection sends to a handful of URLs: parse each once, not per request.
            url = self._urls[request.url] = httpx.URL(request.url)
            if len(self._urls) > 64:
                self._urls.clear()
        return client.build_request(
            request.method,
            url,
            headers=request.wire_headers(),
            content=request.body_bytes(),
            timeout=self.timeout,
        )

    def _check_declared_size(self, raw: httpx.Response, request: HttpRequest) -> None:
        """Raise `UnexpectedResponseError`, unread, when the declared size is over the cap.
        Any other body is read chunk by chunk (`_append`), so that the size cap holds for
        what is decoded and the sync driver can check its deadline between chunks."""
        declared = _declared_size(raw)
        if declared is not None and declared > MAX_RESPONSE_BYTES:
            raise self._too_large(request)

    def _append(self, content: bytearray, chunk: bytes, request: HttpRequest) -> None:
        """Add ``chunk`` to the body read so far; raises past the size cap."""
        content += chunk
        if len(content) > MAX_RESPONSE_BYTES:
            raise self._too_large(request)

    def _deadline(self) -> float | None:
        """When an attempt starting now must be over (`time.monotonic`), or None."""
        return None if self.total_timeout is None else time.monotonic() + self.total_timeout

    def _check_deadline(self, deadline: float | None) -> None:
        if deadline is not None and time.monotonic() > deadline:
            assert self.total_timeout is not None
            raise TotalTimeout(self.total_timeout)

    def _delay_after_error(self, request: HttpRequest, error: Exception, retries: int) -> float:
        """Seconds to wait before resending after ``error`` (the retry is logged); raises
        the `TransportError` when the request is not to be resent."""
        delay = self.policy.error_delay(request.method, error, retries)
        if delay is None:
            raise transport_error(error, request, self.provider, self.secrets) from None
        self._log_retry(request, type(error).__name__, delay, retries + 1)
        return delay

    def _delay_after_response(
        self, request: HttpRequest, response: HttpResponse, retries: int, started: float
    ) -> float | None:
        """Seconds to wait before resending after ``response``, or None to return it.
        The response is logged, and so is the retry."""
        self._log_response(request, response, started)
        delay = self.policy.status_delay(request.method, response, retries)
        if delay is not None:
            self._log_retry(request, f"HTTP {response.status_code}", delay, retries + 1)
        return delay

    def _too_large(self, request: HttpRequest) -> UnexpectedResponseError:
        # A look-up (GET) creates nothing; only an answer to a create leaves it unknown.
        maybe_created = request.method not in _IDEMPOTENT
        outcome = "the client may have been created" if maybe_created else "nothing was created"
        return UnexpectedResponseError(
            f"{self.provider} sent a response larger than {MAX_RESPONSE_BYTES} bytes to "
            f"{request.method} {self._safe_url(request)}; {outcome}",
            provider=self.provider,
            maybe_created=maybe_created,
        )

    def _safe_url(self, request: HttpRequest) -> str:
        return redact_text(request.url, self.secrets)

    def _log_response(self, request: HttpRequest, response: HttpResponse, started: float) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> HTTP %d in %.0f ms",
                request.method,
                self._safe_url(request),
                response.status_code,
                (time.perf_counter() - started) * 1000,
            )

    def _log_retry(self, request: HttpRequest, why: str, delay: float, attempt: int) -> None:
        logger.info(
            "%s %s: %s; retry %d of %d in %.2f s",
            request.method,
            self._safe_url(request),
            why,
            attempt,
            self.policy.max_retries,
            delay,
        )


class _SendingStopped(Exception):
    """A wait before a request was cut short by `stop_sending`."""


def _not_sent_after_stop(request: HttpRequest, provider: str) -> TransportError:
    reason = f"{request.method} to {provider} was not sent: sending was stopped"
    return TransportError(
        f"{reason}; it is safe to try again", maybe_sent=False, provider=provider, reason=reason
    )


def _declared_size(raw: httpx.Response) -> int | None:
    """The body size the server declared, or None when what is decoded may differ from
    it (chunked, gzip, no length)."""
    if "content-encoding" in raw.headers:
        return None
    try:
        return int(raw.headers.get("content-length", ""))
    except ValueError:
        return None


def _response(raw: httpx.Response, content: bytes | bytearray) -> HttpResponse:
    return HttpResponse(
        status_code=raw.status_code,
        # httpx gives the names lower-cased. Copied once: the converter keeps a FrozenMapping.
        headers=FrozenMapping(raw.headers.items()),
        content=bytes(content),
    )


class SyncDriver(_DriverBase):
    """Sends requests with an `httpx.Client` and runs plans to completion."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        owns_client: bool,
        sleep: Callable[[float], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.client = client
        self.owns_client = owns_client
        self._sleep = sleep

    def sleep(self, seconds: float) -> None:
        (self._sleep or time.sleep)(seconds)

    def _attempt(self, request: HttpRequest) -> tuple[httpx.Response, bytearray]:
        """Send ``request`` once and read its whole answer within the total timeout.

        A blocking read cannot be interrupted: each operation's timeout is capped at the
        total timeout (see `connection`), and the deadline is checked between chunks.
        """
        deadline = self._deadline()
        # Never follow a redirect, even with a caller's http_client that would: a POST
        # must not be re-sent elsewhere, nor an X-API-KEY header go with it.
        raw = self.client.send(
            self._build(self.client, request), stream=True, follow_redirects=False
        )
        try:
            self._check_declared_size(raw, request)
            content = bytearray()
            for chunk in raw.iter_bytes():
                self._append(content, chunk, request)
                self._check_deadline(deadline)
        finally:
            raw.close()
        return raw, content

    def send(self, request: HttpRequest) -> HttpResponse:
        retries = 0
        while True:
            sent_at = self.throttle.wait(self.sleep) if self.throttle else 0.0
            self._check_not_stopped(request)
            started = time.perf_counter()
            try:
                raw, content = self._attempt(request)
            except httpx.HTTPError as error:
                delay = self._delay_after_error(request, error, retries)
            else:
                response = _response(raw, content)
                if self.throttle:
                    self.throttle.observe(sent_at, response.status_code, response.retry_after())
                after = self._delay_after_response(request, response, retries, started)
                if after is None:
                    return response
                delay = after
            retries += 1
            self.sleep(delay)

    def run(self, plan: Generator[HttpRequest, HttpResponse, PlanResult]) -> PlanResult:
        """Drive ``plan``: send each request it yields, feed back each response."""
        try:
            request = next(plan)
            while True:
                try:
                    response = self.send(request)
                except ClientBridgeError as error:
                    # Into the plan, which knows what a failure at this step means (a
                    # look-up's: nothing was created); re-raised as it is otherwise.
                    request = plan.throw(error)
                else:
                    request = plan.send(response)
        except StopIteration as done:
            result: PlanResult = done.value
            return result
        finally:
            plan.close()

    def close(self) -> None:
        if self.throttle:
            self.throttle.close()
        if self.owns_client:
            self.client.close()


class AsyncDriver(_DriverBase):
    """Sends requests with an `httpx.AsyncClient` and runs plans to completion."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        owns_client: bool,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.client = client
        self.owns_client = owns_client
        self._sleep = sleep
        #: set by `stop_sending`: wakes the requests waiting for their turn
        self._stopping: anyio.Event | None = None

    def stop_sending(self) -> None:
        super().stop_sending()
        if self._stopping is not None:
            self._stopping.set()

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` before a request; raises `_SendingStopped` at `stop_sending`."""
        import anyio

        if self._stopping is None:
            self._stopping = anyio.Event()
        if self._sleep is not None:
            await self._sleep(seconds)
        else:
            with anyio.move_on_after(seconds):
                await self._stopping.wait()
        if self.stopped:
            raise _SendingStopped

    async def _attempt(self, request: HttpRequest) -> tuple[httpx.Response, bytearray]:
        """Send ``request`` once and read its whole answer, cancelled at the total timeout."""
        if self.total_timeout is None:
            return await self._exchange(request)  # no cancel scope to pay for
        import anyio

        with anyio.move_on_after(self.total_timeout) as deadline:
            return await self._exchange(request)
        # Only the deadline ends the block early (an outer cancellation goes through it).
        assert deadline.cancelled_caught
        assert self.total_timeout is not None
        raise TotalTimeout(self.total_timeout)

    async def _exchange(self, request: HttpRequest) -> tuple[httpx.Response, bytearray]:
        raw = await self.client.send(
            self._build(self.client, request), stream=True, follow_redirects=False
        )
        try:
            self._check_declared_size(raw, request)
            content = bytearray()
            async for chunk in raw.aiter_bytes():
                self._append(content, chunk, request)
        finally:
            await raw.aclose()
        return raw, content

    async def send(self, request: HttpRequest) -> HttpResponse:
        retries = 0
        while True:
            try:
                sent_at = await self.throttle.wait_async(self.sleep) if self.throttle else 0.0
            except _SendingStopped:
                raise _not_sent_after_stop(request, self.provider) from None
            self._check_not_stopped(request)
            started = time.perf_counter()
            try:
                raw, content = await self._attempt(request)
            except httpx.HTTPError as error:
                delay = self._delay_after_error(request, error, retries)
            else:
                response = _response(raw, content)
                if self.throttle:
                    self.throttle.observe(sent_at, response.status_code, response.retry_after())
                after = self._delay_after_response(request, response, retries, started)
                if after is None:
                    return response
                delay = after
            retries += 1
            try:
                await self.sleep(delay)
            except _SendingStopped:
                raise _not_sent_after_stop(request, self.provider) from None

    async def run(self, plan: Generator[HttpRequest, HttpResponse, PlanResult]) -> PlanResult:
        """Drive ``plan``: send each request it yields, feed back each response."""
        try:
            request = next(plan)
            while True:
                try:
                    response = await self.send(request)
                except ClientBridgeError as error:
                    request = plan.throw(error)  # see SyncDriver.run
                else:
                    request = plan.send(response)
        except StopIteration as done:
            result: PlanResult = done.value
            return result
        finally:
            plan.close()

    async def aclose(self) -> None:
        if self.throttle:
            await self.throttle.aclose()
        if self.owns_client:
            await self.client.aclose()
