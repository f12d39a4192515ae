"""How a failure to send is told: whether the request may have reached the provider (a
`TransportError` saying so), a whole attempt past its deadline (`TotalTimeout`), and a request
held back by `stop_sending`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import httpx

from clientbridge.errors import (
    TransportError,
)
from clientbridge.secrets import Secret, redact_text
from clientbridge.wire import HttpRequest

if TYPE_CHECKING:
    pass

NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class TotalTimeout(httpx.TimeoutException):
    """An attempt took longer than ``total_timeout`` in all (connect, send, whole answer)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the answer was not complete within total_timeout={seconds:g} s")


def transport_error(
    error: Exception, request: HttpRequest, provider: str, secrets: Iterable[Secret] = ()
) -> TransportError:
    """A `TransportError` saying whether the request may have reached the provider.

    The transport's own words are quoted with ``secrets`` masked: they may echo what was
    being sent (h11 refuses a header with "Illegal header value '<the value>'").
    """
    # A proxy that refuses the tunnel (407 Proxy Authentication Required, a refused
    # CONNECT) answered before any byte of the request left for the provider.
    maybe_sent = not isinstance(error, NOT_SENT) and not isinstance(
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


class SendingStopped(Exception):
    """A wait before a request was cut short by `stop_sending`."""


def not_sent_after_stop(request: HttpRequest, provider: str) -> TransportError:
    reason = f"{request.method} to {provider} was not sent: sending was stopped"
    return TransportError(
        f"{reason}; it is safe to try again", maybe_sent=False, provider=provider, reason=reason
    )
