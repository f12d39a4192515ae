"""Learned limits: what every connection to one account shares in this process (the pause a
``Retry-After`` asked for, the rate learned from 429s) and the key that names the account."""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING

from clientbridge.secrets import Secret

if TYPE_CHECKING:
    from pyrate_limiter import StateStore

#: Answers logged before the accepted-answer log is trimmed while no rate is learned.
_TRIM_EVERY = 1024


def limit_key(provider: str, base_url: str, secrets: Iterable[Secret]) -> str:
    """The account a limit belongs to: the provider in clear, then a SHA-256 digest of
    the base URL and the credentials (never the credentials themselves)."""
    import hashlib

    digest = hashlib.sha256(b"clientbridge rate limit\0")
    for part in (provider, base_url, *(secret.reveal() for secret in secrets)):
        digest.update(part.encode())
        digest.update(b"\0")
    return f"{provider}:{digest.hexdigest()[:32]}"


class AdaptiveRate:
    """The request rate learned from 429s: cut multiplicatively, grown additively.

    Pure bookkeeping with the times passed in; `SharedLimit` holds one per account.
    ``rate`` is None until the first 429 that tells something (one answered after
    requests were accepted): until then nothing is held back.
    """

    #: a 429 cuts the rate to this share of what the provider accepted in the last second
    DECREASE = 0.9
    #: the rate grows by this share of its value at the last cut, each second
    INCREASE = 0.02
    #: seconds between two steps up, and the window the accepted rate is measured over
    INTERVAL = 1.0
    #: requests a second the rate is never cut below
    MINIMUM = 0.1

    def __init__(self) -> None:
        self.rate: float | None = None
        self.cuts = 0
        self._step = 0.0
        self._cut_at = -math.inf
        self._grown_at = -math.inf
        self._held_back = False
        self._accepted: deque[float] = deque()
        self._lock = threading.Lock()

    def held_back(self) -> None:
        """A request waited for the rate: it is what limits, so it may grow."""
        self._held_back = True

    def accepted(self, now: float) -> None:
        """An answer other than 429 came back at ``now``."""
        if self.rate is None:
            # Nothing learned yet (no 429): only the count of the last second matters,
            # for the first cut. No lock per answer; the log is trimmed now and then.
            self._accepted.append(now)
            if len(self._accepted) > _TRIM_EVERY:
                with self._lock:
                    self._forget_before(now - self.INTERVAL)
            return
        with self._lock:
            self._accepted.append(now)
            self._forget_before(now - self.INTERVAL)
            since = max(self._cut_at, self._grown_at)
            if self.rate is not None and self._held_back and now - since >= self.INTERVAL:
                self.rate += self._step
                self._grown_at = now
                self._held_back = False

    def refused(self, sent_at: float, now: float) -> bool:
        """A 429 came back at ``now`` for a request that left at ``sent_at``; returns
        whether the rate was cut (a request that left before the last cut was already
        counted by it, and a 429 after nothing was accepted says no rate)."""
        with self._lock:
            if sent_at < self._cut_at:
                return False
            self._forget_before(now - self.INTERVAL)
            accepted = len(self._accepted) / self.INTERVAL
            if self.rate is None:
                if not accepted:
                    return False
                base = accepted
            else:
                base = min(self.rate, accepted) if accepted else self.rate
            self.rate = max(self.MINIMUM, base * self.DECREASE)
            self._step = self.rate * self.INCREASE
            self._cut_at = now
            self._held_back = False
            self.cuts += 1
            return True

    def _forget_before(self, moment: float) -> None:
        accepted = self._accepted
        while accepted and accepted[0] < moment:
            accepted.popleft()


class SharedLimit:
    """What every connection to one account shares in this process: the pause a
    ``Retry-After`` asked for, the rate learned from 429s and the in-process bucket."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.learned = AdaptiveRate()
        #: `monotonic` time before which no request leaves
        self.paused_until = -math.inf
        self._store: StateStore | None = None
        self._lock = threading.Lock()

    def pause(self, seconds: float, now: float) -> None:
        with self._lock:
            self.paused_until = max(self.paused_until, now + seconds)

    def memory_store(self) -> StateStore:
        with self._lock:
            if self._store is None:
                from pyrate_limiter import InMemoryStateStore

                self._store = InMemoryStateStore()
            return self._store

    def __repr__(self) -> str:
        return f"<SharedLimit {self.key} learned={self.learned.rate}>"


_limits: dict[str, SharedLimit] = {}
_limits_lock = threading.Lock()


def shared_limit(key: str) -> SharedLimit:
    """The process's `SharedLimit` for the account ``key`` (see `limit_key`)."""
    with _limits_lock:
        found = _limits.get(key)
        if found is None:
            found = _limits[key] = SharedLimit(key)
        return found


def forget_limits() -> None:
    """Forget every pause and learned rate of this process (a test starts afresh)."""
    with _limits_lock:
        _limits.clear()
