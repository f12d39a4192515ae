"""The other ways to run an import: into several connections at once, and a dry run.

Into several connections, each connection gets the whole single-target import (its own
reading of the file, its workers, look-ups, bulk requests, resume and retry decisions), in
one event loop. They share one journal file, with one state per row and connection, so a
crash or an outage in one connection never re-sends a row to another; and one report,
with a ``connection`` column (one line per row and connection). A row that fails in one
connection is still created in the others; a connection that refuses the import as a
whole (bad credential, unreachable) stops alone.

A dry run validates every row and builds its requests, and sends nothing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from clientbridge.errors import UnsupportedFeatureError, ValidationError
from clientbridge.exit_codes import ExitCode
from clientbridge.importer.errors import ImportSetupError
from clientbridge.importer.reading.source import Source, SourceRow
from clientbridge.importer.reporting.report import RowOutcome, make_progress
from clientbridge.importer.reporting.summary import ImportSummary, Outcomes
from clientbridge.importer.rows import RowState
from clientbridge.importer.rows.check import check_output_paths
from clientbridge.importer.rows.journal import Journal
from clientbridge.importer.running.options import (
    ImportOptions,
    Target,
    close_output,
    open_journal,
    open_report,
    recording,
    watch_signals,
)
from clientbridge.importer.running.run import _ImportRun

if TYPE_CHECKING:
    from clientbridge.connection import Connection

__all__ = ["fanout_exit_code", "run_dry", "run_fanout_import"]


if sys.version_info < (3, 11):  # pragma: no cover - anyio depends on the backport there
    from exceptiongroup import BaseExceptionGroup  # type: ignore[import-not-found, unused-ignore]


def run_fanout_import(
    source: Source,
    targets: Mapping[str, Target],
    options: ImportOptions,
    *,
    journal: Path | None,
    report: Path | None,
) -> dict[str, ImportSummary]:
    """Import every row of ``source`` into each of ``targets`` (connection name -> target)
    that accepts it. Never raises for a row; a summary per connection."""
    import anyio

    check_output_paths(source.path, journal=journal, report=report)
    summaries = {
        name: ImportSummary(
            source=source.path,
            target=target.label,
            provider=target.provider,
            ephemeral=target.ephemeral,
            journal=journal,
            report=report,
            read_as=source.description,
            read_notes=source.notes,
        )
        for name, target in targets.items()
    }
    # One bar per connection would fight over the terminal: a line each instead.
    mode = "plain" if options.progress == "bar" else options.progress
    started = time.monotonic()
    with ExitStack() as stack:
        opened = None
        if journal is not None:
            fingerprints = {name: target.fingerprint for name, target in targets.items()}
            opened = open_journal(journal, source, options, fingerprints)
            stack.callback(close_output, opened.close, list(summaries.values()))
            for name, summary in summaries.items():
                summary.rebound_from = opened.rebound.get(name)
        writer = open_report(stack, report, list(summaries.values()), connections=True)
        outcomes: dict[str, Outcomes] = {}
        for name in targets:
            reading = stack.enter_context(source.reopen())
            progress = make_progress(
                mode,
                f"{source.path.name} -> {name}",
                reading.size,
                interval=options.progress_interval,
            )
            outcomes[name] = Outcomes(summaries[name], writer, progress, reading, connection=name)
            stack.callback(outcomes[name].close)
        journals = {
            name: opened.for_connection(name) if opened is not None else None for name in targets
        }
        anyio.run(_run_all, targets, options, journals, outcomes)
    elapsed = time.monotonic() - started
    for summary in summaries.values():
        summary.elapsed = elapsed
    return summaries


async def _run_all(
    targets: Mapping[str, Target],
    options: ImportOptions,
    journals: Mapping[str, Journal | None],
    outcomes: Mapping[str, Outcomes],
) -> None:
    import anyio

    runs = [
        _ImportRun(outcomes[name].source, target, options, journals[name], outcomes[name])
        for name, target in targets.items()
    ]
    try:
        async with anyio.create_task_group() as outer:
            outer.start_soon(watch_signals, runs)
            async with anyio.create_task_group() as group:
                for run in runs:
                    group.start_soon(_run_one, run)
            outer.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        # A run that refuses to start (a re-send it was not told to make) refuses them all.
        refusal = _first_setup_error(group)
        if refusal is None:
            raise
        raise refusal from None


def _first_setup_error(group: BaseExceptionGroup[BaseException]) -> ImportSetupError | None:
    for error in group.exceptions:
        if isinstance(error, ImportSetupError):
            return error
        if isinstance(error, BaseExceptionGroup):
            found = _first_setup_error(error)
            if found is not None:
                return found
    return None


async def _run_one(run: _ImportRun) -> None:
    await run.run(watch_signals=False)


def fanout_exit_code(summaries: Mapping[str, ImportSummary]) -> int:
    """130 when interrupted, 1 when any connection has a failed or unknown row or stopped
    (e.g. it could not be reached), else 0."""
    if any(summary.stopped_early for summary in summaries.values()):
        return ExitCode.INTERRUPTED
    if any(summary.exit_code != ExitCode.OK for summary in summaries.values()):
        return ExitCode.FAILED
    return ExitCode.OK


def run_dry(
    source: Source, target: Target, options: ImportOptions, *, report: Path | None
) -> ImportSummary:
    """Validate every row and build its requests (secrets redacted). No I/O."""
    with (
        target.connect() as conn,
        recording(source, target, options, report=report, dry_run=True) as (outcomes, _),
    ):
        try:
            for seq, row in enumerate(source.rows()):
                outcomes.add(seq, _dry_outcome(conn, row, options, outcomes.summary))
                if outcomes.failure is not None:
                    outcomes.summary.stop_for(outcomes.failure)
                    break
        except KeyboardInterrupt:
            outcomes.summary.interrupted = True
    return outcomes.summary


def _dry_outcome(
    conn: Connection, row: SourceRow, options: ImportOptions, summary: ImportSummary
) -> RowOutcome:
    if row.client is None:
        return RowOutcome(row.line, RowState.FAILED, error=row.error)
    try:
        requests = conn.preview(row.client)
    except (ValidationError, UnsupportedFeatureError) as error:
        return RowOutcome(row.line, RowState.FAILED, error=str(error), warnings=row.notes)
    if options.on_preview is not None:
        options.on_preview(row, requests)
    summary.add_dropped(requests.dropped_fields, conn.dropped_reason)
    return RowOutcome(row.line, RowState.VALID, warnings=row.notes)
