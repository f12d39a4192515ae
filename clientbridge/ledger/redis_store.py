"""The shared ledger store: Redis, for processes and machines (extra ``clientbridge[redis]``).

One hash per account (``clientbridge:ledger:<account>``), one field per key holding the
entry as JSON. A claim is one Lua script (atomic on the server); the other operations
are one command or one script each. Times are the callers' wall clocks.

An unreachable server is a `TransportError` saying so (``maybe_sent=False``: a claim
comes before anything is sent); there is never a fallback to another store.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from clientbridge.errors import ConfigurationError, TransportError
from clientbridge.ledger.store import Claim, Entry, EntryState

__all__ = ["AsyncRedisStore", "RedisStore", "location_label"]

PREFIX = "clientbridge:ledger:"

#: KEYS[1] the account's hash; ARGV: key, the pending entry (JSON), now.
#: Returns {granted, previous entry or false}; an unknown (or expired) entry is replaced.
_CLAIM = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw then
  local entry = cjson.decode(raw)
  if entry.state == 'created' then return {0, raw} end
  if entry.state == 'pending' and tonumber(entry.lease_until) > tonumber(ARGV[3]) then
    return {0, raw}
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return {1, raw or false}
"""

#: KEYS[1] the account's hash; ARGV: key, holder, new entry (JSON, or '' to delete).
_SETTLE = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local entry = cjson.decode(raw)
if entry.state ~= 'pending' or entry.holder ~= ARGV[2] then return 0 end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1])
else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
return 1
"""


#: KEYS[1] the account's hash, KEYS[2] its ids (client id -> key); ARGV: key, id, entry.
_CREATED = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
return 1
"""


def location_label(url: str) -> str:
    """``url`` fit for a message: whatever comes before an ``@`` (a password) masked."""
    scheme, separator, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rpartition("@")[2]
    return scheme + separator + rest


def _dump(entry: Entry) -> str:
    values = {
        "state": entry.state.value,
        "holder": entry.holder,
        "lease_until": entry.lease_until,
        "attempted_at": entry.attempted_at,
        "client_id": entry.client_id,
        "result": entry.result,
        "note": entry.note,
    }
    return json.dumps({name: value for name, value in values.items() if value is not None})


def _load(key: str, raw: bytes | str) -> Entry:
    values = json.loads(raw)
    return Entry(
        key=key,
        state=EntryState(values["state"]),
        holder=values.get("holder"),
        lease_until=values.get("lease_until"),
        attempted_at=values.get("attempted_at"),
        client_id=values.get("client_id"),
        result=values.get("result"),
        note=values.get("note"),
    )


def _claim_args(key: str, holder: str, now: float, lease_until: float) -> tuple[str, str, str]:
    pending = Entry(key=key, state=EntryState.PENDING, holder=holder, lease_until=lease_until)
    return (key, _dump(pending), repr(now))


def _claimed(key: str, answer: Any, now: float) -> Claim:
    granted, raw = answer
    previous = None if not raw else _load(key, raw).as_of(now)
    return Claim(bool(granted), previous)


