"""Sending: a worker's chunk goes out with ``create_many``, its answers back to the book.

Where the provider refuses a second client with the same email, two rows with the same
email are never in flight together: the second is held back until the first has its
answer, then sent (the provider's refusal is only reliable for requests one after another).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Generic, TypeVar

import attrs

from clientbridge.importer.running.book import Pending, RowBook

if TYPE_CHECKING:
    import anyio

    from clientbridge.result import CreateResult

__all__ = ["KeysInFlight", "Sender"]


class Sender:
    """Sends the chunks of one run: journaled first (by the book), answers settled by it."""

    def __init__(self, book: RowBook) -> None:
        self.book = book
        #: rows whose duplicate key (email) is in flight: another with it waits its turn
        self._keys_in_flight: KeysInFlight[Pending] = KeysInFlight(
            self._key, lambda pending: pending.row.line
        )

    async def send(self, chunk: list[Pending]) -> None:
        """Send ``chunk``; a row whose email is in flight (where the provider refuses a
        second client with one email) waits for that request's answer, then goes."""
        import anyio

        stop = self.book.stop
        while chunk:
            ready, waiting = self._keys_in_flight.claim(chunk)
            held = [attrs.evolve(pending, same_email_as=line) for pending, line in waiting]
            if ready:
                try:
                    await self._send_now(ready)
                finally:
                    self._keys_in_flight.release(ready)
            elif not stop.is_set():
                await self._keys_in_flight.wait_for(held[0])
            if held and stop.is_set():
                for pending in held:
                    self.book.not_sent(pending.seq)
                return
            chunk = held
            await anyio.lowlevel.checkpoint()

    def _key(self, pending: Pending) -> str | None:
        assert self.book.conn is not None
        return self.book.conn.duplicate_key(pending.client)

    async def _send_now(self, chunk: list[Pending]) -> None:
        conn = self.book.conn
        assert conn is not None
        if not await self.book.sending(chunk):
            return
        results: dict[int, CreateResult | BaseException]
        try:
            batch = await conn.create_many([pending.client for pending in chunk])
        except Exception as error:  # create_many reports per-client failures; this is a bug
            results = dict.fromkeys(range(len(chunk)), error)
        else:
            results = dict(zip(batch.succeeded_indices, batch.succeeded, strict=True))
            results.update((failure.index, failure.error) for failure in batch.failed)
        self.book.answered(chunk, results)


Item = TypeVar("Item")


class KeysInFlight(Generic[Item]):
    """The keys with a request in flight, each with the line of the row that holds it."""

    def __init__(
        self, key_of: Callable[[Item], str | None], line_of: Callable[[Item], int]
    ) -> None:
        self._key_of = key_of
        self._line_of = line_of
        self._held: dict[str, tuple[int, anyio.Event]] = {}

    def claim(self, items: Iterable[Item]) -> tuple[list[Item], list[tuple[Item, int]]]:
        """The items to send now (their keys are claimed), and those held back, each with
        the line of the row in flight (or earlier in ``items``) with the same key."""
        import anyio

        ready: list[Item] = []
        held: list[tuple[Item, int]] = []
        for item in items:
            key = self._key_of(item)
            if key is None:
                ready.append(item)
            elif key in self._held:
                held.append((item, self._held[key][0]))
            else:
                self._held[key] = (self._line_of(item), anyio.Event())
                ready.append(item)
        return ready, held

    def release(self, sent: Iterable[Item]) -> None:
        """The answers to ``sent`` are in: their keys are free again."""
        for item in sent:
            key = self._key_of(item)
            if key is not None and key in self._held and self._held[key][0] == self._line_of(item):
                self._held.pop(key)[1].set()

    async def wait_for(self, item: Item) -> None:
        """Until the row holding ``item``'s key has its answer (every request gets one)."""
        key = self._key_of(item)
        if key is not None and key in self._held:
            await self._held[key][1].wait()
