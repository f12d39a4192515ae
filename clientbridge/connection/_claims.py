"""One email in flight once: the connection's per-key claims.

Where the provider refuses a second client with the same email (its `duplicate_key`), its
refusal is only reliable for requests one after another. So an async connection never has
two requests for one key in flight: ``create`` and ``create_many`` claim the keys of what
they send and wait while another call holds one. A caller that sends several calls at once
and wants to know who holds a key (an import names the row) claims first with `claim` and
sends under `sending`; the connection's own claim then sees the keys as its caller's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Generic, TypeVar, cast

from clientbridge.model import Client

if TYPE_CHECKING:
    import anyio

__all__ = ["KeyClaims"]

Holder = TypeVar("Holder")

#: the keys the current task (and the tasks it starts) sends under its own claim
_CLAIMED_HERE: ContextVar[frozenset[str]] = ContextVar("clientbridge_claimed", default=frozenset())


class KeyClaims(Generic[Holder]):
    """The keys with a request in flight on one connection, each with who holds it."""

    def __init__(self, key_of: Callable[[Client], str | None]) -> None:
        self._key_of = key_of
        self._held: dict[str, tuple[object, anyio.Event]] = {}

    def claim(
        self, clients: Sequence[Client], holders: Sequence[Holder]
    ) -> tuple[list[int], list[tuple[int, Holder]]]:
        """The positions of ``clients`` to send now (their keys are claimed, each by its
        holder), and those held back, each with the holder of its key (in flight, or
        earlier in ``clients``)."""
        import anyio

        ready: list[int] = []
        held: list[tuple[int, Holder]] = []
        for index, (client, holder) in enumerate(zip(clients, holders, strict=True)):
            key = self._key_of(client)
            if key is None:
                ready.append(index)
            elif key in self._held:
                held.append((index, cast(Holder, self._held[key][0])))
            else:
                self._held[key] = (holder, anyio.Event())
                ready.append(index)
        return ready, held

    def release(self, clients: Sequence[Client], holders: Sequence[object]) -> None:
        """The answers for ``clients`` are in: the keys their holders claimed are free."""
        for client, holder in zip(clients, holders, strict=True):
            key = self._key_of(client)
            if key is not None and key in self._held and self._held[key][0] == holder:
                self._held.pop(key)[1].set()

    async def wait_for(self, client: Client) -> None:
        """Until the request holding ``client``'s key has its answer (each gets one)."""
        key = self._key_of(client)
        if key is not None and key in self._held:
            await self._held[key][1].wait()

    @contextmanager
    def sending(self, clients: Sequence[Client]) -> Iterator[None]:
        """Send ``clients`` (claimed with `claim`) in this block: the connection's calls
        in it do not wait for those keys."""
        keys = {key for key in map(self._key_of, clients) if key is not None}
        token = _CLAIMED_HERE.set(_CLAIMED_HERE.get() | keys)
        try:
            yield
        finally:
            _CLAIMED_HERE.reset(token)

    @asynccontextmanager
    async def holding(self, clients: Sequence[Client]) -> AsyncIterator[None]:
        """Hold the keys of ``clients`` for the block, first waiting while another call
        holds any of them (all at once or none, so two calls never wait for each other)."""
        mine = _CLAIMED_HERE.get()
        keys = {key for key in map(self._key_of, clients) if key is not None} - mine
        if not keys:
            yield
            return
        import anyio

        while busy := next((self._held[key][1] for key in keys if key in self._held), None):
            await busy.wait()
        holder, done = object(), anyio.Event()
        for key in keys:
            self._held[key] = (holder, done)
        try:
            with self.sending(clients):
                yield
        finally:
            for key in keys:
                if self._held.get(key, (None,))[0] is holder:
                    del self._held[key]
            done.set()