class _RedisBase:
    def __init__(self, url: str, *, asynchronous: bool) -> None:
        self.url = url
        self.label = location_label(url)
        try:
            if asynchronous:
                from redis.asyncio import Redis as AsyncRedis

                made: Any = AsyncRedis
            else:
                from redis import Redis

                made = Redis
        except ImportError:
            raise ConfigurationError(
                "a Redis ledger needs the redis package: install clientbridge[redis]"
            ) from None
        try:
            self.client: Any = made.from_url(url, socket_connect_timeout=5, socket_timeout=30)
        except ValueError:
            raise ConfigurationError(
                f"the ledger {self.label} is not a Redis URL redis can read"
            ) from None
        self._claim = self.client.register_script(_CLAIM)
        self._settle = self.client.register_script(_SETTLE)
        self._record = self.client.register_script(_CREATED)

    def _hash(self, account: str) -> str:
        return PREFIX + account

    def _ids(self, account: str) -> str:
        return f"{PREFIX}ids:{account}"

    @staticmethod
    def _others(key: str, client_ids: Sequence[str], keys: Sequence[Any]) -> set[str]:
        return {
            client_id
            for client_id, owner in zip(client_ids, keys, strict=True)
            if owner is not None and _text(owner) != key
        }

    def _error(self, error: Exception) -> TransportError:
        return TransportError(
            f"the ledger {self.label} did not answer ({type(error).__name__}); nothing was "
            "sent (a create is never sent without its ledger). Check that Redis is running "
            "and reachable",
            maybe_sent=False,
        )

    @staticmethod
    def _created(key: str, client_id: str, result: str) -> str:
        return _dump(Entry(key=key, state=EntryState.CREATED, client_id=client_id, result=result))

    @staticmethod
    def _unknown(key: str, attempted_at: float, note: str | None) -> str:
        entry = Entry(key=key, state=EntryState.UNKNOWN, attempted_at=attempted_at, note=note)
        return _dump(entry)

    def _unknown_entries(self, fields: dict[Any, Any], now: float) -> list[Entry]:
        entries = sorted(
            (_load(_text(key), raw).as_of(now) for key, raw in fields.items()),
            key=lambda entry: entry.key,
        )
        return [entry for entry in entries if entry.state is EntryState.UNKNOWN]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisStore(_RedisBase):
    """A ledger kept in the Redis server at ``url`` (``redis://`` or ``rediss://``)."""

    def __init__(self, url: str) -> None:
        super().__init__(url, asynchronous=False)

    def claim(
        self, account: str, key: str, *, holder: str, now: float, lease_until: float
    ) -> Claim:
        try:
            answer = self._claim(
                keys=[self._hash(account)], args=_claim_args(key, holder, now, lease_until)
            )
        except Exception as error:
            raise self._error(error) from None
        return _claimed(key, answer, now)

    def record_created(self, account: str, key: str, *, client_id: str, result: str) -> None:
        try:
            self._record(
                keys=[self._hash(account), self._ids(account)],
                args=(key, client_id, self._created(key, client_id, result)),
            )
        except Exception as error:
            raise self._error(error) from None

    def record_unknown(
        self, account: str, key: str, *, holder: str, attempted_at: float, note: str | None
    ) -> None:
        self._settle_as(account, key, holder, self._unknown(key, attempted_at, note))

    def release(self, account: str, key: str, *, holder: str) -> None:
        self._settle_as(account, key, holder, "")

    def _settle_as(self, account: str, key: str, holder: str, value: str) -> None:
        try:
            self._settle(keys=[self._hash(account)], args=(key, holder, value))
        except Exception as error:
            raise self._error(error) from None

    def get(self, account: str, key: str) -> Entry | None:
        try:
            raw = self.client.hget(self._hash(account), key)
        except Exception as error:
            raise self._error(error) from None
        return None if raw is None else _load(key, raw)

    def claimed_ids(self, account: str, key: str, *, client_ids: Sequence[str]) -> set[str]:
        if not client_ids:
            return set()
        try:
            keys = self.client.hmget(self._ids(account), list(client_ids))
        except Exception as error:
            raise self._error(error) from None
        return self._others(key, client_ids, keys)

    def unknown(self, account: str, *, now: float) -> list[Entry]:
        try:
            fields = dict(self.client.hscan_iter(self._hash(account)))
        except Exception as error:
            raise self._error(error) from None
        return self._unknown_entries(fields, now)

    def close(self) -> None:
        self.client.close()


class AsyncRedisStore(_RedisBase):
    """`RedisStore` for async callers (``redis.asyncio``), one client per event loop."""

    def __init__(self, url: str) -> None:
        super().__init__(url, asynchronous=True)

    async def claim(
        self, account: str, key: str, *, holder: str, now: float, lease_until: float
    ) -> Claim:
        try:
            answer = await self._claim(
                keys=[self._hash(account)], args=_claim_args(key, holder, now, lease_until)
            )
        except Exception as error:
            raise self._error(error) from None
        return _claimed(key, answer, now)

    async def record_created(self, account: str, key: str, *, client_id: str, result: str) -> None:
        try:
            await self._record(
                keys=[self._hash(account), self._ids(account)],
                args=(key, client_id, self._created(key, client_id, result)),
            )
        except Exception as error:
            raise self._error(error) from None

    async def record_unknown(
        self, account: str, key: str, *, holder: str, attempted_at: float, note: str | None
    ) -> None:
        await self._settle_as(account, key, holder, self._unknown(key, attempted_at, note))

    async def release(self, account: str, key: str, *, holder: str) -> None:
        await self._settle_as(account, key, holder, "")

    async def _settle_as(self, account: str, key: str, holder: str, value: str) -> None:
        try:
            await self._settle(keys=[self._hash(account)], args=(key, holder, value))
        except Exception as error:
            raise self._error(error) from None

    async def get(self, account: str, key: str) -> Entry | None:
        try:
            raw = await self.client.hget(self._hash(account), key)
        except Exception as error:
            raise self._error(error) from None
        return None if raw is None else _load(key, raw)

    async def claimed_ids(self, account: str, key: str, *, client_ids: Sequence[str]) -> set[str]:
        if not client_ids:
            return set()
        try:
            keys = await self.client.hmget(self._ids(account), list(client_ids))
        except Exception as error:
            raise self._error(error) from None
        return self._others(key, client_ids, keys)

    async def unknown(self, account: str, *, now: float) -> list[Entry]:
        try:
            fields = {key: raw async for key, raw in self.client.hscan_iter(self._hash(account))}
        except Exception as error:
            raise self._error(error) from None
        return self._unknown_entries(fields, now)

    async def aclose(self) -> None:
        await self.client.aclose()
