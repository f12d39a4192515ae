"""The throttle: one connection's way to its account's limit (wait before each request, learn
from each answer), and `make_throttle`, which gives a new connection its own."""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING

from clientbridge.errors import ConfigurationError
from clientbridge.ratelimit._learned import SharedLimit, limit_key, shared_limit
from clientbridge.ratelimit._rates import Rate, RateLimitMode
from clientbridge.ratelimit._storage import Bucket
from clientbridge.secrets import Secret

if TYPE_CHECKING:
    import anyio

#: The clock every wait and every learned rate reads (tests make it virtual).
monotonic = time.monotonic


class Throttle:
    """One connection's way to its account's `SharedLimit`: `wait` before each request,
    `observe` each answer. Waiters of one connection queue (one asks at a time)."""

    def __init__(
        self,
        provider: str,
        shared: SharedLimit,
        *,
        configured: Rate | None,
        storage: Secret | None = None,
        longest_pause: float = 60.0,
    ) -> None:
        self.provider = provider
        self.shared = shared
        self.configured = configured
        self.storage = storage
        self.longest_pause = longest_pause
        self.bucket = Bucket(provider, shared, storage)
        self._thread_lock = threading.Lock()
        self._task_lock: anyio.Lock | None = None

    @property
    def rate(self) -> float | None:
        """Requests a second now allowed: the configured limit, else the learned one."""
        if self.configured is not None:
            return self.configured.per_second
        return self.shared.learned.rate

    def _free(self, now: float) -> bool:
        return self.rate is None and self.shared.paused_until <= now

    # ------------------------------------------------------------------ waiting

    def wait(self, sleep: Callable[[float], None]) -> float:
        """Block (with ``sleep``) until a request may leave; returns when it left."""
        now = monotonic()
        if self._free(now):
            return now
        with self._thread_lock:
            while True:
                delay = self._pause_left()
                if delay <= 0:
                    delay = self._admit(self.bucket.check(self.rate, monotonic()))
                if delay <= 0:
                    return monotonic()
                sleep(delay)

    async def wait_async(self, sleep: Callable[[float], Awaitable[None]]) -> float:
        """`wait` for tasks: ``sleep`` is awaited."""
        now = monotonic()
        if self._free(now):
            return now
        if self._task_lock is None:
            import anyio

            self._task_lock = anyio.Lock()
        async with self._task_lock:
            while True:
                delay = self._pause_left()
                if delay <= 0:
                    decision = self.bucket.check(self.rate, monotonic(), asynchronous=True)
                    if not isinstance(decision, float):
                        decision = await decision
                    delay = self._admit(decision)
                if delay <= 0:
                    return monotonic()
                await sleep(delay)

    def _pause_left(self) -> float:
        return self.shared.paused_until - monotonic()

    def _admit(self, wait: float) -> float:
        if wait > 0 and self.configured is None:
            self.shared.learned.held_back()
        return wait

    # ------------------------------------------------------------------ learning

    def observe(self, sent_at: float, status: int, retry_after: float | None) -> None:
        """Learn from the answer to a request that left at ``sent_at``."""
        now = monotonic()
        learned = self.shared.learned
        if status != 429:
            if self.configured is None:
                learned.accepted(now)
            return
        if retry_after is not None and retry_after <= self.longest_pause:
            self.shared.pause(retry_after, now)
        if self.configured is None and learned.refused(sent_at, now):
            import logging  # here, on a rare 429: `import clientbridge` stays light

            logging.getLogger("clientbridge").info(
                "%s answered 429 (too many requests): requests to this account now leave "
                "at most %.3g a second, growing while answers are clean",
                self.provider,
                learned.rate,
            )

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        self.bucket.close()

    async def aclose(self) -> None:
        await self.bucket.aclose()

    def __repr__(self) -> str:
        limit = "learned" if self.configured is None else str(self.configured)
        return f"<Throttle {self.shared.key} {limit}>"


def make_throttle(
    provider: str,
    base_url: str,
    secrets: Iterable[Secret],
    *,
    rate_limit: Rate | RateLimitMode,
    storage: Secret | None,
    longest_pause: float,
) -> Throttle | None:
    """The throttle of a new connection, or None with ``rate_limit="off"``."""
    if rate_limit == "off":
        return None
    if storage is not None:
        import importlib.util

        if importlib.util.find_spec("redis") is None:
            raise ConfigurationError(
                "rate_limit_storage needs the redis package: install clientbridge[redis]"
            )
    key = limit_key(provider, base_url, secrets)
    shared = shared_limit(key)
    return Throttle(
        provider,
        shared,
        configured=rate_limit if isinstance(rate_limit, Rate) else None,
        storage=storage,
        longest_pause=longest_pause,
    )
