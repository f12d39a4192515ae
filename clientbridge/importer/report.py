"""Row outcomes and the CSV report: one line per input row, written as rows finish."""

from __future__ import annotations

import csv
from pathlib import Path
from types import TracebackType

import attrs

from clientbridge.importer.errors import ImportSetupError
from clientbridge.importer.outputs import ReportWriteError
from clientbridge.importer.states import RowState

__all__ = ["FORMULA_STARTS", "REPORT_FIELDS", "ReportWriter", "RowOutcome", "spreadsheet_safe"]

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
