"""The row book: the one owner of every row's state while an import runs.

`RowBook` decides each row with the journal (asking `decisions`, which asks
`clientbridge.settle` for the settle rule), journals it ``sending`` before its request
leaves (one group commit for the workers ready together), settles its answer, records the
outcome in the journal and counts and reports it (`Outcomes`). The run loop only feeds
rows to it and runs the workers.

Sending the chunks (and holding back a row whose email is in flight) is `sending`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import attrs

from clientbridge.errors import ClientBridgeError, UnsupportedFeatureError, ValidationError
from clientbridge.importer.reading.source import Source, SourceRow
from clientbridge.importer.reporting.report import RowOutcome
from clientbridge.importer.reporting.summary import Outcomes
from clientbridge.importer.rows import RowState
from clientbridge.importer.rows.check import JournalWriteError, OutputError
from clientbridge.importer.rows.journal import Journal
from clientbridge.importer.running import decisions
from clientbridge.importer.running.decisions import JournalWrite, Policy, Settle
from clientbridge.importer.running.options import ImportOptions
from clientbridge.importer.running.recovery import Recovery, look_up_earlier_unknowns
from clientbridge.settle import settle_window

if TYPE_CHECKING:
    import anyio
    from anyio.streams.memory import MemoryObjectReceiveStream

    from clientbridge.connection import AsyncConnection
    from clientbridge.model import Client
    from clientbridge.result import CreateResult

__all__ = ["Pending", "RowBook"]


#: Finished rows held back to keep the report in input order before reading pauses.
MAX_REORDER = 10_000

# Read once: an enum member look-up is slow, and these are read once or twice per row.
_RECORD, _KEEP, _FORGET = JournalWrite.RECORD, JournalWrite.KEEP, JournalWrite.FORGET


@attrs.frozen
class Pending:
    """A row to send."""

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


class RowBook:
    """Every row's state: decided, marked ``sending``, settled, journaled, counted."""

    def __init__(
        self, outcomes: Outcomes, journal: Journal | None, options: ImportOptions, provider: str
    ) -> None:
        import anyio

        self.outcomes = outcomes
        self.summary = outcomes.summary
        self.journal = journal
        #: what the decisions depend on (the provider's part is known once connected)
        self.policy = Policy(
            retry_failed=options.retry_failed,
            retry_unknown=options.retry_unknown,
            provider=provider,
            advice=options.advice,
        )
        #: set by a stop: nothing new is sent
        self.stop = anyio.Event()
        #: set when the report caught up (the reader may go on)
        self.drained = anyio.Event()
        self.conn: AsyncConnection | None = None
        #: the chunks sent and not answered yet
        self.in_flight: dict[int, list[Pending]] = {}
        #: the commit the workers marking rows ``sending`` now wait for (one at a time)
        self._group_commit: anyio.Event | None = None
        #: what settling an earlier run's unknown rows found out
        self.recovery = Recovery()
        #: the rows a retry of unknown rows sends without any check (by identity)
        self.unchecked: set[str] = set()
        #: rows read but not sent because of a stop
        self.unsent = 0

    def connected(self, conn: AsyncConnection) -> None:
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

    # ------------------------------------------------------------------ stopping

    def halt(self) -> None:
        """Send nothing new: the reader stops, workers let their requests finish, and the
        requests waiting for their turn (the rate limit) never leave."""
        self.stop.set()
        self.drained.set()  # the reader may be waiting for the report to catch up
        if self.conn is not None:
            self.conn.stop_sending()

    def halt_for(self, error: OutputError) -> None:
        """An output (journal, report) can no longer be written: send nothing new."""
        self.summary.stop_for(error)
        self.halt()

    def not_sent(self, seq: int) -> None:
        """``seq`` was read but is not sent because of a stop: the import is unfinished."""
        self.unsent += 1
        self.outcomes.skip(seq)

    def commit_now_and_then(self) -> None:
        if self.journal is not None:
            try:
                self.journal.maybe_commit()
            except JournalWriteError as error:
                self.halt_for(error)

    # ------------------------------------------------------------------ settling

    def settle(
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
            self.halt_for(self.outcomes.failure)
        if self.outcomes.held < MAX_REORDER // 2:
            self.drained.set()

    def carry_out(self, seq: int, row: SourceRow, settle: Settle) -> None:
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
        self.settle(
            seq,
            row,
            settle.outcome,
            client_id=settle.client_id,
            error=settle.error,
            warnings=settle.warnings,
            dropped_fields=settle.dropped_fields,
            journal=write is _RECORD,
        )

    def resolve(self, pending: Pending, result: CreateResult | BaseException) -> None:
        """Settle a sent row's answer."""
        if self.stop.is_set() and decisions.never_left(result):
            # Stopped while it waited for its turn (the rate limit, a backoff), or refused
            # before any byte left: not sent, and sent as new by the next run.
            if self.journal is not None and not pending.retry_unknown:
                self.journal.forget([pending.row.key])
            self.not_sent(pending.seq)
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
            self.halt()
        self.carry_out(pending.seq, pending.row, settle)

    def decide(self, seq: int, row: SourceRow) -> Pending | None:
        """The row to send, or None when it was settled without sending."""
        previous = self.journal.previous(row.key) if self.journal else None
        recovery = self.recovery
        decision = decisions.decide(
            row,
            previous,
            self.policy,
            looked_up=recovery.said.get(row.key),
            not_found=row.key in recovery.not_found,
            unchecked=row.key in self.unchecked,
            invalid=lambda: self._invalid(row),
        )
        if isinstance(decision, Settle):
            self.carry_out(seq, row, decision)
            return None
        if decision.resent_unknown:
            self.summary.resent_unknown += 1
        if decision.not_found:
            self.summary.sent_after_lookup += 1
        return Pending(seq, row, decision.retry_unknown, decision.unchecked)

    def _invalid(self, row: SourceRow) -> str | None:
        if row.client is None:
            return row.error
        assert self.conn is not None
        try:
            self.conn.preview(row.client)
        except (ValidationError, UnsupportedFeatureError) as error:
            return str(error)
        return None

    # ------------------------------------------------------------------ sending

    async def sending(self, chunk: list[Pending]) -> bool:
        """``chunk`` is in flight; with a journal, its rows are marked ``sending`` and
        committed first. False when a stop came meanwhile (the rows are not sent)."""
        self.in_flight[id(chunk)] = chunk
        if self.journal is None:
            return True
        await self._journal_sending(self.journal, chunk)  # before the request leaves
        if not self.stop.is_set():
            return True
        # Stopped while the commit was made: send nothing new. These rows never left; a
        # row sent again by a retry of unknown rows keeps its mark (still unknown).
        del self.in_flight[id(chunk)]
        self.journal.forget(p.row.key for p in chunk if not p.retry_unknown)
        for pending in chunk:
            self.not_sent(pending.seq)
        return False

    def skip_queued(self, receive: MemoryObjectReceiveStream[list[Pending]]) -> None:
        """Skip the chunks no worker took (the workers were abandoned): never sent."""
        import anyio

        while True:
            try:
                chunk = receive.receive_nowait()
            except (anyio.WouldBlock, anyio.EndOfStream):
                return
            for pending in chunk:
                self.not_sent(pending.seq)

    def answered(
        self, chunk: list[Pending], results: Mapping[int, CreateResult | BaseException]
    ) -> None:
        """The answers to ``chunk`` (by index in it) are in."""
        del self.in_flight[id(chunk)]
        for index, pending in enumerate(chunk):
            self.resolve(pending, results[index])

    async def _journal_sending(self, journal: Journal, chunk: list[Pending]) -> None:
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
                self.halt_for(error)  # the workers waiting for this commit send nothing
            committed.set()

    # ------------------------------------------------------------------ resuming

    async def recover(self, conn: AsyncConnection, source: Source, options: ImportOptions) -> None:
        """Settle what can be settled about an earlier run's unknown rows (see
        `clientbridge.importer.running.recovery`), before anything is sent."""
        window = settle_window(timeout=conn.options.timeout, settle_after=options.settle_after)
        self.recovery = recovery = await look_up_earlier_unknowns(
            conn,
            self.journal,
            source,
            self.summary,
            window=window,
            wait=self._wait_to_settle,
            read_again=options.retry_unknown,
        )
        if not options.retry_unknown:
            return
        if recovery.read_again:
            self.unchecked = {
                row.key
                for row in recovery.rows
                if row.key not in recovery.found
                and row.key not in recovery.not_found
                and not decisions.resend_finds_out(row, self.policy)
            }
        elif not self.policy.unique_email:  # a stream: its unknown rows cannot be checked
            self.unchecked = set(recovery.unresolved)

    async def _wait_to_settle(self, seconds: float, rows: int) -> bool:
        """Wait ``seconds`` for the settle window to pass, saying so; False when stopped."""
        import anyio

        what = "1 row" if rows == 1 else f"{rows:,} rows"
        self.outcomes.progress.message(
            f"Waiting {seconds:,.0f} s before looking {what} up again in "
            f"{self.policy.display_name}: not found yet, and the requests of an earlier run "
            f"may still be on their way (the settle window; {self.policy.advice.settle_window})..."
        )
        with anyio.move_on_after(seconds):
            await self.stop.wait()
        return not self.stop.is_set()

    def confirm_unchecked(self, options: ImportOptions) -> None:
        """Refuse to send unknown rows again without a check unless told to (raises
        `ImportSetupError`, nothing sent), or asked and confirmed."""
        if not self.unchecked or options.resend_unchecked or self.stop.is_set():
            return
        assert self.journal is not None
        entries = (self.journal.previous(key) for key in self.unchecked)
        lines = sorted(entry.line for entry in entries if entry is not None)
        confirm = options.confirm_unchecked
        if confirm is None or not confirm(decisions.unchecked_reason(lines, self.policy), lines):
            raise decisions.unchecked_refusal(lines, self.policy)

    def abandon_in_flight(self) -> bool:
        """Settle the requests a stop abandoned as unknown; True when there were any."""
        abandoned = bool(self.in_flight)
        for chunk in list(self.in_flight.values()):
            self.summary.abandoned += len(chunk)
            for pending in chunk:
                message = "the import was stopped and abandoned the request in flight; "
                self.settle(
                    pending.seq,
                    pending.row,
                    RowState.UNKNOWN,
                    error=message + decisions.unknown_advice(self.policy),
                )
        self.in_flight.clear()
        return abandoned
