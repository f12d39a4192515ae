"""One email in flight once: the connection's per-key claims.

Where the provider refuses a second client with the same email (its `duplicate_key`), its
refusal is only reliable for requests one after another. So an async connection never has
two requests for one key in flight: ``create`` and ``create_many`` claim the keys of what
they send and wait while another call holds one. A caller that sends several calls at once
and wants to know who holds a key (an import names the row) claims first with `claim` and
sends under `sending`; the connection's own claim then sees the keys as its caller's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    asynccontextmanager,
    nullcontext,
)
from contextvars import ContextVar
from typing import TYPE_CHECKING, Generic, TypeVar, cast

from clientbridge.model import Client

if TYPE_CHECKING:
    import anyio

__all__ = ["KeyClaims"]

Holder = TypeVar("Holder")

#: True while the current task (and the tasks it starts) sends what it claimed itself
_CLAIMED_HERE: ContextVar[bool] = ContextVar("clientbridge_claimed", default=False)
#: what `holding` and `sending` are where the provider refuses nothing (no per-row cost)
_NOTHING: nullcontext[None] = nullcontext()


class KeyClaims(Generic[Holder]):
    """The keys with a request in flight on one connection, each with who holds it."""

    def __init__(self, key_of: Callable[[Client], str | None], *, active: bool = True) -> None:
        self._key_of = key_of
        #: False where the provider refuses no second client (no key is ever claimed)
        self.active = active
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

    def sending(self) -> AbstractContextManager[None]:
        """Send in this block only what the caller claimed (with `claim`): the
        connection's calls in it do not claim again."""
        return self._sending() if self.active else _NOTHING

    def to_claim(self) -> bool:
        """Whether a call here claims the keys it sends (not where the provider refuses
        nothing, nor in a caller's `sending` block)."""
        return self.active and not _CLAIMED_HERE.get()

    def holding(self, clients: Sequence[Client]) -> AbstractAsyncContextManager[None]:
        """Hold the keys of ``clients`` for the block, first waiting while another call
        holds any of them (all at once or none, so two calls never wait for each other)."""
        if not self.to_claim():
            return _NOTHING
        keys = {key for key in map(self._key_of, clients) if key is not None}
        return self._holding(keys) if keys else _NOTHING

    @staticmethod
    def _sending() -> AbstractContextManager[None]:
        return _Sending()

    @asynccontextmanager
    async def _holding(self, keys: set[str]) -> AsyncIterator[None]:
        import anyio

        while busy := next((self._held[key][1] for key in keys if key in self._held), None):
            await busy.wait()
        holder, done = object(), anyio.Event()
        for key in keys:
            self._held[key] = (holder, done)
        try:
            with self._sending():
                yield
        finally:
            for key in keys:
                if self._held.get(key, (None,))[0] is holder:
                    del self._held[key]
            done.set()


class _Sending:
    """The block of `KeyClaims.sending` (a class: it is entered once per chunk sent)."""

    __slots__ = ("_token",)

    def __enter__(self) -> None:
        self._token = _CLAIMED_HERE.set(True)

    def __exit__(self, *_: object) -> None:
        _CLAIMED_HERE.reset(self._token)
