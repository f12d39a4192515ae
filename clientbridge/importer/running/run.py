"""The run loop: it feeds the file's rows to the `RowBook` and runs the workers.

One task reads rows and hands each to the book (which decides it); ``concurrency`` worker
tasks send chunks of up to the provider's bulk size with ``create_many``. The book owns
every row's state: journaled ``sending`` and committed before it leaves, settled,
journaled and reported (in input order) when its answer comes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from clientbridge.importer.reading.source import Source, SourceRow
from clientbridge.importer.reporting.summary import ImportSummary, Outcomes
from clientbridge.importer.rows.check import JournalWriteError
from clientbridge.importer.rows.journal import Journal
from clientbridge.importer.rows.schema import identify
from clientbridge.importer.running import book as _book
from clientbridge.importer.running.book import Pending, RowBook
from clientbridge.importer.running.options import ImportOptions, Target, recording
from clientbridge.importer.running.options import watch_signals as watch_all_signals
from clientbridge.importer.running.sending import Sender

if TYPE_CHECKING:
    from anyio.abc import ObjectReceiveStream, ObjectSendStream


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
        self.book = RowBook(outcomes, journal, options, target.provider)
        self.warm = anyio.Event()
        self._warming = False
        self._abandon = anyio.CancelScope()
        #: why the file could not be read to its end (raised once the run has stopped)
        self.read_error: Exception | None = None
        self._sender = Sender(self.book)
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
                await self._sender.send(chunk)
                self.warm.set()

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
                    outer.start_soon(watch_all_signals, [self])
                try:
                    await book.recover(conn, self.source, self.options)
                except JournalWriteError as error:
                    book.halt_for(error)
                outer.cancel_scope.cancel()
            book.confirm_unchecked(self.options)  # no signal handler of ours: Ctrl-C ends it
            if not conn.capabilities.lookups:
                self.warm.set()
            bulk_size = max(1, conn.capabilities.bulk_size)
            async with anyio.create_task_group() as outer:
                if watch_signals:
                    outer.start_soon(watch_all_signals, [self])
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
                        self.book.skip_queued(receive)
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
