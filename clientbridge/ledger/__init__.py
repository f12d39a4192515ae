"""The ledger: exactly-once creates from any app (SPEC §10).

A `Ledger` remembers, per provider account and client key, what was created, so that a
repeated create returns the first result (``replayed=True``) instead of sending again.
It keeps its entries in a store (`store.Store`): a SQLite file (`sqlite`) or Redis
(`redis_store`, imported only for a ``redis://`` URL). What a create with a key does is
`once`; how an unknown outcome is settled is `clientbridge.settle`, shared with the import.
"""

from __future__ import annotations

from clientbridge.ledger._ledger import MAX_KEY_LENGTH, Ledger, check_key
from clientbridge.ledger.once import Account, account_id
from clientbridge.ledger.store import AsyncStore, Claim, Entry, EntryState, Store

__all__ = [
    "MAX_KEY_LENGTH",
    "Account",
    "AsyncStore",
    "Claim",
    "Entry",
    "EntryState",
    "Ledger",
    "Store",
    "account_id",
    "check_key",
]
