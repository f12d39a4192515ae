"""What an import is told: where it goes (`Target`) and how to run it (`ImportOptions`).

`recording` opens what a run with them records (summary, journal, report, progress) and
closes it together.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import attrs

from clientbridge.importer.errors import LIBRARY_ADVICE, Advice
from clientbridge.importer.reading.frame import ReadNotes
from clientbridge.importer.reading.source import Source, SourceRow
from clientbridge.importer.reporting.report import Progress, ReportWriter, make_progress
from clientbridge.importer.reporting.summary import ImportSummary, Outcomes
from clientbridge.importer.rows.check import OutputError, check_output_paths
from clientbridge.importer.rows.journal import SINGLE, Journal
from clientbridge.importer.rows.schema import identified_rows

if TYPE_CHECKING:
    from clientbridge.adapters.base import Adapter
    from clientbridge.connection import AsyncConnection, Connection
    from clientbridge.importer.reading.source import SourceRow
    from clientbridge.importer.reporting.report import ProgressMode
    from clientbridge.model import Client
    from clientbridge.wire import HttpRequest

__all__ = [
    "STOP_GRACE",
    "STOP_SIGNALS",
    "ImportOptions",
    "Target",
    "close_output",
    "journal_fingerprint",
    "open_journal",
    "open_report",
    "progress_for",
    "recording",
]


@attrs.frozen(kw_only=True)
class Target:
    """Where an import goes: how to connect, and how to name it to people and journals."""

    provider: str
    #: for people: ``"PROVIDER (sandbox)"``, ``"connection 'uk' (PROVIDER)"``
    label: str
    #: for the journal: provider, connection and base URL (a changed target is noticed)
    fingerprint: str
    connect: Callable[..., Connection]
    connect_async: Callable[..., AsyncConnection]
    #: what is created does not outlive the command (the in-process sandbox): no resume
    ephemeral: bool = False
    #: the clients that go to this target (routes); None: every client
    accepts: Callable[[Client], bool] | None = None


#: The signals that stop an import cleanly: Ctrl-C, SIGTERM, and SIGHUP (the terminal
#: closed, an SSH session dropped) where there is one.
STOP_SIGNALS: tuple[signal.Signals, ...] = (
    signal.SIGINT,
    signal.SIGTERM,
    *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else []),
)

#: Seconds a stop (Ctrl-C, SIGTERM) waits for the requests in flight before abandoning them.
STOP_GRACE = 5.0


@attrs.frozen(kw_only=True)
class ImportOptions:
    """How to run an import."""

    #: requests in flight at most
    concurrency: int = 8
    #: send again the unchanged rows an earlier run failed
    retry_failed: bool = False
    #: send again the unchanged rows an earlier run left unknown (they may exist already)
    retry_unknown: bool = False
    #: with ``retry_unknown``: also send the unknown rows nothing can check first (the
    #: provider can neither be asked nor refuses a second client): each an earlier run
    #: did create is created twice. Without it such an import is refused, nothing sent.
    resend_unchecked: bool = False
    #: with ``retry_unknown``, and ``resend_unchecked`` False: asked, before anything is
    #: sent, with why those rows would be sent without a check and their lines; True
    #: sends them, False refuses the import (the command line asks on a terminal)
    confirm_unchecked: Callable[[str, Sequence[int]], bool] | None = None
    #: seconds after which a request an earlier run marked sent has surely reached the
    #: provider, or never will: its row, if a look-up then does not find it, was not
    #: created and is sent. None: the connection's timeout plus a margin
    settle_after: float | None = None
    progress: ProgressMode = "auto"
    #: seconds between two plain progress lines
    progress_interval: float = 5.0
    #: a dry run: called with each valid row and the requests it would send
    on_preview: Callable[[SourceRow, list[HttpRequest]], None] | None = None
    #: how messages word what to do next (the command line names its flags)
    advice: Advice = LIBRARY_ADVICE
    #: seconds a stop waits for the requests in flight before abandoning them (unknown)
    stop_grace: float = STOP_GRACE
    #: called once the file is open, before any row is sent, with what reading noticed
    #: about it (a title above the header skipped, a column ignored)
    on_read: Callable[[ReadNotes], None] | None = None


def journal_fingerprint(
    adapter: type[Adapter], values: Mapping[str, object], *, sandbox: bool = False
) -> str:
    """The account a journal belongs to: the provider and what names an account (base
    URL, workspace...), never the name of a connection (renaming one resumes its import)."""
    where = [
        f"{setting.name}={values[setting.name]}"
        for setting in adapter.settings_spec
        if (setting.url or setting.path_segment) and not setting.secret and setting.name in values
    ]
    if sandbox:  # an emulator may share a provider's real base URL
        where.append("sandbox")
    return " ".join([adapter.name, *where])


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


class Interruptible(Protocol):
    def interrupt(self) -> None: ...


async def watch_signals(runs: Sequence[Interruptible]) -> None:
    """Ctrl-C, SIGTERM or SIGHUP reaches every run (one handler for all the connections of
    an import)."""
    import anyio

    try:
        with anyio.open_signal_receiver(*STOP_SIGNALS) as signals:
            async for _ in signals:
                for run in runs:
                    run.interrupt()
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, Windows
        await anyio.sleep_forever()
