"""Connections: an adapter, a driver and the options, behind `connect` / `connect_async`.

The rooms: `_base` (what both connections share, with no I/O: preparing and batching
clients, previews), `_ledger` (how a connection keys its creates in a ledger), `_sync`
(`Connection`), `_async` (`AsyncConnection`) and `_open` (`connect` / `connect_async`: the
settings, the HTTP client, the timeouts, the rate limit and the driver).
"""

from clientbridge.connection._async import AsyncConnection
from clientbridge.connection._open import connect, connect_async
from clientbridge.connection._sync import Connection

__all__ = ["AsyncConnection", "Connection", "connect", "connect_async"]
