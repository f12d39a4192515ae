"""The import itself: read rows, decide with the journal, send in bounded parallel chunks.

One task reads the file and decides each row (send it, skip it, report it); a fixed number
of worker tasks send chunks of up to the provider's bulk size with ``create_many``, so at
most ``concurrency`` requests are in flight. Before a chunk is sent its rows are journaled
``sending`` and committed; their outcomes are journaled as they come back and committed
with the next chunk (or every second). The report is written in input order as rows finish.
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from clientbridge.errors import (
    AuthenticationError,
    ClientBridgeError,
    ConfigurationError,
    DuplicateClientError,
    NotFoundError,
    PermissionDeniedError,
    TransportError,
    UnsupportedFeatureError,
    ValidationError,
    is_retryable,
    outcome_unknown,
)
from clientbridge.importer.journal import SENDING, Journal
from clientbridge.importer.progress import Progress, ProgressMode, make_progress
from clientbridge.importer.report import (
    CREATED,
    FAILED,
    SKIPPED,
    UNKNOWN,
    VALID,
    ReportWriter,
    RowOutcome,
)
from clientbridge.importer.source import Source, SourceRow
from clientbridge.importer.summary import ImportSummary
from clientbridge.model import Client
from clientbridge.result import CreateResult

if TYPE_CHECKING:
    from anyio.abc import ObjectReceiveStream, ObjectSendStream
    from anyio.streams.memory import MemoryObjectReceiveStream

    from clientbridge.connection import AsyncConnection, Connection
    from clientbridge.wire import HttpRequest

__all__ = ["ImportOptions", "ImportSummary", "Target", "run_dry", "run_import"]

#: Finished rows held back to keep the report in input order before reading pauses.
MAX_REORDER = 10_000
#: Rows read between two yields to the event loop (signals, progress, workers).
YIELD_EVERY = 256
#: Seconds a stop (Ctrl-C, SIGTERM) waits for the requests in flight before abandoning them.
STOP_GRACE = 5.0

#: The provider refused the target as a whole: every row would fail the same way.
_TARGET_ERRORS = (AuthenticationError, PermissionDeniedError, NotFoundError, ConfigurationError)


def _refuses_target(error: ClientBridgeError) -> bool:
    """A bad credential or URL, or a provider that cannot be reached even after the
    driver's retries: nothing was created, and the next rows would fare no better."""
    if isinstance(error, TransportError):
        return not error.maybe_sent
    return isinstance(error, _TARGET_ERRORS)


@attrs.frozen(kw_only=True)
class Target:
    """Where an import goes: how to connect, and how to name it to people and journals."""

    provider: str
    #: for people: ``"placio (sandbox)"``, ``"connection 'uk' (proconvey)"``
    label: str
    #: for the journal: provider, connection and base URL (a changed target is noticed)
    fingerprint: str
    connect: Callable[..., Connection]
    connect_async: Callable[..., AsyncConnection]
    #: what is created does not outlive the command (the in-process sandbox): no resume
    ephemeral: bool = False
    #: the clients that go to this target (routes); None: every client
    accepts: Callable[[Client], bool] | None = None


@attrs.frozen(kw_only=True)
class ImportOptions:
    """How to run an import (the CLI's flags)."""

    concurrency: int = 8
    retry_failed: bool = False
    retry_unknown: bool = False
    progress: ProgressMode = "auto"
    #: seconds between two plain progress lines
    progress_interval: float = 5.0
    #: ``--dry-run``: called with each valid row and the requests it would send
    on_preview: Callable[[SourceRow, list[HttpRequest]], None] | None = None
    #: seconds a stop waits for the requests in flight before abandoning them (unknown)
    stop_grace: float = STOP_GRACE


@attrs.frozen
class _Pending:
    seq: int
    #: a row with a client (the others are settled without sending)
    row: SourceRow
    #: sent again by --retry-unknown: an "already exists" answer means it was created
    retry_unknown: bool = False

    @property
    def client(self) -> Client:
        assert self.row.client is not None
        return self.row.client


