"""The sandbox's rate limit: a token bucket per credential, and the counts tools read.

``Sandbox(rate_limit="20/s")`` (``clientbridge sandbox serve --rate-limit 20/s``) keeps
one bucket of ``burst`` tokens (default: the rate's request count) per credential
presented, refilled at the rate; a request that finds it empty is answered 429 with
``Retry-After`` in whole seconds (or without it, ``retry_after=False``), before the
emulator sees it. The bucket is pyrate-limiter's GCRA, as the client's limiter is.

`SandboxStats` counts every API request and every 429 the limit answered: ``GET
/_sandbox/stats`` shows them as ``{"requests": N, "rate_limited": M, ...}``.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from clientbridge.ratelimit import Rate, parse_rate

if TYPE_CHECKING:
    from pyrate_limiter import GCRA, StateStore
    from pyrate_limiter import Rate as BucketRate

    from clientbridge.sandbox.emulators.base import SandboxRequest

__all__ = ["STATS_PATH", "SandboxRateLimit", "SandboxStats"]

#: ``GET`` it for the sandbox's counts: ``{"requests": N, "rate_limited": M, ...}``.
STATS_PATH = "/_sandbox/stats"


class SandboxStats:
    """What the sandbox saw: API requests, and the 429s its rate limit answered."""

    def __init__(self) -> None:
        self.requests = 0
        self.rate_limited = 0
        self._lock = threading.Lock()

    def count(self, *, rate_limited: bool) -> None:
        with self._lock:
            self.requests += 1
            if rate_limited:
                self.rate_limited += 1

    def reset(self) -> None:
        """Count from zero again."""
        with self._lock:
            self.requests = self.rate_limited = 0


class SandboxRateLimit:
    """A token bucket per credential: ``rate`` sustained, ``burst`` at once."""

    def __init__(
        self,
        rate: str | Rate,
        *,
        burst: int | None = None,
        retry_after: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = parse_rate(rate) if isinstance(rate, str) else rate
        if burst is not None and burst < 1:
            raise ValueError(f"the rate limit's burst must be at least 1, not {burst!r}")
        self.burst = burst if burst is not None else max(1, math.floor(self.rate.requests))
        self.retry_after = retry_after
        self._clock = clock
        self._stores: dict[str, StateStore] = {}
        self._lock = threading.Lock()
        from pyrate_limiter import GCRA
        from pyrate_limiter import Rate as BucketRate

        self._algorithm: GCRA = GCRA()
        # Whole requests per whole milliseconds: a thousand periods' worth keeps decimals.
        self._rates: list[BucketRate] = [
            BucketRate(
                max(1, round(self.rate.requests * 1000)),
                max(1, round(self.rate.seconds * 1000 * 1000)),
                burst=self.burst,
            )
        ]

    def wait(self, request: SandboxRequest, credential_headers: Sequence[str]) -> float | None:
        """None when ``request`` may go on (a token was taken), else the seconds until
        its credential's bucket has a token again (the credential is whatever
        ``credential_headers`` carry)."""
        from pyrate_limiter import Decision

        decision = self._store(_credential_of(request, credential_headers)).check(
            self._algorithm, self._rates, int(self._clock() * 1000), 1
        )
        assert isinstance(decision, Decision)  # an in-memory store decides at once
        if decision.allowed:
            return None
        return (decision.retry_after_ms or 1) / 1000

    def retry_after_header(self, wait: float) -> tuple[tuple[str, str], ...]:
        """``Retry-After`` in whole seconds, as HTTP writes it (at least 1)."""
        if not self.retry_after:
            return ()
        return (("Retry-After", str(max(1, math.ceil(wait)))),)

    def describe(self) -> dict[str, Any]:
        return {"rate_limit": str(self.rate), "burst": self.burst, "retry_after": self.retry_after}

    def _store(self, credential: str) -> StateStore:
        with self._lock:
            store = self._stores.get(credential)
            if store is None:
                from pyrate_limiter import InMemoryStateStore

                store = self._stores[credential] = InMemoryStateStore()
            return store


def _credential_of(request: SandboxRequest, credential_headers: Sequence[str]) -> str:
    """Whatever credential the request presents, as a digest (the bucket's name)."""
    presented = "\0".join(request.headers.get(name, "") for name in credential_headers)
    return hashlib.sha256(presented.encode()).hexdigest()
