"""Where the admission decision is kept: pyrate-limiter's GCRA token bucket, in this
process's memory (one per account, in its `SharedLimit`) or in Redis (its atomic script;
the ``redis`` extra), so processes and machines share one budget. pyrate-limiter and redis
are imported only when a request first waits."""

from __future__ import annotations

import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from clientbridge.errors import ConfigurationError, TransportError
from clientbridge.ratelimit._learned import SharedLimit
from clientbridge.ratelimit._rates import storage_label
from clientbridge.secrets import Secret

if TYPE_CHECKING:
    from pyrate_limiter import GCRA, StateStore
    from pyrate_limiter import Rate as BucketRate

#: Seconds' worth of a rate that may leave at once (at least one request): a little slack
#: keeps the rate when a waiter wakes late, without bursting at the provider.
BURST_SECONDS = 0.1


class Bucket:
    """One connection's handle on its account's token bucket, in memory or in Redis."""

    def __init__(self, provider: str, shared: SharedLimit, storage: Secret | None) -> None:
        self.provider = provider
        self.shared = shared
        self.storage = storage
        self._bucket_rates: tuple[float, list[BucketRate]] | None = None
        self._algorithm: GCRA | None = None
        self._sync_store: StateStore | None = None
        self._async_store: StateStore | None = None
        self._clients: list[Any] = []

    def check(self, rate: float | None, now: float, *, asynchronous: bool = False) -> Any:
        """Ask the bucket for one request at ``now`` (`monotonic` seconds) at ``rate``
        requests a second: 0.0 (it may leave), seconds to wait, or an awaitable of one of
        those (Redis from a task). No rate: 0.0."""
        store = self._store(asynchronous=asynchronous)
        if rate is None:
            return 0.0
        if self._algorithm is None:
            from pyrate_limiter import GCRA

            self._algorithm = GCRA()
        # Shared between machines, the wall clock (as pyrate-limiter's Redis store reads).
        now_ms = int(now * 1000) if self.storage is None else time.time_ns() // 1_000_000
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


def _wait_of(decision: Any) -> float:
    """Seconds a pyrate-limiter `Decision` says to wait (0.0: the request may leave)."""
    if decision.allowed:
        return 0.0
    return max(0.001, (decision.retry_after_ms or 1) / 1000)