class _Outcomes:
    """Counts, the summary's problems, progress and the report (kept in input order)."""

    def __init__(
        self,
        summary: ImportSummary,
        report: ReportWriter | None,
        progress: Progress,
        source: Source,
        connection: str | None = None,
    ) -> None:
        self.summary = summary
        self.report = report
        self.progress = progress
        self.source = source
        #: the connection named in the report (an import into several connections)
        self.connection = connection
        self._held: dict[int, RowOutcome] = {}
        self._skipped: set[int] = set()
        self._next = 0

    def add(self, seq: int, outcome: RowOutcome) -> None:
        summary = self.summary
        summary.counts[outcome.outcome] += 1
        if outcome.outcome in (FAILED, UNKNOWN):
            summary.add_problem(outcome)
        if self.report is not None:
            if self.connection is not None:
                outcome = attrs.evolve(outcome, connection=self.connection)
            self._held[seq] = outcome
            self._flush()
        self.progress.update(summary.counts, summary.rows, self.source.bytes_read())

    def skip(self, seq: int) -> None:
        """``seq`` was read but will never finish (not sent because of a stop)."""
        if self.report is not None:
            self._skipped.add(seq)
            self._flush()

    def _flush(self) -> None:
        assert self.report is not None
        while True:
            if self._next in self._held:
                self.report.write(self._held.pop(self._next))
            elif self._next in self._skipped:
                self._skipped.discard(self._next)
            else:
                return
            self._next += 1

    @property
    def held(self) -> int:
        """Finished rows waiting for an earlier row before they go into the report."""
        return len(self._held)

    def close(self) -> None:
        if self.report is not None:
            for seq in sorted(self._held):
                self.report.write(self._held.pop(seq))
        self.progress.close(self.summary.counts, self.summary.rows, self.source.bytes_read())


