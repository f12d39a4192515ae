"""The import itself: read rows, hand them to the row book, send in bounded parallel chunks.

One task reads the file and hands each row to the `RowBook` (which decides it: send it,
skip it, report it); a fixed number of worker tasks send chunks of up to the provider's
bulk size with ``create_many``, so at most ``concurrency`` requests are in flight. The book
journals a chunk's rows ``sending`` and commits them before the chunk is sent, and settles,
journals and reports each answer; the report is written in input order as rows finish.

Where the provider refuses a second client with the same email, two rows with the same
email are never in flight together: the second is held back until the first has its
answer, then sent (the provider's refusal is only reliable for requests one after another).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from clientbridge.importer.reading.source import Source, SourceRow
from clientbridge.importer.reporting.summary import ImportSummary, Outcomes
from clientbridge.importer.rows.check import JournalWriteError
from clientbridge.importer.rows.journal import Journal
from clientbridge.importer.rows.schema import identify
from clientbridge.importer.running import book as _book
from clientbridge.importer.running import decisions
from clientbridge.importer.running.book import KeysInFlight, Pending, RowBook
from clientbridge.importer.running.decisions import Policy
from clientbridge.importer.running.options import STOP_SIGNALS, ImportOptions, Target, recording
from clientbridge.importer.running.recovery import look_up_earlier_unknowns
from clientbridge.result import CreateResult
from clientbridge.settle import settle_window

if TYPE_CHECKING:
    from anyio.abc import ObjectReceiveStream, ObjectSendStream
    from anyio.streams.memory import MemoryObjectReceiveStream

    from clientbridge.connection import AsyncConnection

__all__ = ["ImportOptions", "ImportSummary", "Target", "run_import"]

#: Rows read between two yields to the event loop (signals, progress, workers).
YIELD_EVERY = 256


class _ImportRun:
    def __init__(
        self,
        source: Source,
        target: Target,
        options: ImportOptions,
        journal: Journal | None,
        outcomes: Outcomes,
    ) -> None:
        import anyio

        self.source = source
        self.target = target
        self.options = options
        policy = Policy(
            retry_failed=options.retry_failed,
            retry_unknown=options.retry_unknown,
            provider=target.provider,
            advice=options.advice,
        )
        self.book = RowBook(outcomes, journal, policy)
        self.warm = anyio.Event()
        self._warming = False
        self._abandon = anyio.CancelScope()
        #: why the file could not be read to its end (raised once the run has stopped)
        self.read_error: Exception | None = None
        #: rows whose duplicate key (email) is in flight: another with it waits its turn
        self._keys_in_flight: KeysInFlight[Pending] = KeysInFlight(
            self._key, lambda pending: pending.row.line
        )
        #: the whole file was read
        self._read_all = False

    async def _feed(self, send: ObjectSendStream[list[Pending]], bulk_size: int) -> None:
        import anyio

        book = self.book
        async with send:
            chunk: list[Pending] = []
            accepts = self.target.accepts
            rows = self._read_until_error(self.source.rows())
            if book.journal is not None:  # the journal knows rows by their identity
                rows = identify(rows)
            for seq, row in enumerate(rows):
                if book.stop.is_set():
                    book.not_sent(seq)
                    break
                if accepts is not None and row.client is not None and not accepts(row.client):
                    book.outcomes.skip(seq)  # routed elsewhere: not this target's row
                    book.summary.not_routed += 1
                    continue
                try:
                    pending = book.decide(seq, row)
                except JournalWriteError as error:
                    book.halt_for(error)
                    book.outcomes.skip(seq)
                    break
                if pending is not None:
                    chunk.append(pending)
                    if len(chunk) >= bulk_size:
                        await send.send(chunk)
                        chunk = []
                if seq % YIELD_EVERY == 0:
                    book.commit_now_and_then()
                    await anyio.lowlevel.checkpoint()
                if book.outcomes.held >= _book.MAX_REORDER:
                    # The report waits for an earlier row: it may be in this very chunk.
                    if chunk:
                        await send.send(chunk)
                        chunk = []
                    while book.outcomes.held >= _book.MAX_REORDER and not book.stop.is_set():
                        book.drained = anyio.Event()
                        await book.drained.wait()
            else:
                self._read_all = True
            if chunk and not book.stop.is_set():
                await send.send(chunk)
            elif chunk:
                for pending in chunk:
                    book.not_sent(pending.seq)

    def _read_until_error(self, rows: Iterator[SourceRow]) -> Iterator[SourceRow]:
        """``rows`` until the file cannot be read further. Then the import stops as on
        Ctrl-C (nothing new is sent, the requests in flight finish and are journaled) and
        `run` raises the error once they have: a row is never left ``sending`` because
        reading failed."""
        try:
            yield from rows
        except Exception as error:
            self.read_error = error
            self.book.halt()

    async def _work(self, receive: ObjectReceiveStream[list[Pending]]) -> None:
        async with receive:
            async for chunk in receive:
                if not self.warm.is_set():
                    # The first chunk fills the connection's look-up cache. The others wait
                    # for it here, before they are journaled `sending`: the connection would
                    # hold them back anyway, and rows held back are not in flight.
                    if self._warming:
                        await self.warm.wait()
                    self._warming = True
                if self.book.stop.is_set():  # stopping: send nothing new
                    for pending in chunk:
                        self.book.not_sent(pending.seq)
                    # This may have been the warming chunk: the workers that wait for it
                    # must not wait for a look-up that is never made.
                    self.warm.set()
                    continue
                await self._send(chunk)
                self.warm.set()

    async def _send(self, chunk: list[Pending]) -> None:
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

    def _skip_queued(self, receive: MemoryObjectReceiveStream[list[Pending]]) -> None:
        """Skip the chunks no worker took (the workers were abandoned): never sent."""
        import anyio

        while True:
            try:
                chunk = receive.receive_nowait()
            except (anyio.WouldBlock, anyio.EndOfStream):
                return
            for pending in chunk:
                self.book.not_sent(pending.seq)

    async def _watch_signals(self) -> None:
        import anyio

        try:
            receiver = anyio.open_signal_receiver(*STOP_SIGNALS)
            with receiver as signals:
                async for _ in signals:
                    self.interrupt()
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, Windows
            await anyio.sleep_forever()

    def interrupt(self) -> None:
        """Ctrl-C, SIGTERM or SIGHUP: the first stops sending and abandons the requests in flight
        after the grace period, the second abandons them at once."""
        import anyio

        book = self.book
        progress = book.outcomes.progress
        book.summary.interrupted = True
        if not book.stop.is_set():
            book.halt()
            grace = self.options.stop_grace
            self._abandon.deadline = min(self._abandon.deadline, anyio.current_time() + grace)
            progress.message(
                f"Stopping: waiting up to {grace:g} s for {len(book.in_flight)} request(s) in "
                "flight to finish (press Ctrl-C again to abandon them now)..."
            )
        else:
            progress.message("Abandoning the requests in flight.")
            self._abandon.cancel()

    async def run(self, *, watch_signals: bool = True) -> None:
        import anyio

        book = self.book
        async with self.target.connect_async(max_concurrency=1) as conn:
            # max_concurrency=1: a chunk's requests go one after another, so there are
            # never more than `concurrency` requests in flight in all.
            book.connected(conn)
            async with anyio.create_task_group() as outer:
                if watch_signals:  # else the caller watches them (several runs at once)
                    outer.start_soon(self._watch_signals)
                try:
                    await self._recover(conn)
                except JournalWriteError as error:
                    book.halt_for(error)
                outer.cancel_scope.cancel()
            self._confirm_unchecked()  # no signal handler of ours: Ctrl-C ends a question
            if not conn.capabilities.lookups:
                self.warm.set()
            bulk_size = max(1, conn.capabilities.bulk_size)
            async with anyio.create_task_group() as outer:
                if watch_signals:
                    outer.start_soon(self._watch_signals)
                with self._abandon:
                    # A chunk ready for each worker: workers that finish together take
                    # their next chunks together (and share the journal's commit).
                    send, receive = anyio.create_memory_object_stream[list[Pending]](
                        self.options.concurrency
                    )
                    with receive:
                        async with anyio.create_task_group() as group:
                            group.start_soon(self._feed, send, bulk_size)
                            for _ in range(self.options.concurrency):
                                group.start_soon(self._work, receive.clone())
                        self._skip_queued(receive)
                outer.cancel_scope.cancel()
            abandoned = book.abandon_in_flight()
            # Ctrl-C after the last row was sent and answered stopped nothing.
            book.summary.finished = (
                self._read_all
                and not book.unsent
                and not abandoned
                and not self._abandon.cancel_called
            )
        if self.read_error is not None:
            raise self.read_error
        if book.journal is not None and not book.stop.is_set():  # the whole file was read
            book.summary.missing_rows = book.journal.missing()

    async def _recover(self, conn: AsyncConnection) -> None:
        """Settle what can be settled about an earlier run's unknown rows (see
        `clientbridge.importer.running.recovery`), before anything is sent."""
        window = settle_window(timeout=conn.options.timeout, settle_after=self.options.settle_after)
        self.book.recovery = recovery = await look_up_earlier_unknowns(
            conn,
            self.book.journal,
            self.source,
            self.book.summary,
            window=window,
            wait=self._wait_to_settle,
            read_again=self.options.retry_unknown,
        )
        if not self.options.retry_unknown:
            return
        if recovery.read_again:
            self.book.unchecked = {
                row.key
                for row in recovery.rows
                if row.key not in recovery.found
                and row.key not in recovery.not_found
                and not decisions.resend_finds_out(row, self.book.policy)
            }
        elif not self.book.policy.unique_email:  # a stream: its unknown rows cannot be checked
            self.book.unchecked = set(recovery.unresolved)

    async def _wait_to_settle(self, seconds: float, rows: int) -> bool:
        """Wait ``seconds`` for the settle window to pass, saying so; False when stopped."""
        import anyio

        what = "1 row" if rows == 1 else f"{rows:,} rows"
        self.book.outcomes.progress.message(
            f"Waiting {seconds:,.0f} s before looking {what} up again in "
            f"{self.book.policy.display_name}: not found yet, and the requests of an earlier run "
            "may still be on their way (the settle window; "
            f"{self.options.advice.settle_window})..."
        )
        with anyio.move_on_after(seconds):
            await self.book.stop.wait()
        return not self.book.stop.is_set()

    def _confirm_unchecked(self) -> None:
        """Refuse to send unknown rows again without a check unless told to (raises
        `ImportSetupError`, nothing sent), or asked and confirmed."""
        if not self.book.unchecked or self.options.resend_unchecked or self.book.stop.is_set():
            return
        lines = self._unchecked_lines()
        confirm = self.options.confirm_unchecked
        if confirm is None or not confirm(
            decisions.unchecked_reason(lines, self.book.policy), lines
        ):
            raise decisions.unchecked_refusal(lines, self.book.policy)

    def _unchecked_lines(self) -> list[int]:
        """The lines the rows to re-send without a check were on (as the journal has them)."""
        journal = self.book.journal
        assert journal is not None
        lines = []
        for key in self.book.unchecked:
            entry = journal.previous(key)
            if entry is not None:
                lines.append(entry.line)
        return sorted(lines)


async def _run_async(
    source: Source,
    target: Target,
    options: ImportOptions,
    journal: Journal | None,
    outcomes: Outcomes,
) -> None:
    # The run's events and cancel scope need the event loop: made inside it.
    await _ImportRun(source, target, options, journal, outcomes).run()


def run_import(
    source: Source,
    target: Target,
    options: ImportOptions,
    *,
    journal: Path | None,
    report: Path | None,
) -> ImportSummary:
    """Import every row of ``source`` into ``target``. Never raises for a row."""
    import anyio

    with recording(source, target, options, report=report, journal=journal) as (outcomes, opened):
        anyio.run(_run_async, source, target, options, opened, outcomes)
    return outcomes.summary
