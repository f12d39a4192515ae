"""Row outcomes and the CSV report: one line per input row, written as rows finish."""

from __future__ import annotations

import csv
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TextIO, cast

import attrs

from clientbridge.importer.errors import ImportSetupError
from clientbridge.importer.rows import RowState
from clientbridge.importer.rows.check import ReportWriteError

__all__ = [
    "FORMULA_STARTS",
    "REPORT_FIELDS",
    "ProgressMode",
    "ReportWriter",
    "RowOutcome",
    "make_progress",
    "spreadsheet_safe",
]


REPORT_FIELDS = ("row", "outcome", "id", "error", "warnings")

#: What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@attrs.frozen
class RowOutcome:
    """What happened to one input row."""

    line: int
    outcome: RowState
    client_id: str | None = None
    error: str | None = None
    warnings: tuple[str, ...] = ()
    #: the connection, in an import into several connections at once
    connection: str | None = None


def _one_line(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def spreadsheet_safe(text: str) -> str:
    """``text`` as a report cell no spreadsheet runs as a formula: one that starts with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a single quote in front
    (OWASP's escaping). Every text cell goes through it, whoever wrote the value (a row's
    email, a provider's id or error), so a phone ``+44 7911 123456`` or a negative
    number is quoted too: a spreadsheet then shows it as text, as typed."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class ReportWriter:
    """Writes the report CSV incrementally (``row,outcome,id,error,warnings``; with
    ``connections``, ``row,connection,outcome,...``: one line per row and connection)."""

    def __init__(self, path: str | Path, *, connections: bool = False) -> None:
        self.path = Path(path)
        self.connections = connections
        try:
            self._file = self.path.open("w", encoding="utf-8", newline="")
        except OSError as error:
            raise ImportSetupError(
                f"cannot write the report {self.path}: {error.strerror or error}"
            ) from None
        self._writer = csv.writer(self._file)
        fields: tuple[str, ...] = REPORT_FIELDS
        if connections:
            fields = (fields[0], "connection", *fields[1:])
        self._writer.writerow(fields)

    def write(self, outcome: RowOutcome) -> None:
        """Write one row's line. Raises `ReportWriteError` when the file cannot take it."""
        where = (outcome.connection or "",) if self.connections else ()
        try:
            self._write(outcome, where)
        except OSError as error:
            raise self._write_error(error) from None

    def _write(self, outcome: RowOutcome, where: tuple[str, ...]) -> None:
        cells = (
            *where,
            outcome.outcome,
            outcome.client_id or "",
            _one_line(outcome.error),
            " | ".join(_one_line(warning) for warning in outcome.warnings),
        )
        self._writer.writerow((outcome.line, *map(spreadsheet_safe, cells)))

    def _write_error(self, error: OSError) -> ReportWriteError:
        return ReportWriteError(
            f"cannot write the report {self.path}: {error.strerror or error}. Nothing more "
            "was sent, and the journal (if one is kept) holds the outcome of every row sent. "
            "Make room (or choose another place for the report) and run the same command "
            "again: rows already created are skipped, and the new report lists them all"
        )

    def close(self) -> None:
        """Close the file. Raises `ReportWriteError` when what was left cannot be written."""
        try:
            self._file.close()
        except OSError as error:
            raise self._write_error(error) from None

    def __enter__(self) -> ReportWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


ProgressMode = Literal["auto", "bar", "plain", "none"]

_IMPORT_COUNTS = (
    (RowState.CREATED, "created"),
    (RowState.FAILED, "failed"),
    (RowState.UNKNOWN, "unknown"),
    (RowState.SKIPPED, "skipped"),
)

_DRY_RUN_COUNTS = ((RowState.VALID, "valid"), (RowState.FAILED, "invalid"))


def _counts_text(
    counts: Mapping[str, int], shown: Sequence[tuple[str, str]], *, compact: bool = False
) -> str:
    """``"12 created, 1 failed, 0 unknown, 3 skipped"``; ``compact`` leaves out the counts
    after the first two while they are zero (a terminal line is short)."""
    return ", ".join(
        f"{counts.get(key, 0):,} {label}"
        for position, (key, label) in enumerate(shown)
        if not compact or position < 2 or counts.get(key)
    )


class QuietOnError:
    """Standard error for progress: writes that fail (a closed pipe, a terminal gone) are
    dropped, and every write after them. Read `sys.stderr` at each write (a test, or the
    command line, may swap it)."""

    def __init__(self) -> None:
        #: a write failed: nothing more is written
        self.lost = False

    def write(self, text: str) -> int:
        if not self.lost:
            try:
                sys.stderr.write(text)
                sys.stderr.flush()
            except (OSError, ValueError):  # ValueError: the stream was closed
                self.lost = True
        return len(text)

    def flush(self) -> None:
        if not self.lost:
            try:
                sys.stderr.flush()
            except (OSError, ValueError):
                self.lost = True

    def isatty(self) -> bool:
        try:
            return not self.lost and sys.stderr.isatty()
        except (OSError, ValueError):
            return False

    def fileno(self) -> int:
        return sys.stderr.fileno()

    @property
    def encoding(self) -> str:
        return getattr(sys.stderr, "encoding", None) or "utf-8"


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Progress:
    """Silent progress; the base of the visible ones."""

    def __init__(self, description: str, total_bytes: int, *, dry_run: bool = False) -> None:
        self.description = description
        self.total_bytes = total_bytes
        self.shown = _DRY_RUN_COUNTS if dry_run else _IMPORT_COUNTS
        self.started = time.monotonic()
        self.stream = QuietOnError()

    def rate(self, rows: int) -> float:
        elapsed = time.monotonic() - self.started
        return rows / elapsed if elapsed > 0 else 0.0

    def remaining(self, bytes_read: int) -> float | None:
        """Seconds left, estimated from the share of the file read so far."""
        if not self.total_bytes or bytes_read <= 0:
            return None
        elapsed = time.monotonic() - self.started
        fraction = min(1.0, bytes_read / self.total_bytes)
        return elapsed * (1 - fraction) / fraction

    def update(self, counts: Mapping[str, int], rows: int, bytes_read: int) -> None:
        """Called after every row; implementations throttle their own output."""

    def message(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def close(self, counts: Mapping[str, int], rows: int, bytes_read: int) -> None:
        """The last update."""


class PlainProgress(Progress):
    """One line every ``interval`` seconds, for logs and pipes."""

    def __init__(
        self, description: str, total_bytes: int, *, interval: float = 5.0, dry_run: bool = False
    ) -> None:
        super().__init__(description, total_bytes, dry_run=dry_run)
        self.interval = interval
        self._next = self.started + interval

    def _line(self, counts: Mapping[str, int], rows: int, bytes_read: int) -> str:
        share = f" ({bytes_read * 100 // self.total_bytes}%)" if self.total_bytes else ""
        left = self.remaining(bytes_read)
        eta = f", about {_duration(left)} left" if left is not None and left >= 1 else ""
        return (
            f"{self.description}: {rows:,} rows{share}: {_counts_text(counts, self.shown)}; "
            f"{self.rate(rows):,.0f} rows/s{eta}"
        )

    def update(self, counts: Mapping[str, int], rows: int, bytes_read: int) -> None:
        now = time.monotonic()
        if now >= self._next:
            self._next = now + self.interval
            self.message(self._line(counts, rows, bytes_read))


class RichProgress(Progress):
    """A live bar with rows/s, ETA and the outcome counts."""

    def __init__(self, description: str, total_bytes: int, *, dry_run: bool = False) -> None:
        super().__init__(description, total_bytes, dry_run=dry_run)
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bar

        self._bar = Bar(
            TextColumn("[bold]{task.description}"),
            BarColumn(bar_width=20),
            TaskProgressColumn(),
            TextColumn("{task.fields[rows]} rows {task.fields[rate]}/s"),
            TimeRemainingColumn(compact=True),
            TextColumn("{task.fields[counts]}"),
            console=Console(file=cast(TextIO, self.stream)),
        )
        short = description if len(description) <= 24 else description[:23] + "…"
        self._task = self._bar.add_task(
            short, total=total_bytes or None, rows="0", rate="0", counts=""
        )
        self._next = 0.0
        self._bar.start()

    def _show(self, counts: Mapping[str, int], rows: int, bytes_read: int) -> None:
        fields: dict[str, Any] = {
            "rows": f"{rows:,}",
            "rate": f"{self.rate(rows):,.0f}",
            "counts": _counts_text(counts, self.shown, compact=True),
        }
        self._bar.update(self._task, completed=bytes_read, **fields)

    def update(self, counts: Mapping[str, int], rows: int, bytes_read: int) -> None:
        now = time.monotonic()
        if now >= self._next:  # rich redraws on its own clock; feed it ten times a second
            self._next = now + 0.1
            self._show(counts, rows, bytes_read)

    def message(self, text: str) -> None:
        self._bar.console.print(text, markup=False, highlight=False)

    def close(self, counts: Mapping[str, int], rows: int, bytes_read: int) -> None:
        self._show(counts, rows, bytes_read)
        self._bar.stop()


def make_progress(
    mode: ProgressMode,
    description: str,
    total_bytes: int,
    *,
    interval: float = 5.0,
    dry_run: bool = False,
) -> Progress:
    """The display for ``mode``; ``"auto"`` is a bar when stderr is a terminal."""
    if mode == "auto":
        mode = "bar" if sys.stderr.isatty() else "plain"
    if mode == "bar":
        return RichProgress(description, total_bytes, dry_run=dry_run)
    if mode == "plain":
        return PlainProgress(description, total_bytes, interval=interval, dry_run=dry_run)
    return Progress(description, total_bytes, dry_run=dry_run)