class _ImportRun:
    def __init__(
        self,
        source: Source,
        target: Target,
        options: ImportOptions,
        journal: Journal | None,
        outcomes: _Outcomes,
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
        #: what looking up an earlier run's unknown rows said about each (by line)
        self._looked_up: dict[int, str] = {}

    # ------------------------------------------------------------------ outcomes

    def _settle(
        self,
        seq: int,
        row: SourceRow,
        outcome: str,
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
            self.journal.record(row.line, row.digest, outcome, client_id=client_id, error=error)
        warnings = row.notes + warnings  # what reading changed (a split name) comes first
        self.outcomes.add(seq, RowOutcome(row.line, outcome, client_id, error, warnings))
        if self.outcomes.held < MAX_REORDER // 2:
            self._drained.set()

    def _resolve(self, pending: _Pending, result: CreateResult | BaseException) -> None:
        seq, row = pending.seq, pending.row
        if isinstance(result, CreateResult):
            self._settle(
                seq,
                row,
                CREATED,
                client_id=result.id,
                warnings=result.warnings,
                dropped_fields=result.dropped_fields,
            )
        elif pending.retry_unknown and isinstance(result, DuplicateClientError):
            note = (
                "the provider answers that this client already exists: the earlier attempt "
                "created it (its id was not returned)"
            )
            if self.journal is not None:  # the note is shown again when the row is skipped
                self.journal.record(row.line, row.digest, CREATED, error=note)
            self._settle(seq, row, CREATED, warnings=(note,), journal=False)
        elif not isinstance(result, ClientBridgeError):  # a bug below us, after sending
            message = f"unexpected {type(result).__name__}: {result}; "
            self._settle(seq, row, UNKNOWN, error=message + self._unknown_advice)
        elif _refuses_target(result):
            if self.summary.stopped_by is None:
                self.summary.stopped_by = result
                self._stop()
            if pending.retry_unknown:  # this attempt created nothing; an earlier one may have
                message = f"{result} (an earlier attempt may have created it: {self._check_advice})"
                self._settle(seq, row, UNKNOWN, error=message)
                return
            # Refused as a whole, so not created: forgotten, and sent as new next time.
            if self.journal is not None:
                self.journal.forget([row.line])
            self._settle(seq, row, FAILED, error=str(result), journal=False)
        elif outcome_unknown(result):
            self._settle(seq, row, UNKNOWN, error=f"{result} ({self._unknown_advice})")
        else:
            if is_retryable(result):
                self.summary.retryable_failed += 1
            self._settle(seq, row, FAILED, error=str(result))

    @property
    def _check_advice(self) -> str:
        if self.conn is not None and self.conn.capabilities.unique_email:
            return (
                f"running the same command again sends it again, which is safe: "
                f"{self.conn.display_name} refuses a second client with the same "
                "email, so it is created then or answered as existing"
            )
        return (
            f"check in {self.target.provider}; running again never sends it on its own, "
            "--retry-unknown sends it again"
        )

    @property
    def _unknown_advice(self) -> str:
        return f"it may have been created: {self._check_advice}"

    # ------------------------------------------------------------------ deciding

    def _decide(self, seq: int, row: SourceRow) -> _Pending | None:
        """The row to send, or None when it was settled without sending."""
        previous = self.journal.previous(row.line) if self.journal else None
        retry_unknown = False
        if previous is not None and previous.digest == row.digest:
            if previous.state == CREATED:
                # A note on a created row says how it was found (a look-up, a duplicate).
                note = (previous.error,) if previous.error else ()
                self._settle(
                    seq, row, SKIPPED, client_id=previous.client_id, warnings=note, journal=False
                )
                return None
            if previous.state == FAILED and not self.options.retry_failed:
                message = (
                    f"{previous.error} (failed in an earlier run; --retry-failed sends it again)"
                )
                self._settle(seq, row, FAILED, error=message, journal=False)
                return None
            if previous.state in (SENDING, UNKNOWN):
                if not self.options.retry_unknown:
                    if not self._resend_finds_out(row):
                        self._settle_unknown(seq, row, previous.state, previous.error)
                        return None
                    self.summary.resent_unknown += 1
                retry_unknown = True
        elif previous is not None and previous.state != FAILED:
            self.summary.changed_rows += 1
            what = (
                f"created it as {previous.client_id}"
                if previous.state == CREATED
                else "may have created it"
            )
            message = (
                f"the row changed since an earlier run {what}, so it was not sent again. If it "
                "is another client, add it as a new row at the end of the file"
            )
            self._settle(seq, row, FAILED, error=message, journal=False)
            return None
        if row.client is None:
            self._settle(seq, row, FAILED, error=row.error)
            return None
        return _Pending(seq, row, retry_unknown)

    def _resend_finds_out(self, row: SourceRow) -> bool:
        """Whether sending ``row`` again settles it safely: the provider refuses a second
        client with its email (AgencyHandy), so the create either makes the client an
        earlier run did not, or answers that it exists (which counts as created)."""
        assert self.conn is not None
        if not self.conn.capabilities.unique_email:
            return False
        return row.client is not None and bool(row.client.email)

    def _settle_unknown(self, seq: int, row: SourceRow, state: str, error: str | None) -> None:
        looked_up = self._looked_up.get(row.line)
        if state == UNKNOWN:
            message = error or self._unknown_advice
            if looked_up:
                message = f"{message}; since then, {looked_up}"
            self._settle(seq, row, UNKNOWN, error=message, journal=False)
            return
        # Left "sending" by a run that stopped. A row the adapter refuses cannot have been
        # sent (validation happens before any I/O): it failed, it is not unknown.
        problem = self._invalid(row)
        if problem is not None:
            self._settle(seq, row, FAILED, error=problem)
        elif looked_up:
            message = (
                f"the import stopped while this row was being sent; {looked_up}. Running "
                "again never sends it on its own; --retry-unknown sends it again"
            )
            self._settle(seq, row, UNKNOWN, error=message)
        else:
            message = "the import stopped while this row was being sent; " + self._unknown_advice
            self._settle(seq, row, UNKNOWN, error=message)

    def _invalid(self, row: SourceRow) -> str | None:
        if row.client is None:
            return row.error
        assert self.conn is not None
        try:
            self.conn.preview(row.client)
        except (ValidationError, UnsupportedFeatureError) as error:
            return str(error)
        return None

    # ------------------------------------------------------------------ earlier unknowns

    async def _look_up_earlier_unknowns(self) -> None:
        """Ask the provider about the rows an earlier run left ``sending`` or ``unknown``,
        where it can be asked (RoostedHR's client list), before anything is sent.

        Look-ups only read. A row whose client is found once, and claimed by no other row,
        is journaled created with that id (so it is reported ``skipped``); the others stay
        unknown and never sent on their own, with what the look-up said.
        """
        assert self.conn is not None
        if self.journal is None or not self.conn.capabilities.find_existing:
            return
        unresolved = self.journal.unresolved()
        if not unresolved:
            return
        rows, batch = self._prepare_again(unresolved)
        if not batch:
            return
        provider = self.conn.display_name
        self.summary.looked_up = len(rows)
        try:
            matches = await self.conn.find_existing(batch)
        except ClientBridgeError as error:
            reason = str(error).rstrip(".")
            for row in rows:
                self._looked_up[row.line] = f"a look-up in {provider} failed ({reason})"
            return
        claimed = self.journal.claimed_client_ids({r.id for found in matches for r in found})
        matches = [[r for r in found if r.id not in claimed] for found in matches]
        rows_per_client = Counter(r.id for found in matches for r in found)
        for row, found in zip(rows, matches, strict=True):
            if not found:
                self._looked_up[row.line] = (
                    f"a look-up in {provider} found no client matching it, so it was probably "
                    "not created"
                )
            elif len(found) > 1:
                self._looked_up[row.line] = (
                    f"a look-up in {provider} found {len(found)} clients matching it "
                    f"({', '.join(r.id for r in found[:5])}): check which one is this row's"
                )
            elif rows_per_client[found[0].id] > 1:
                self._looked_up[row.line] = (
                    f"a look-up in {provider} found {found[0].id}, which matches other unknown "
                    "rows too: check which row it is"
                )
            else:
                note = (
                    f"found in {provider} as {found[0].id} by a look-up: an earlier run created "
                    "it but did not get the answer"
                )
                self.journal.record(
                    row.line, row.digest, CREATED, client_id=found[0].id, error=note
                )
                self.summary.found_by_lookup += 1
        self.journal.commit()

    def _prepare_again(self, lines: dict[int, str]) -> tuple[list[SourceRow], list[Client]]:
        """The rows of ``lines`` (line → digest) read again from the file, unchanged and
        valid (an invalid row cannot have been sent), with their clients."""
        assert self.conn is not None
        rows: list[SourceRow] = []
        batch: list[Client] = []
        last = max(lines)
        with self.source.reopen() as again:
            for row in again.rows(only=lines):
                if row.client is not None and lines[row.line] == row.digest:
                    try:
                        self.conn.validate(row.client)
                    except ClientBridgeError:
                        pass
                    else:
                        batch.append(row.client)
                        rows.append(row)
                if row.line >= last:
                    break
        return rows, batch

    def _stop(self) -> None:
        """Send nothing new: the reader stops, workers let their requests finish."""
        self.stop.set()
        self._drained.set()  # the reader may be waiting for the report to catch up

    # ------------------------------------------------------------------ tasks

    async def _feed(self, send: ObjectSendStream[list[_Pending]], bulk_size: int) -> None:
        import anyio

        async with send:
            chunk: list[_Pending] = []
            accepts = self.target.accepts
            for seq, row in enumerate(self.source.rows()):
                if self.stop.is_set():
                    self.outcomes.skip(seq)
                    break
                if accepts is not None and row.client is not None and not accepts(row.client):
                    self.outcomes.skip(seq)  # routed elsewhere: not this target's row
                    self.summary.not_routed += 1
                    continue
                pending = self._decide(seq, row)
                if pending is not None:
                    chunk.append(pending)
                    if len(chunk) >= bulk_size:
                        await send.send(chunk)
                        chunk = []
                if seq % YIELD_EVERY == 0:
                    if self.journal:
                        self.journal.maybe_commit()
                    await anyio.lowlevel.checkpoint()
                if self.outcomes.held >= MAX_REORDER:
                    # The report waits for an earlier row: it may be in this very chunk.
                    if chunk:
                        await send.send(chunk)
                        chunk = []
                    while self.outcomes.held >= MAX_REORDER and not self.stop.is_set():
                        self._drained = anyio.Event()
                        await self._drained.wait()
            if chunk and not self.stop.is_set():
                await send.send(chunk)
            elif chunk:
                for pending in chunk:
                    self.outcomes.skip(pending.seq)

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
                        self.outcomes.skip(pending.seq)
                    # This may have been the warming chunk: the workers that wait for it
                    # must not wait for a look-up that is never made.
                    self.warm.set()
                    continue
                await self._send(chunk)
                self.warm.set()

    async def _send(self, chunk: list[_Pending]) -> None:
        assert self.conn is not None
        key = id(chunk)
        self._in_flight[key] = chunk
        if self.journal:
            await self._journal_sending(self.journal, chunk)  # before the request leaves
            if self.stop.is_set():
                # Stopped while the commit was made: send nothing new. These rows never
                # left; a row sent again by --retry-unknown keeps its mark (still unknown).
                del self._in_flight[key]
                self.journal.forget(p.row.line for p in chunk if not p.retry_unknown)
                for pending in chunk:
                    self.outcomes.skip(pending.seq)
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

        journal.mark_sending((pending.row.line, pending.row.digest) for pending in chunk)
        if self._group_commit is not None:
            await self._group_commit.wait()  # the first worker commits this mark too
            return
        committed = self._group_commit = anyio.Event()
        try:
            await anyio.lowlevel.checkpoint()  # let the other ready workers add their marks
        finally:
            # Even when cancelled: the rows are in flight (reported unknown when abandoned).
            self._group_commit = None
            journal.commit()
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
                self.outcomes.skip(pending.seq)

    async def _watch_signals(self) -> None:
        import anyio

        try:
            receiver = anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM)
            with receiver as signals:
                async for _ in signals:
                    self.interrupt()
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, Windows
            await anyio.sleep_forever()

    def interrupt(self) -> None:
        """Ctrl-C or SIGTERM: the first stops sending and abandons the requests in flight
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
            self.summary.unique_email = conn.capabilities.unique_email
            await self._look_up_earlier_unknowns()
            if not conn.capabilities.lookups:
                self.warm.set()
            bulk_size = max(1, conn.capabilities.bulk_size)
            async with anyio.create_task_group() as outer:
                if watch_signals:  # else the caller watches them (several runs at once)
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
            for chunk in list(self._in_flight.values()):  # abandoned by a stop
                self.summary.abandoned += len(chunk)
                for pending in chunk:
                    message = "the import was stopped and abandoned the request in flight; "
                    self._settle(
                        pending.seq, pending.row, UNKNOWN, error=message + self._unknown_advice
                    )
            self._in_flight.clear()


async def _run_async(
    source: Source,
    target: Target,
    options: ImportOptions,
    journal: Journal | None,
    outcomes: _Outcomes,
) -> None:
    # The run's events and cancel scope need the event loop: made inside it.
    await _ImportRun(source, target, options, journal, outcomes).run()


@contextmanager
def _recording(
    source: Source,
    target: Target,
    options: ImportOptions,
    *,
    report: Path | None,
    journal: Path | None = None,
    dry_run: bool = False,
) -> Iterator[tuple[_Outcomes, Journal | None]]:
    """What a run records: its summary (timed), the journal, the report and progress.

    Closed in the reverse order (outcomes, report, journal); the summary's elapsed time
    is set after.
    """
    summary = ImportSummary(
        source=source.path,
        target=target.label,
        provider=target.provider,
        dry_run=dry_run,
        ephemeral=target.ephemeral and not dry_run,
        journal=journal,
        report=report,
        read_as=source.description,
    )
    started = time.monotonic()
    with ExitStack() as stack:
        opened = None
        if journal is not None:
            opened = Journal.open(
                journal, target=target.fingerprint, layout=source.layout, source=str(source.path)
            )
            stack.callback(opened.close)
        outcomes = _Outcomes(
            summary,
            _open_report(stack, report),
            _progress(options, source, dry_run=dry_run),
            source,
        )
        stack.callback(outcomes.close)
        yield outcomes, opened
    summary.elapsed = time.monotonic() - started


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

    with _recording(source, target, options, report=report, journal=journal) as (outcomes, opened):
        anyio.run(_run_async, source, target, options, opened, outcomes)
    return outcomes.summary


def run_dry(
    source: Source, target: Target, options: ImportOptions, *, report: Path | None
) -> ImportSummary:
    """Validate every row and build its requests (secrets redacted). No I/O."""
    with (
        target.connect() as conn,
        _recording(source, target, options, report=report, dry_run=True) as (outcomes, _),
    ):
        try:
            for seq, row in enumerate(source.rows()):
                outcomes.add(seq, _dry_outcome(conn, row, options, outcomes.summary))
        except KeyboardInterrupt:
            outcomes.summary.interrupted = True
    return outcomes.summary


def _open_report(stack: ExitStack, path: Path | None) -> ReportWriter | None:
    if path is None:
        return None
    return stack.enter_context(ReportWriter(path))


def _progress(options: ImportOptions, source: Source, *, dry_run: bool = False) -> Progress:
    return make_progress(
        options.progress,
        source.path.name,
        source.size,
        interval=options.progress_interval,
        dry_run=dry_run,
    )


def _dry_outcome(
    conn: Connection, row: SourceRow, options: ImportOptions, summary: ImportSummary
) -> RowOutcome:
    if row.client is None:
        return RowOutcome(row.line, FAILED, error=row.error)
    try:
        requests = conn.preview(row.client)
    except (ValidationError, UnsupportedFeatureError) as error:
        return RowOutcome(row.line, FAILED, error=str(error), warnings=row.notes)
    if options.on_preview is not None:
        options.on_preview(row, requests)
    summary.add_dropped(requests.dropped_fields, conn.dropped_reason)
    return RowOutcome(row.line, VALID, warnings=row.notes)
