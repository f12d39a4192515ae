"""What a ledger store keeps, and the operations every store offers.

A store holds one entry per (account, key). An entry is *pending* while a caller holds
the key (it is sending, under a lease), *created* once the provider answered with the
client (its id and result are kept), or *unknown* when an attempt may have created it
without an answer (a read timeout, a 500 to the create, a holder that died). A key that
failed in a way proving nothing was created has no entry.

Each operation is one local round trip (SQLite: one transaction; Redis: one command or
one script call). A pending entry whose lease has passed reads as unknown, attempted at
the lease's end. The operations suit a file import as well as an app: the import's rows
are keys of one account (`unknown` lists the rows an earlier run left unsettled).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Protocol

import attrs

__all__ = ["STOPPED", "AsyncStore", "Claim", "Entry", "EntryState", "Store"]

#: What an entry whose holder stopped before it finished says.
STOPPED = "the caller that was sending it stopped before it finished"


class EntryState(str, enum.Enum):
    """The state of a ledger entry."""

    PENDING = "pending"
    CREATED = "created"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


@attrs.frozen(kw_only=True)
class Entry:
    """One (account, key) as the store has it."""

    key: str
    state: EntryState
    #: the caller holding a pending entry (an opaque token)
    holder: str | None = None
    #: when a pending entry's lease ends (seconds since the epoch)
    lease_until: float | None = None
    #: when the last attempt that may have created the client was made (unknown entries)
    attempted_at: float | None = None
    #: the provider's id of the created client
    client_id: str | None = None
    #: the created client's result, as the store's codec wrote it (JSON text)
    result: str | None = None
    #: what is known about an unknown entry (the error of the attempt), never a secret
    note: str | None = None

    def as_of(self, now: float) -> Entry:
        """The entry as it counts at ``now``: a pending entry whose lease has passed is
        unknown (its holder may have sent before it died), attempted at the lease's end."""
        if self.state is EntryState.PENDING and (self.lease_until or 0.0) <= now:
            return attrs.evolve(
                self,
                state=EntryState.UNKNOWN,
                holder=None,
                attempted_at=max(self.lease_until or 0.0, self.attempted_at or 0.0),
                note=self.note or STOPPED,
            )
        return self


@attrs.frozen
class Claim:
    """What `Store.claim` found. ``granted``: the caller now holds the key, and
    ``previous`` is the entry before (None for a new key, else an unknown one). Not
    granted: ``previous`` is the entry that stopped it (created, or pending under
    another caller's live lease)."""

    granted: bool
    previous: Entry | None


class Store(Protocol):
    """The operations of a ledger store (sync). Times are seconds since the epoch."""

    #: where the store is, fit for messages (a Redis password masked)
    label: str

    def claim(
        self, account: str, key: str, *, holder: str, now: float, lease_until: float
    ) -> Claim:
        """Hold ``key`` for ``holder`` until ``lease_until``, unless it is created or held
        by a live lease: atomically, one round trip."""
        ...

    def record_created(self, account: str, key: str, *, client_id: str, result: str) -> None:
        """The client of ``key`` was created: ``result`` is replayed from now on."""
        ...

    def record_unknown(
        self, account: str, key: str, *, holder: str, attempted_at: float, note: str | None
    ) -> None:
        """``holder``'s attempt at ``attempted_at`` may have created the client (written
        only while ``holder`` holds the key)."""
        ...

    def release(self, account: str, key: str, *, holder: str) -> None:
        """Nothing was created: forget ``key`` (only while ``holder`` holds it)."""
        ...

    def get(self, account: str, key: str) -> Entry | None:
        """The entry of ``key``, as stored (see `Entry.as_of`)."""
        ...

    def claimed_ids(self, account: str, key: str, *, client_ids: Sequence[str]) -> set[str]:
        """Those of ``client_ids`` that ``account`` holds created under a key other than
        ``key`` (a look-up's match that is another key's client is not this one)."""
        ...

    def unknown(self, account: str, *, now: float) -> list[Entry]:
        """The entries of ``account`` that are unknown at ``now`` (expired leases too)."""
        ...

    def close(self) -> None: ...


class AsyncStore(Protocol):
    """`Store`'s operations, awaitable (for async connections)."""

    label: str

    async def claim(
        self, account: str, key: str, *, holder: str, now: float, lease_until: float
    ) -> Claim: ...

    async def record_created(
        self, account: str, key: str, *, client_id: str, result: str
    ) -> None: ...

    async def record_unknown(
        self, account: str, key: str, *, holder: str, attempted_at: float, note: str | None
    ) -> None: ...

    async def release(self, account: str, key: str, *, holder: str) -> None: ...

    async def get(self, account: str, key: str) -> Entry | None: ...

    async def claimed_ids(
        self, account: str, key: str, *, client_ids: Sequence[str]
    ) -> set[str]: ...

    async def unknown(self, account: str, *, now: float) -> list[Entry]: ...

    async def aclose(self) -> None: ...
