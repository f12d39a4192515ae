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

The rooms: `_policy` (`RetryPolicy`), `_errors` (whether a failure may have reached the
provider), `_base` (every decision of `send` but the I/O), `_sync` (`SyncDriver`) and `_async`
(`AsyncDriver`).
"""

from clientbridge.driver._async import AsyncDriver
from clientbridge.driver._errors import TotalTimeout, transport_error
from clientbridge.driver._policy import RetryPolicy
from clientbridge.driver._sync import SyncDriver

__all__ = ["AsyncDriver", "RetryPolicy", "SyncDriver", "TotalTimeout", "transport_error"]
