"""`Ledger`: where the ledger's entries are kept, opened from a path or a Redis URL."""

from __future__ import annotations

import os
import secrets
import threading
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from clientbridge.errors import ConfigurationError, ValidationError
from clientbridge.ledger.once import Account, Job, run_async, run_sync
from clientbridge.ledger.store import AsyncStore, Entry, Store
from clientbridge.result import CreateResult

__all__ = ["MAX_KEY_LENGTH", "Ledger", "check_key"]

#: The longest ledger key, in characters.
MAX_KEY_LENGTH = 512
_REDIS_SCHEMES = ("redis://", "rediss://")


def check_key(key: object) -> str:
    """``key`` if it can name a ledger entry, else `ValidationError` (nothing is sent)."""
    if not isinstance(key, str):
        raise TypeError(f"a ledger key must be a str, got {type(key).__name__}")
    if not key:
        raise ValidationError("the ledger key is empty; give each client a key of its own")
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationError(
            f"the ledger key is {len(key):,} characters long; keys are at most "
            f"{MAX_KEY_LENGTH} (use your own id for the client, or a digest of it)"
        )
    return key


class Ledger:
    """Remembers, per provider account and client key, what was created, so that a
    repeated create returns the first result instead of sending again.

    ``location`` is a path (a SQLite file, created when absent; safe across threads and
    processes of one machine) or a ``redis://`` / ``rediss://`` URL (shared by processes
    and machines; needs ``clientbridge[redis]``). ``lease``: seconds a caller holds a key
    while it creates (default: the connection's total timeout plus 10 s); a caller that
    dies loses it then. One ledger may serve many connections, threads and tasks; use it
    as a context manager, or call `close`.
    """

    def __init__(self, location: str | os.PathLike[str], *, lease: float | None = None) -> None:
        if lease is not None and (isinstance(lease, bool) or not lease > 0):
            raise ConfigurationError(f"lease must be a positive number of seconds, not {lease!r}")
        self.lease = lease
        text = os.fspath(location)
        if not isinstance(text, str) or not text.strip():
            raise ConfigurationError("a ledger's location is a file path or a redis:// URL")
        #: the async Redis stores, one per event loop (a Redis client belongs to its loop)
        self._async_stores: weakref.WeakKeyDictionary[Any, AsyncStore] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self._closed = False
        if text.startswith(_REDIS_SCHEMES):
            from clientbridge.ledger.redis_store import RedisStore, location_label

            self.location = location_label(text)
            self._url: str | None = text
            self._store: Store = RedisStore(text)
        elif "://" in text:
            raise ConfigurationError(
                f"a ledger's location is a file path or a redis:// or rediss:// URL, not "
                f"{text.split('://')[0]}://..."
            )
        else:
            from clientbridge.ledger.sqlite import SQLiteStore

            self._url = None
            self._store = SQLiteStore(text)
            self.location = self._store.label

    def __repr__(self) -> str:
        return f"<Ledger {self.location}>"

    # ------------------------------------------------------------------ the stores

    @property
    def store(self) -> Store:
        """The store, for sync callers (see `clientbridge.ledger.store.Store`)."""
        self._check_open()
        return self._store

    def async_store(self) -> AsyncStore:
        """The store, for async callers of the running event loop."""
        self._check_open()
        if self._url is None:
            from clientbridge.ledger.sqlite import AsyncSQLiteStore, SQLiteStore

            assert isinstance(self._store, SQLiteStore)
            return AsyncSQLiteStore(self._store)
        import asyncio

        loop = asyncio.get_running_loop()
        with self._lock:
            store = self._async_stores.get(loop)
            if store is None:
                from clientbridge.ledger.redis_store import AsyncRedisStore

                store = self._async_stores[loop] = AsyncRedisStore(self._url)
        return store

    def _check_open(self) -> None:
        if self._closed:
            raise ConfigurationError(f"the ledger {self.location} is closed")

    def entry(self, account: str, key: str) -> Entry | None:
        """The entry of ``key`` in ``account``, as stored (None when there is none)."""
        return self.store.get(account, key)

    # ------------------------------------------------------------------ creating

    def _job(self, account: Account, key: str, resend: bool) -> Job:
        return Job(
            account=account,
            key=check_key(key),
            holder=secrets.token_hex(12),
            lease=self.lease if self.lease is not None else account.default_lease,
            resend=resend,
        )

    def create(
        self,
        account: Account,
        key: str,
        send: Callable[[], CreateResult],
        look_up: Callable[[], list[CreateResult]],
        *,
        resend_unknown: bool = False,
    ) -> CreateResult:
        """``send()`` at most once for ``key`` of ``account`` (see `clientbridge.ledger`)."""
        return run_sync(self._job(account, key, resend_unknown), self.store, send, look_up)

    async def create_async(
        self,
        account: Account,
        key: str,
        send: Callable[[], Awaitable[CreateResult]],
        look_up: Callable[[], Awaitable[list[CreateResult]]],
        *,
        resend_unknown: bool = False,
    ) -> CreateResult:
        """`create` for async callers."""
        job = self._job(account, key, resend_unknown)
        return await run_async(job, self.async_store(), send, look_up)

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        """Close the store (async Redis clients are closed by `aclose`)."""
        if self._closed:
            return
        self._closed = True
        self._store.close()

    async def aclose(self) -> None:
        """Close the store and the async clients."""
        import asyncio

        stores, self._async_stores = self._async_stores, weakref.WeakKeyDictionary()
        # A Redis client belongs to its event loop: those of other loops are dropped.
        store = stores.get(asyncio.get_running_loop())
        if store is not None:
            await store.aclose()
        self.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> Ledger:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
