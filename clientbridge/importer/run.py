"""The import itself: read rows, decide with the journal, send in bounded parallel chunks.

One task reads the file and decides each row (send it, skip it, report it); a fixed number
of worker tasks send chunks of up to the provider's bulk size with ``create_many``, so at
most ``concurrency`` requests are in flight. Before a chunk is sent its rows are journaled
``sending`` and committed; their outcomes are journaled as they come back and committed
with the next chunk (or every second). The report is written in input order as rows finish.

Where the provider refuses a second client with the same email, two rows with the same
email are never in flight together: the second is held back until the first has its
answer, then sent (the provider's refusal is only reliable for requests one after another).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from clientbridge.errors import ClientBridgeError, UnsupportedFeatureError, ValidationError
from clientbridge.importer import decisions
from clientbridge.importer.decisions import JournalWrite, Policy, Settle
from clientbridge.importer.identity import identify
from clientbridge.importer.inflight import KeysInFlight
from clientbridge.importer.journal import Journal
from clientbridge.importer.options import STOP_SIGNALS, ImportOptions, Target
from clientbridge.importer.ordering import Outcomes
from clientbridge.importer.outputs import JournalWriteError, OutputError
from clientbridge.importer.recording import recording
from clientbridge.importer.recovery import Recovery, look_up_earlier_unknowns
from clientbridge.importer.report import RowOutcome
from clientbridge.importer.source import Source, SourceRow
from clientbridge.importer.states import RowState
from clientbridge.importer.summary import ImportSummary
from clientbridge.model import Client
from clientbridge.result import CreateResult
from clientbridge.settle import settle_window

if TYPE_CHECKING:
    from anyio.abc import ObjectReceiveStream, ObjectSendStream
    from anyio.streams.memory import MemoryObjectReceiveStream

    from clientbridge.connection import AsyncConnection

__all__ = ["ImportOptions", "ImportSummary", "Target", "run_import"]

#: Finished rows held back to keep the report in input order before reading pauses.
MAX_REORDER = 10_000
#: Rows read between two yields to the event loop (signals, progress, workers).
YIELD_EVERY = 256

# Read once: an enum member look-up is slow, and these are read once or twice per row.
_RECORD, _KEEP, _FORGET = JournalWrite.RECORD, JournalWrite.KEEP, JournalWrite.FORGET


@attrs.frozen
class _Pending:
    seq: int
    #: a row with a client (the others are settled without sending)
    row: SourceRow
    #: sent again by a retry of unknown rows: an "already exists" answer means it was created
    retry_unknown: bool = False
    #: ... although nothing checked whether it exists
    unchecked: bool = False
    #: held back while the row on this line, with the same email, was in flight
    same_email_as: int | None = None

    @property
    def client(self) -> Client:
        assert self.row.client is not None
        return self.row.client


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
        self.journal = journal
        self.outcomes = outcomes
        self.summary = outcomes.summary
        self.stop = anyio.Event()
        self.warm = anyio.Event()
        self._warming = False
        self._drained = anyio.Event()
        #: the commit the workers marking rows ``sending`` now wait for (one at a time)
        self._group_commit: anyio.Event | None = None
        self._in_flight: dict[int, list[_Pending]] = {}
        self._abandon = anyio.CancelScope()
        self.conn: AsyncConnection | None = None
        #: why the file could not be read to its end (raised once the run has stopped)
        self.read_error: Exception | None = None
        #: what settling an earlier run's unknown rows found out
        self._recovery = Recovery()
        #: the rows a retry of unknown rows sends without any check (by identity)
        self._unchecked: set[str] = set()
        #: rows whose duplicate key (email) is in flight: another with it waits its turn
        self._keys_in_flight: KeysInFlight[_Pending] = KeysInFlight(
            self._key, lambda pending: pending.row.line
        )
        #: the whole file was read, and rows read but not sent because of a stop
        self._read_all = False
        self._unsent = 0
        #: what the decisions depend on (the provider's part is known once connected)
        self.policy = Policy(
            retry_failed=options.retry_failed,
            retry_unknown=options.retry_unknown,
            provider=target.provider,
            advice=options.advice,
        )

    # ------------------------------------------------------------------ outcomes

    def _settle(
        self,
        seq: int,
        row: SourceRow,
        outcome: RowState,
        *,
        client_id: str | None = None,
        error: str | None = None,
        warnings: tuple[str, ...] = (),
        dropped_fields: tuple[str, ...] = (),
        journal: bool = True,
    ) -> None:
        """Count and report a finished row, and journal its outcome (committed later)."""
        if dropped_fields and self.conn is not None:
            self.summary.add_dropped(dropped_fields, self.conn.dropped_reason)
        if journal and self.journal is not None:
            self.journal.record(
                row.key, row.line, row.digest, outcome, client_id=client_id, error=error
            )
        warnings = row.notes + warnings  # what reading changed (a split name) comes first
        self.outcomes.add(seq, RowOutcome(row.line, outcome, client_id, error, warnings))
        if self.outcomes.failure is not None:
            self._stop_for(self.outcomes.failure)
        if self.outcomes.held < MAX_REORDER // 2:
            self._drained.set()

    def _carry_out(self, seq: int, row: SourceRow, settle: Settle) -> None:
        """Journal, count and report a row as ``settle`` says."""
        summary = self.summary
        if settle.changed:
            summary.changed_rows += 1
        if settle.retryable:
            summary.retryable_failed += 1
        write = settle.journal
        if write is _FORGET and self.journal is not None:
            self.journal.forget([row.key])
        elif settle.journal_note is not None:
            if self.journal is not None:
                self.journal.record(
                    row.key,
                    row.line,
                    row.digest,
                    settle.journal_state or settle.outcome,
                    client_id=settle.client_id,
                    error=settle.journal_note,
                )
            write = _KEEP
        self._settle(
            seq,
            row,
            settle.outcome,
            client_id=settle.client_id,
            error=settle.error,
            warnings=settle.warnings,
            dropped_fields=settle.dropped_fields,
            journal=write is _RECORD,
        )

    def _resolve(self, pending: _Pending, result: CreateResult | BaseException) -> None:
        if self.stop.is_set() and decisions.never_left(result):
            # Stopped while it waited for its turn (the rate limit, a backoff), or refused
            # before any byte left: not sent, and sent as new by the next run.
            if self.journal is not None and not pending.retry_unknown:
                self.journal.forget([pending.row.key])
            self._not_sent(pending.seq)
            return
        settle = decisions.resolve(
            result,
            self.policy,
            retry_unknown=pending.retry_unknown,
            unchecked=pending.unchecked,
            same_email_as=pending.same_email_as,
        )
        if settle.stops and self.summary.stopped_by is None:
            assert isinstance(result, ClientBridgeError)
            self.summary.stopped_by = result
            self._stop()
        self._carry_out(pending.seq, pending.row, settle)

    # ------------------------------------------------------------------ deciding

    def _decide(self, seq: int, row: SourceRow) -> _Pending | None:
        """The row to send, or None when it was settled without sending."""
        previous = self.journal.previous(row.key) if self.journal else None
        recovery = self._recovery
        decision = decisions.decide(
            row,
            previous,
            self.policy,
            looked_up=recovery.said.get(row.key),
            not_found=row.key in recovery.not_found,
            unchecked=row.key in self._unchecked,
            invalid=lambda: self._invalid(row),
        )
        if isinstance(decision, Settle):
            self._carry_out(seq, row, decision)
            return None
        if decision.resent_unknown:
            self.summary.resent_unknown += 1
        if decision.not_found:
            self.summary.sent_after_lookup += 1
        return _Pending(seq, row, decision.retry_unknown, decision.unchecked)

    def _invalid(self, row: SourceRow) -> str | None:
        if row.client is None:
            return row.error
        assert self.conn is not None
        try:
            self.conn.preview(row.client)
        except (ValidationError, UnsupportedFeatureError) as error:
            return str(error)
        return None

    def _stop_for(self, error: OutputError) -> None:
        """An output (journal, report) can no longer be written: send nothing new."""
        self.summary.stop_for(error)
        self._stop()

    def _stop(self) -> None:
        """Send nothing new: the reader stops, workers let their requests finish, and the
        requests waiting for their turn (the rate limit) never leave."""
        self.stop.set()
        self._drained.set()  # the reader may be waiting for the report to catch up
        if self.conn is not None:
            self.conn.stop_sending()

    def _not_sent(self, seq: int) -> None:
        """``seq`` was read but is not sent because of a stop: the import is unfinished."""
        self._unsent += 1
        self.outcomes.skip(seq)

    # ------------------------------------------------------------------ tasks

    async def _feed(self, send: ObjectSendStream[list[_Pending]], bulk_size: int) -> None:
        import anyio

        async with send:
            chunk: list[_Pending] = []
            accepts = self.target.accepts
            rows = self._read_until_error(self.source.rows())
            if self.journal is not None:  # the journal knows rows by their identity
                rows = identify(rows)
            for seq, row in enumerate(rows):
                if self.stop.is_set():
                    self._not_sent(seq)
                    break
                if accepts is not None and row.client is not None and not accepts(row.client):
                    self.outcomes.skip(seq)  # routed elsewhere: not this target's row
                    self.summary.not_routed += 1
                    continue
                try:
                    pending = self._decide(seq, row)
                except JournalWriteError as error:
                    self._stop_for(error)
                    self.outcomes.skip(seq)
                    break
                if pending is not None:
                    chunk.append(pending)
                    if len(chunk) >= bulk_size:
                        await send.send(chunk)
                        chunk = []
                if seq % YIELD_EVERY == 0:
                    if self.journal:
                        self._commit_now_and_then(self.journal)
                    await anyio.lowlevel.checkpoint()
                if self.outcomes.held >= MAX_REORDER:
                    # The report waits for an earlier row: it may be in this very chunk.
                    if chunk:
                        await send.send(chunk)
                        chunk = []
                    while self.outcomes.held >= MAX_REORDER and not self.stop.is_set():
                        self._drained = anyio.Event()
                        await self._drained.wait()
            else:
                self._read_all = True
            if chunk and not self.stop.is_set():
                await send.send(chunk)
            elif chunk:
                for pending in chunk:
                    self._not_sent(pending.seq)

    def _commit_now_and_then(self, journal: Journal) -> None:
        try:
            journal.maybe_commit()
        except JournalWriteError as error:
            self._stop_for(error)

    def _read_until_error(self, rows: Iterator[SourceRow]) -> Iterator[SourceRow]:
        """``rows`` until the file cannot be read further. Then the import stops as on
        Ctrl-C (nothing new is sent, the requests in flight finish and are journaled) and
        `run` raises the error once they have: a row is never left ``sending`` because
        reading failed."""
        try:
            yield from rows
        except Exception as error:
            self.read_error = error
            self._stop()

    async def _work(self, receive: ObjectReceiveStream[list[_Pending]]) -> None:
        async with receive:
            async for chunk in receive:
                if not self.warm.is_set():
                    # The first chunk fills the connection's look-up cache. The others wait
                    # for it here, before they are journaled `sending`: the connection would
                    # hold them back anyway, and rows held back are not in flight.
                    if self._warming:
                        await self.warm.wait()
                    self._warming = True
                if self.stop.is_set():  # stopping: send nothing new
                    for pending in chunk:
                        self._not_sent(pending.seq)
                    # This may have been the warming chunk: the workers that wait for it
                    # must not wait for a look-up that is never made.
                    self.warm.set()
                    continue
                await self._send(chunk)
                self.warm.set()

    async def _send(self, chunk: list[_Pending]) -> None:
        """Send ``chunk``; a row whose email is in flight (where the provider refuses a
        second client with one email) waits for that request's answer, then goes."""
        import anyio

        while chunk:
            ready, waiting = self._keys_in_flight.claim(chunk)
            held = [attrs.evolve(pending, same_email_as=line) for pending, line in waiting]
            if ready:
                try:
                    await self._send_now(ready)
                finally:
                    self._keys_in_flight.release(ready)
            elif not self.stop.is_set():
                await self._keys_in_flight.wait_for(held[0])
            if held and self.stop.is_set():
                for pending in held:
                    self._not_sent(pending.seq)
                return
            chunk = held
            await anyio.lowlevel.checkpoint()

    def _key(self, pending: _Pending) -> str | None:
        assert self.conn is not None
        return self.conn.duplicate_key(pending.client)

    async def _send_now(self, chunk: list[_Pending]) -> None:
        assert self.conn is not None
        key = id(chunk)
        self._in_flight[key] = chunk
        if self.journal:
            await self._journal_sending(self.journal, chunk)  # before the request leaves
            if self.stop.is_set():
                # Stopped while the commit was made: send nothing new. These rows never
                # left; a row sent again by a retry of unknown rows keeps its mark (still unknown).
                del self._in_flight[key]
                self.journal.forget(p.row.key for p in chunk if not p.retry_unknown)
                for pending in chunk:
                    self._not_sent(pending.seq)
                return
        clients = [pending.client for pending in chunk]
        results: dict[int, CreateResult | BaseException]
        try:
            batch = await self.conn.create_many(clients)
        except Exception as error:  # create_many reports per-client failures; this is a bug
            results = dict.fromkeys(range(len(chunk)), error)
        else:
            results = dict(zip(batch.succeeded_indices, batch.succeeded, strict=True))
            results.update((failure.index, failure.error) for failure in batch.failed)
        del self._in_flight[key]
        for index, pending in enumerate(chunk):
            self._resolve(pending, results[index])

    async def _journal_sending(self, journal: Journal, chunk: list[_Pending]) -> None:
        """Mark ``chunk`` ``sending`` and return once that is committed.

        Group commit: the workers that reach this point in the same turn of the event loop
        share one commit, the first of them committing for all. No row is sent before the
        commit that holds its mark.
        """
        import anyio

        journal.mark_sending(
            (pending.row.key, pending.row.line, pending.row.digest) for pending in chunk
        )
        if self._group_commit is not None:
            await self._group_commit.wait()  # the first worker commits this mark too
            return
        committed = self._group_commit = anyio.Event()
        try:
            await anyio.lowlevel.checkpoint()  # let the other ready workers add their marks
        finally:
            # Even when cancelled: the rows are in flight (reported unknown when abandoned).
            self._group_commit = None
            try:
                journal.commit()
            except JournalWriteError as error:
                self._stop_for(error)  # the workers waiting for this commit send nothing
            committed.set()

    def _skip_queued(self, receive: MemoryObjectReceiveStream[list[_Pending]]) -> None:
        """Skip the chunks no worker took (the workers were abandoned): never sent."""
        import anyio

        while True:
            try:
                chunk = receive.receive_nowait()
            except (anyio.WouldBlock, anyio.EndOfStream):
                return
            for pending in chunk:
                self._not_sent(pending.seq)

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

        progress = self.outcomes.progress
        self.summary.interrupted = True
        if not self.stop.is_set():
            self._stop()
            grace = self.options.stop_grace
            self._abandon.deadline = min(self._abandon.deadline, anyio.current_time() + grace)
            progress.message(
                f"Stopping: waiting up to {grace:g} s for {len(self._in_flight)} request(s) in "
                "flight to finish (press Ctrl-C again to abandon them now)..."
            )
        else:
            progress.message("Abandoning the requests in flight.")
            self._abandon.cancel()

    async def run(self, *, watch_signals: bool = True) -> None:
        import anyio

        async with self.target.connect_async(max_concurrency=1) as conn:
            # max_concurrency=1: a chunk's requests go one after another, so there are
            # never more than `concurrency` requests in flight in all.
            self.conn = conn
            capabilities = conn.capabilities
            self.summary.unique_email = capabilities.unique_email
            self.summary.find_existing = capabilities.find_existing
            self.policy = attrs.evolve(
                self.policy,
                unique_email=capabilities.unique_email,
                find_existing=capabilities.find_existing,
                display_name=conn.display_name,
            )
            async with anyio.create_task_group() as outer:
                if watch_signals:  # else the caller watches them (several runs at once)
                    outer.start_soon(self._watch_signals)
                try:
                    await self._recover(conn)
                except JournalWriteError as error:
                    self._stop_for(error)
                outer.cancel_scope.cancel()
            self._confirm_unchecked()  # no signal handler of ours: Ctrl-C ends a question
            if not capabilities.lookups:
                self.warm.set()
            bulk_size = max(1, capabilities.bulk_size)
            async with anyio.create_task_group() as outer:
                if watch_signals:
                    outer.start_soon(self._watch_signals)
                with self._abandon:
                    # A chunk ready for each worker: workers that finish together take
                    # their next chunks together (and share the journal's commit).
                    send, receive = anyio.create_memory_object_stream[list[_Pending]](
                        self.options.concurrency
                    )
                    with receive:
                        async with anyio.create_task_group() as group:
                            group.start_soon(self._feed, send, bulk_size)
                            for _ in range(self.options.concurrency):
                                group.start_soon(self._work, receive.clone())
                        self._skip_queued(receive)
                outer.cancel_scope.cancel()
            abandoned = bool(self._in_flight)
            for chunk in list(self._in_flight.values()):  # abandoned by a stop
                self.summary.abandoned += len(chunk)
                for pending in chunk:
                    message = "the import was stopped and abandoned the request in flight; "
                    self._settle(
                        pending.seq,
                        pending.row,
                        RowState.UNKNOWN,
                        error=message + decisions.unknown_advice(self.policy),
                    )
            self._in_flight.clear()
            # Ctrl-C after the last row was sent and answered stopped nothing.
            self.summary.finished = (
                self._read_all
                and not self._unsent
                and not abandoned
                and not self._abandon.cancel_called
            )
        if self.read_error is not None:
            raise self.read_error
        if self.journal is not None and not self.stop.is_set():  # the whole file was read
            self.summary.missing_rows = self.journal.missing()

    async def _recover(self, conn: AsyncConnection) -> None:
        """Settle what can be settled about an earlier run's unknown rows (see
        `clientbridge.importer.recovery`), before anything is sent."""
        window = settle_window(timeout=conn.options.timeout, settle_after=self.options.settle_after)
        self._recovery = recovery = await look_up_earlier_unknowns(
            conn,
            self.journal,
            self.source,
            self.summary,
            window=window,
            wait=self._wait_to_settle,
            read_again=self.options.retry_unknown,
        )
        if not self.options.retry_unknown:
            return
        if recovery.read_again:
            self._unchecked = {
                row.key
                for row in recovery.rows
                if row.key not in recovery.found
                and row.key not in recovery.not_found
                and not decisions.resend_finds_out(row, self.policy)
            }
        elif not self.policy.unique_email:  # a stream: its unknown rows cannot be checked
            self._unchecked = set(recovery.unresolved)

    async def _wait_to_settle(self, seconds: float, rows: int) -> bool:
        """Wait ``seconds`` for the settle window to pass, saying so; False when stopped."""
        import anyio

        what = "1 row" if rows == 1 else f"{rows:,} rows"
        self.outcomes.progress.message(
            f"Waiting {seconds:,.0f} s before looking {what} up again in "
            f"{self.policy.display_name}: not found yet, and the requests of an earlier run "
            "may still be on their way (the settle window; "
            f"{self.options.advice.settle_window})..."
        )
        with anyio.move_on_after(seconds):
            await self.stop.wait()
        return not self.stop.is_set()

    def _confirm_unchecked(self) -> None:
        """Refuse to send unknown rows again without a check unless told to (raises
        `ImportSetupError`, nothing sent), or asked and confirmed."""
        if not self._unchecked or self.options.resend_unchecked or self.stop.is_set():
            return
        lines = self._unchecked_lines()
        confirm = self.options.confirm_unchecked
        if confirm is None or not confirm(decisions.unchecked_reason(lines, self.policy), lines):
            raise decisions.unchecked_refusal(lines, self.policy)

    def _unchecked_lines(self) -> list[int]:
        """The lines the rows to re-send without a check were on (as the journal has them)."""
        journal = self.journal
        assert journal is not None
        lines = []
        for key in self._unchecked:
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
