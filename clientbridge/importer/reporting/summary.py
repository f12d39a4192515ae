"""What an import did: counts, problems, the exit code and a readable closing summary."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from clientbridge.errors import ClientBridgeError
from clientbridge.exit_codes import ExitCode
from clientbridge.importer.errors import LIBRARY_ADVICE, Advice
from clientbridge.importer.reading.frame import ReadNotes
from clientbridge.importer.reading.source import Source
from clientbridge.importer.reporting.report import Progress, ReportWriter, RowOutcome
from clientbridge.importer.rows import OUTCOMES, RowState
from clientbridge.importer.rows.check import OutputError, ReportWriteError
from clientbridge.settle import Settling, settling

if TYPE_CHECKING:
    from clientbridge.importer.reading.source import Source
    from clientbridge.importer.reporting.report import Progress, ReportWriter, RowOutcome

__all__ = [
    "MAX_PROBLEMS",
    "DroppedField",
    "ImportSummary",
    "Outcomes",
    "format_summary",
    "next_steps",
]


#: Failed and unknown rows listed in the summary (the report has them all).
MAX_PROBLEMS = 10


@attrs.define
class DroppedField:
    """A field of the file that the provider was not sent, and for how many rows."""

    field: str
    #: rows created (or, in a dry run, valid) without it
    rows: int
    #: why, naming the provider ("... has no phone on create")
    reason: str


@attrs.define
class ImportSummary:
    """What an import did, for the closing summary and the exit code."""

    source: Path
    target: str
    provider: str
    dry_run: bool = False
    #: the target forgets what was created when the command ends (the in-process sandbox)
    ephemeral: bool = False
    counts: dict[str, int] = attrs.field(factory=lambda: dict.fromkeys(OUTCOMES, 0))
    elapsed: float = 0.0
    #: Ctrl-C (or SIGTERM) came
    interrupted: bool = False
    #: every row was read, and every row to send was sent and answered (Ctrl-C may have
    #: come after the last one: it stopped nothing)
    finished: bool = False
    #: rows whose request was still in flight when the stop gave up waiting (unknown)
    abandoned: int = 0
    #: stopped because the provider refused the target (bad credential, unknown workspace)
    stopped_by: ClientBridgeError | None = None
    #: the first failed and unknown rows
    problems: list[RowOutcome] = attrs.field(factory=list)
    #: rows whose content changed since an earlier run created (or may have created) them
    changed_rows: int = 0
    #: rows an earlier run created (or may have) that the file no longer holds: deleted,
    #: or edited (a row without an external id is known by its content)
    missing_rows: int = 0
    #: failed rows that may succeed if sent again (rate limits, unavailability)
    retryable_failed: int = 0
    #: rows an earlier run left unknown, looked up in the provider before sending
    looked_up: int = 0
    #: ... of which the provider holds the client (reported skipped, with its id)
    found_by_lookup: int = 0
    #: ... not found once their requests had had time to arrive (the settle window): they
    #: were not created, and were sent
    sent_after_lookup: int = 0
    #: rows an earlier run left unknown, sent again because the provider refuses a
    #: second client with the same email (an "already exists" answer counts as created)
    resent_unknown: int = 0
    #: the provider refuses a second client with the same email (unknown rows with an
    #: email are sent again by the next run)
    unique_email: bool = False
    #: the provider can be asked whether a client exists (unknown rows are looked up)
    find_existing: bool = False
    #: rows the routes send to other connections (not this one's: neither sent nor reported)
    not_routed: int = 0
    journal: Path | None = None
    report: Path | None = None
    #: how the file was read: its layout and encoding ("Outlook contacts CSV (detected
    #: from the header), Windows-1252")
    read_as: str | None = None
    #: where the file's table was found and what of it was not imported (its columns with
    #: their counts, footer lines); complete once the file has been read
    read_notes: ReadNotes | None = None
    #: the file's fields the provider was not sent, by field, in the order first met
    dropped: dict[str, DroppedField] = attrs.field(factory=dict)
    #: the target the journal recorded before this import's: nothing was created there
    #: (every row failed, say for a wrong URL), so the journal was bound to this one
    rebound_from: str | None = None

    def stop_for(self, error: OutputError) -> None:
        """An output (journal, report) can no longer be written: the import stops, and
        that is what the summary says (before a refused target)."""
        if not isinstance(self.stopped_by, OutputError):
            self.stopped_by = error

    def add_dropped(self, fields: Iterable[str], reason: Callable[[str], str]) -> None:
        """Count a row sent without ``fields``; ``reason(field)`` says why (asked once)."""
        for field in fields:
            known = self.dropped.get(field)
            if known is None:
                self.dropped[field] = DroppedField(field, 1, reason(field))
            else:
                known.rows += 1

    def add_problem(self, outcome: RowOutcome) -> None:
        """Keep the failed or unknown row if it is among the first ``MAX_PROBLEMS`` by line."""
        problems = self.problems
        if len(problems) < MAX_PROBLEMS:
            problems.append(outcome)
        else:
            last = max(range(len(problems)), key=lambda index: problems[index].line)
            if outcome.line < problems[last].line:
                problems[last] = outcome

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    @property
    def stopped_early(self) -> bool:
        """Interrupted before every row was sent and answered."""
        return self.interrupted and not self.finished

    @property
    def exit_code(self) -> int:
        """0 all rows fine, 1 some failed or unknown, 2 target refused, 130 interrupted
        before the end."""
        if self.stopped_by is not None:
            return ExitCode.USAGE
        if self.stopped_early:
            return ExitCode.INTERRUPTED
        return (
            ExitCode.FAILED
            if self.counts[RowState.FAILED] or self.counts[RowState.UNKNOWN]
            else ExitCode.OK
        )


def _rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"


def _iter_problems(summary: ImportSummary, advice: Advice) -> Iterator[str]:
    for problem in sorted(summary.problems, key=lambda problem: problem.line):
        outcome = "invalid" if summary.dry_run else problem.outcome
        yield f"  row {problem.line:<6} {outcome:<8} {problem.error}"
    listed = len(summary.problems)
    total = summary.counts[RowState.FAILED] + summary.counts[RowState.UNKNOWN]
    if total > listed:
        where = f"in {summary.report}" if summary.report else advice.full_report
        yield f"  ... and {total - listed:,} more ({where})"


def dropped_lines(summary: ImportSummary) -> Iterator[str]:
    """One line per field the provider was not sent: how many rows, and why."""
    verb = "would not be sent" if summary.dry_run else "not sent"
    for dropped in summary.dropped.values():
        yield f"  {dropped.field}: {verb} for {_rows(dropped.rows)} — {dropped.reason}"


def format_summary(summary: ImportSummary, advice: Advice = LIBRARY_ADVICE) -> str:
    """A readable closing summary with what to do next (``advice`` words the remedies)."""
    counts = summary.counts
    rate = summary.rows / summary.elapsed if summary.elapsed > 0 else 0.0
    what = (
        f"Dry run, nothing sent: checked {summary.source.name} for {summary.target}"
        if summary.dry_run
        else f"Imported {summary.source.name} into {summary.target}"
    )
    lines = [f"{what}: {_rows(summary.rows)} in {summary.elapsed:.1f} s ({rate:,.0f} rows/s)"]
    if summary.read_as:
        lines.append(f"  read as {summary.read_as}")
    if summary.read_notes is not None:
        lines.extend(f"  {line}" for line in summary.read_notes.summary_lines())
    shown = (
        [(RowState.VALID, "valid (would be sent)"), (RowState.FAILED, "invalid")]
        if summary.dry_run
        else [
            (RowState.CREATED, "created"),
            (RowState.SKIPPED, "skipped (created by an earlier run)"),
            (RowState.FAILED, "failed"),
            (RowState.UNKNOWN, "unknown (may have been created)"),
        ]
    )
    if counts.get(RowState.RESENT):
        shown.append((RowState.RESENT, "re-sent without a check (may now exist twice)"))
    width = max(len(f"{counts[key]:,}") for key, _ in shown)
    lines.extend(f"  {counts[key]:>{width},} {label}" for key, label in shown)
    if summary.not_routed:
        lines.append(f"  ({_rows(summary.not_routed)} routed to other connections, not sent here)")
    if summary.dropped:
        lines.append("Not sent:")
        lines.extend(dropped_lines(summary))
    if summary.problems:
        lines.append("Problems:")
        lines.extend(_iter_problems(summary, advice))
    lines.extend(next_steps(summary, advice))
    if summary.report:
        lines.append(f"Report: {summary.report}")
    if summary.journal:
        lines.append(f"Journal: {summary.journal}")
    return "\n".join(lines)


def next_steps(summary: ImportSummary, advice: Advice = LIBRARY_ADVICE) -> Iterator[str]:
    """What to do next, one sentence each (the summary's closing lines); ``advice``
    words the remedies."""
    counts = summary.counts
    unknown = counts[RowState.UNKNOWN]
    if summary.rebound_from is not None:
        yield (
            f"The journal recorded another target ({summary.rebound_from}) where no client "
            "was created: it now records this one."
        )
    if isinstance(summary.stopped_by, OutputError):
        yield f"Stopped: {summary.stopped_by}."
    elif summary.stopped_by is not None:
        reason = str(summary.stopped_by).rstrip(".")
        yield (
            f"Stopped: {reason}. Fix the settings (or wait until the provider can be reached) "
            "and run the same command again; the refused rows were not created and will be sent."
        )
    elif summary.stopped_early:
        if summary.journal is not None:
            yield "Interrupted. Run the same command again to resume where it stopped."
        elif summary.ephemeral:
            yield "Interrupted."
        else:
            yield (
                "Interrupted. No journal was kept: running the same command again sends "
                "every row again, and creates the clients created so far a second time."
            )
    elif summary.interrupted:
        yield "Ctrl-C came after the last row had been sent and answered: nothing was stopped."
    if summary.abandoned:
        yield (
            f"Abandoned {_rows(summary.abandoned)} whose request was still in flight when "
            "the import stopped: they are unknown (the provider may have received them)."
        )
    if summary.dry_run:
        return
    if summary.changed_rows:
        yield (
            f"{_rows(summary.changed_rows)} changed since an earlier run created them (or may "
            "have) and were not sent: each has the external id of a row sent before, with "
            "other values."
        )
    if summary.missing_rows:
        yield (
            f"{_rows(summary.missing_rows)} an earlier run created (or may have) are no "
            "longer in the file: deleted, or edited. A row without an external id is known "
            "by its content, so an edited one was imported as a new client; give rows an "
            "external id to edit them between runs."
        )
    if summary.looked_up:
        yield (
            f"Looked up {_rows(summary.looked_up)} an earlier run left unknown in "
            f"{summary.provider}: {summary.found_by_lookup:,} found (skipped, with their id), "
            f"{summary.looked_up - summary.found_by_lookup - summary.sent_after_lookup:,} "
            "still unknown."
        )
    if summary.sent_after_lookup:
        yield (
            f"{_rows(summary.sent_after_lookup)} not found at the provider after the settle "
            "window: sent (an earlier run's request could no longer arrive, so it had not "
            "created them)."
        )
    if counts.get(RowState.RESENT):
        yield (
            f"{_rows(counts[RowState.RESENT])} an earlier run left unknown re-sent without a "
            f"check: {summary.provider} may now hold them twice (the report lists them)."
        )
    if summary.resent_unknown:
        yield (
            f"Sent {_rows(summary.resent_unknown)} an earlier run left unknown again: "
            f"{summary.provider} refuses a second client with the same email, so each was "
            'created now or answered "already exists" (counted created).'
        )
    way = settling(summary)
    if unknown and way is Settling.LOOK_UP and summary.journal is not None:
        yield (
            f"{_rows(unknown)} may have been created although their request failed. "
            f"Run the same command again: it looks them up in {summary.provider} and sends "
            "those not found once their requests have had time to arrive; check the rest "
            f"there ({advice.retry_unknown_rows})."
        )
    elif unknown and way is Settling.RESEND:
        yield (
            f"{_rows(unknown)} may have been created although their request failed. "
            f"Run the same command again: {summary.provider} refuses a second client with "
            "the same email, so each is created then or answered as existing."
        )
    elif unknown:
        yield (
            f"{_rows(unknown)} may have been created although their request failed: "
            f"check them in {summary.provider}. Running again never sends them on its own; "
            f"{advice.retry_unknown_rows}."
        )
    if counts[RowState.FAILED] and summary.journal and summary.stopped_by is None:
        retry = (
            f" ({summary.retryable_failed:,} failed for a reason that may pass, such as a "
            "rate limit)"
            if summary.retryable_failed
            else ""
        )
        yield (
            "Fix the failed rows and run the same command again (a changed row is sent); "
            f"{advice.retry_failed_rows}{retry}."
        )
    if summary.journal is None and counts[RowState.CREATED] and not summary.ephemeral:
        yield "No journal was kept: running the same command again creates these clients again."


#: The outcomes the summary lists (read once: an enum member look-up is slow per row)
_PROBLEMS = frozenset({RowState.FAILED, RowState.UNKNOWN})


class Outcomes:
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
        #: why the report stopped being written (the run stops sending)
        self.failure: ReportWriteError | None = None

    def add(self, seq: int, outcome: RowOutcome) -> None:
        summary = self.summary
        summary.counts[outcome.outcome] += 1
        if outcome.outcome in _PROBLEMS:
            summary.add_problem(outcome)
        if self.report is not None:
            if self.connection is not None:
                outcome = attrs.evolve(outcome, connection=self.connection)
            self._held[seq] = outcome
            self._flush_report()
        self.progress.update(summary.counts, summary.rows, self.source.bytes_read())

    def skip(self, seq: int) -> None:
        """``seq`` was read but will never finish (not sent because of a stop)."""
        if self.report is not None:
            self._skipped.add(seq)
            self._flush_report()

    def _flush_report(self) -> None:
        try:
            self._flush()
        except ReportWriteError as error:
            self.report = None  # no more lines: the run stops, the journal keeps outcomes
            self.failure = error

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
        try:
            if self.report is not None:
                for seq in sorted(self._held):
                    self.report.write(self._held.pop(seq))
        except ReportWriteError as error:
            self.report = None
            self.failure = error
            self.summary.stop_for(error)
        self.progress.close(self.summary.counts, self.summary.rows, self.source.bytes_read())
