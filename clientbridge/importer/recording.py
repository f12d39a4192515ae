"""What an import records, single or into several connections: its summary (timed), the
journal, the report and progress, opened together and closed in reverse order."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

from clientbridge.importer.identity import identified_rows
from clientbridge.importer.journal import SINGLE, Journal
from clientbridge.importer.options import ImportOptions, Target
from clientbridge.importer.ordering import Outcomes
from clientbridge.importer.outputs import OutputError, check_output_paths
from clientbridge.importer.progress import Progress, make_progress
from clientbridge.importer.report import ReportWriter
from clientbridge.importer.source import Source
from clientbridge.importer.summary import ImportSummary

__all__ = ["close_output", "open_journal", "open_report", "progress_for", "recording"]


@contextmanager
def recording(
    source: Source,
    target: Target,
    options: ImportOptions,
    *,
    report: Path | None,
    journal: Path | None = None,
    dry_run: bool = False,
) -> Iterator[tuple[Outcomes, Journal | None]]:
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
        read_notes=source.notes,
    )
    check_output_paths(source.path, journal=journal, report=report)
    started = time.monotonic()
    with ExitStack() as stack:
        opened = None
        if journal is not None:
            opened = open_journal(journal, source, options, {SINGLE: target.fingerprint})
            stack.callback(close_output, opened.close, [summary])
            summary.rebound_from = opened.rebound.get(SINGLE)
        outcomes = Outcomes(
            summary,
            open_report(stack, report, [summary]),
            progress_for(options, source, dry_run=dry_run),
            source,
        )
        stack.callback(outcomes.close)
        yield outcomes, opened
    summary.elapsed = time.monotonic() - started


def open_journal(
    path: Path, source: Source, options: ImportOptions, targets: Mapping[str, str]
) -> Journal:
    """The journal at ``path`` for an import of ``source`` into ``targets`` (connection
    name -> target fingerprint; `SINGLE` for a single-target import)."""
    return Journal.open(
        path,
        targets=targets,
        layout=source.layout,
        source=str(source.path),
        identified=identified_rows(source),
        advice=options.advice,
    )


def open_report(
    stack: ExitStack,
    path: Path | None,
    summaries: list[ImportSummary],
    *,
    connections: bool = False,
) -> ReportWriter | None:
    if path is None:
        return None
    writer = ReportWriter(path, connections=connections)
    stack.callback(close_output, writer.close, summaries)
    return writer


def close_output(close: Callable[[], None], summaries: list[ImportSummary]) -> None:
    """Close a journal or report; a failure to write what was left stops the summaries
    (it is said, and the exit code is 2) instead of raising past them."""
    try:
        close()
    except OutputError as error:
        for summary in summaries:
            summary.stop_for(error)


def progress_for(options: ImportOptions, source: Source, *, dry_run: bool = False) -> Progress:
    return make_progress(
        options.progress,
        source.path.name,
        source.size,
        interval=options.progress_interval,
        dry_run=dry_run,
    )
