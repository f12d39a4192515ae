"""What the sync and async drivers share: every decision of `send` but the I/O (building the
request, the size cap, the deadline, the delays before a retry, the DEBUG log)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from clientbridge.driver._errors import TotalTimeout, not_sent_after_stop, transport_error
from clientbridge.driver._policy import IDEMPOTENT, RetryPolicy
from clientbridge.errors import (
    UnexpectedResponseError,
)
from clientbridge.model import FrozenMapping
from clientbridge.secrets import Secret, redact_text
from clientbridge.wire import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from httpx._client import UseClientDefault

    from clientbridge.ratelimit import Throttle

logger = logging.getLogger("clientbridge")

#: Largest response body read; a larger one is an `UnexpectedResponseError`.
MAX_RESPONSE_BYTES = 10 * 1024 * 1024
#: What a plan returns: a create plan its outcomes, a find plan the records it found.
PlanResult = TypeVar("PlanResult")


class DriverBase:
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
            raise not_sent_after_stop(request, self.provider)

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
        maybe_created = request.method not in IDEMPOTENT
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


def _declared_size(raw: httpx.Response) -> int | None:
    """The body size the server declared, or None when what is decoded may differ from
    it (chunked, gzip, no length)."""
    if "content-encoding" in raw.headers:
        return None
    try:
        return int(raw.headers.get("content-length", ""))
    except ValueError:
        return None


def response_of(raw: httpx.Response, content: bytes | bytearray) -> HttpResponse:
    return HttpResponse(
        status_code=raw.status_code,
        # httpx gives the names lower-cased. Copied once: the converter keeps a FrozenMapping.
        headers=FrozenMapping(raw.headers.items()),
        content=bytes(content),
    )
