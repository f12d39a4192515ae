"""A dry run: every row validated and its requests built (secrets redacted); nothing is
sent and no journal is kept."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from clientbridge.errors import UnsupportedFeatureError, ValidationError
from clientbridge.importer.reading.source import Source, SourceRow
from clientbridge.importer.reporting.report import RowOutcome
from clientbridge.importer.reporting.summary import ImportSummary
from clientbridge.importer.rows import RowState
from clientbridge.importer.running.options import ImportOptions, Target, recording

if TYPE_CHECKING:
    from clientbridge.connection import Connection

__all__ = ["run_dry"]


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
