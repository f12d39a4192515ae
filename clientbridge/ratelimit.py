"""Rate limits: spend a provider account's request budget without being refused for it.

What a connection does about rate limits is its ``rate_limit`` option:

* ``"auto"`` (the default): no limit is known, so none is applied until the provider
  answers 429. Then the request rate is cut to 90% of what the provider accepted over
  the last second, and grows back by a small fixed step each second while answers are
  clean and the rate is what holds requests back (AIMD, as TCP does with its window).
  One cut per round: 429s for requests that left before a cut do not cut again.
* ``"10/s"``, ``"600/min"``, ``"5000/h"``: at most that many requests, spent evenly (a
  tenth of a second's worth may leave at once).
* ``"off"``: none of this; each request that gets a 429 waits and retries on its own.

The limit belongs to the account, not to one connection: every thread and task of every
connection in the process with the same provider, base URL and credential shares it
(`limit_key` names the account with a digest, never the credential). A 429 with
``Retry-After`` pauses all of their requests until then, not only the one that got it.

The admission decision is pyrate-limiter's GCRA token bucket: in this process by default,
or in Redis with ``rate_limit_storage="redis://..."`` (its atomic script; the ``redis``
extra), so processes and machines share one budget. What is written here is the
adaptation and the pause; pyrate-limiter is imported only when a request first waits.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

import attrs

from clientbridge.errors import ConfigurationError, TransportError
from clientbridge.secrets import Secret

if TYPE_CHECKING:
    import anyio
    from pyrate_limiter import GCRA, StateStore
    from pyrate_limiter import Rate as BucketRate

__all__ = [
    "AdaptiveRate",
    "Rate",
    "RateLimitMode",
    "SharedLimit",
    "Throttle",
    "check_rate_options",
    "forget_limits",
    "limit_key",
    "parse_rate",
    "shared_limit",
]

#: ``"auto"`` learns the limit from 429s; ``"off"`` leaves every request to itself.
RateLimitMode = Literal["auto", "off"]
_MODES: tuple[RateLimitMode, ...] = ("auto", "off")
#: Seconds' worth of a rate that may leave at once (at least one request): a little slack
#: keeps the rate when a waiter wakes late, without bursting at the provider.
BURST_SECONDS = 0.1
_STORAGE_SCHEMES = ("memory", "redis", "rediss", "unix")
_UNITS = {
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "min": 60.0,
    "minute": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
}
_RATE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)?\s*([a-z]+?)s?\s*", re.IGNORECASE)

#: Answers logged before the accepted-answer log is trimmed while no rate is learned.
_TRIM_EVERY = 1024

#: The clock every wait and every learned rate reads (tests make it virtual).
monotonic = time.monotonic


@attrs.frozen
class Rate:
    """So many requests per so many seconds, e.g. ``parse_rate("600/min")``."""

    requests: float
    seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def __str__(self) -> str:
        return f"{self.requests:g}/{_unit_text(self.seconds)}"


def _unit_text(seconds: float) -> str:
    for name, length in (("h", 3600.0), ("min", 60.0), ("s", 1.0)):
        if seconds == length:
            return name
        if seconds % length == 0:
            return f"{seconds / length:g}{name}"
    return f"{seconds:g}s"


def parse_rate(text: str) -> Rate:
    """``"10/s"``, ``"600/min"``, ``"5000/h"``, ``"100/10s"`` as a `Rate`; ValueError otherwise."""
    match = _RATE.fullmatch(text)
    unit = _UNITS.get(match.group(3).lower()) if match else None
    if match is None or unit is None:
        raise ValueError(
            f"{text!r} is not a rate; write requests/period, e.g. '10/s', '600/min', '5000/h'"
        )
    requests = float(match.group(1))
    seconds = float(match.group(2) or 1) * unit
    if requests <= 0 or seconds <= 0:
        raise ValueError(f"{text!r} is not a rate: both numbers must be above zero")
    return Rate(requests, seconds)


def storage_label(uri: str) -> str:
    """``uri`` fit for a message: whatever comes before an ``@`` (a password) masked."""
    scheme, separator, rest = uri.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rpartition("@")[2]
    return scheme + separator + rest


def check_rate_options(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The checked ``rate_limit`` and ``rate_limit_storage`` options found in ``raw``
    (a `ConnectionOptions`' values); ``where`` prefixes error messages."""
    values: dict[str, Any] = {}
    value = raw.get("rate_limit")
    if value is not None:
        if isinstance(value, Rate):
            values["rate_limit"] = value
        elif isinstance(value, str) and value.strip().lower() in _MODES:
            values["rate_limit"] = value.strip().lower()
        elif isinstance(value, str):
            try:
                values["rate_limit"] = parse_rate(value)
            except ValueError as error:
                raise ConfigurationError(
                    f"{where}rate_limit: {error}, or 'auto' or 'off'"
                ) from None
        else:
            raise ConfigurationError(
                f"{where}rate_limit must be text such as '10/s', '600/min', 'auto' or 'off'"
            )
    storage = raw.get("rate_limit_storage")
    if storage is not None:
        text = storage.reveal() if isinstance(storage, Secret) else storage
        if not isinstance(text, str) or text.partition("://")[0] not in _STORAGE_SCHEMES:
            shown = storage_label(text) if isinstance(text, str) else type(text).__name__
            raise ConfigurationError(
                f"{where}rate_limit_storage must be a redis://, rediss://, unix:// or "
                f"memory:// URI, not {shown!r}"
            )
        if values.get("rate_limit") == "off":
            raise ConfigurationError(
                f"{where}rate_limit_storage has nothing to store with rate_limit 'off'; "
                "leave one of them out"
            )
        if not text.startswith("memory://"):
            # A Redis URI may hold a password: kept as a Secret, shown masked.
            values["rate_limit_storage"] = Secret(text)
    return values


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
        self._bucket_rates: tuple[float, list[BucketRate]] | None = None
        self._algorithm: GCRA | None = None
        self._sync_store: StateStore | None = None
        self._async_store: StateStore | None = None
        self._clients: list[Any] = []
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
                    delay = self._admit(self._check(self._store()))
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
                    decision = self._check(self._store(asynchronous=True))
                    if not isinstance(decision, float):
                        decision = await decision
                    delay = self._admit(decision)
                if delay <= 0:
                    return monotonic()
                await sleep(delay)

    def _pause_left(self) -> float:
        return self.shared.paused_until - monotonic()

    def _check(self, store: StateStore) -> Any:
        """Ask the bucket for one request now: 0.0 (it may leave), seconds to wait, or an
        awaitable of one of those (Redis from a task)."""
        rate = self.rate
        if rate is None:
            return 0.0
        if self._algorithm is None:
            from pyrate_limiter import GCRA

            self._algorithm = GCRA()
        # Shared between machines, the wall clock (as pyrate-limiter's Redis store reads).
        now_ms = int(monotonic() * 1000) if self.storage is None else time.time_ns() // 1_000_000
        try:
            decision = store.check(self._algorithm, self._bucket_rate(rate), now_ms, 1)
        except Exception as error:
            raise self._storage_error(error) from None
        if not isinstance(decision, Awaitable):
            return _wait_of(decision)

        async def decided() -> float:
            try:
                return _wait_of(await decision)
            except Exception as error:
                raise self._storage_error(error) from None

        return decided()

    def _admit(self, wait: float) -> float:
        if wait > 0 and self.configured is None:
            self.shared.learned.held_back()
        return wait

    def _bucket_rate(self, per_second: float) -> list[BucketRate]:
        cached = self._bucket_rates
        if cached is not None and cached[0] == per_second:
            return cached[1]
        from pyrate_limiter import Rate as BucketRate

        # pyrate-limiter counts whole requests per whole milliseconds: a thousand
        # seconds' worth keeps three decimals of a rate such as 0.125/s.
        rates = [
            BucketRate(
                max(1, round(per_second * 1000)),
                1_000_000,
                burst=max(1, int(per_second * BURST_SECONDS)),
            )
        ]
        self._bucket_rates = (per_second, rates)
        return rates

    def _store(self, *, asynchronous: bool = False) -> StateStore:
        if self.storage is None:
            return self.shared.memory_store()
        store = self._async_store if asynchronous else self._sync_store
        if store is None:
            store = self._redis_store(asynchronous)
            if asynchronous:
                self._async_store = store
            else:
                self._sync_store = store
        return store

    def _redis_store(self, asynchronous: bool) -> StateStore:
        assert self.storage is not None
        from pyrate_limiter import RedisStateStore

        try:
            if asynchronous:
                from redis.asyncio import Redis as AsyncRedis

                client: Any = AsyncRedis.from_url(self.storage.reveal())
            else:
                from redis import Redis

                client = Redis.from_url(self.storage.reveal())
        except ImportError:
            raise ConfigurationError(
                "rate_limit_storage needs the redis package: install clientbridge[redis]"
            ) from None
        except ValueError:
            raise ConfigurationError(
                f"rate_limit_storage {storage_label(self.storage.reveal())!r} is not a "
                "Redis URI redis can read"
            ) from None
        self._clients.append(client)
        return RedisStateStore(client, f"clientbridge:rate-limit:{self.shared.key}")

    def _storage_error(self, error: Exception) -> TransportError:
        assert self.storage is not None
        return TransportError(
            f"the rate limit storage {storage_label(self.storage.reveal())} did not answer "
            f"({type(error).__name__}); nothing was sent to {self.provider}",
            maybe_sent=False,
            provider=self.provider,
        )

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
        for client in self._clients:
            if hasattr(client, "aclose"):
                continue  # an asyncio client: closed by `aclose`
            client.close()

    async def aclose(self) -> None:
        for client in self._clients:
            if hasattr(client, "aclose"):
                await client.aclose()
            else:
                client.close()

    def __repr__(self) -> str:
        limit = "learned" if self.configured is None else str(self.configured)
        return f"<Throttle {self.shared.key} {limit}>"


def _wait_of(decision: Any) -> float:
    """Seconds a pyrate-limiter `Decision` says to wait (0.0: the request may leave)."""
    if decision.allowed:
        return 0.0
    return max(0.001, (decision.retry_after_ms or 1) / 1000)


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
