"""Sending: a worker's chunk goes out with ``create_many``, its answers back to the book.

Where the provider refuses a second client with the same email, two rows with the same
email are never in flight together: the second is held back until the first has its
answer, then sent (the provider's refusal is only reliable for requests one after another).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from clientbridge.importer.running.book import Pending, RowBook

if TYPE_CHECKING:
    from clientbridge.result import CreateResult

__all__ = ["Sender"]


class Sender:
    """Sends the chunks of one run: journaled first (by the book), answers settled by it."""

    def __init__(self, book: RowBook) -> None:
        self.book = book

    async def send(self, chunk: list[Pending]) -> None:
        """Send ``chunk``; a row whose email is in flight (where the provider refuses a
        second client with one email) waits for that request's answer, then goes. The
        connection keeps that rule (its per-key claims); the book learns the line of the
        row that held the email."""
        import anyio

        conn = self.book.conn
        assert conn is not None
        claims, stop = conn.in_flight, self.book.stop
        if not claims.active:  # the provider refuses no second client with one email
            await self._send_now(chunk)
            return
        while chunk:
            clients = [pending.client for pending in chunk]
            ready_at, waiting = claims.claim(clients, [pending.row.line for pending in chunk])
            ready = [chunk[index] for index in ready_at]
            held = [
                attrs.evolve(chunk[index], same_email_as=line if isinstance(line, int) else None)
                for index, line in waiting
            ]
            if ready:
                sent = [pending.client for pending in ready]
                try:
                    with claims.sending():
                        await self._send_now(ready)
                finally:
                    claims.release(sent, [pending.row.line for pending in ready])
            elif not stop.is_set():
                await claims.wait_for(held[0].client)
            if held and stop.is_set():
                for pending in held:
                    self.book.not_sent(pending.seq)
                return
            chunk = held
            await anyio.lowlevel.checkpoint()

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
