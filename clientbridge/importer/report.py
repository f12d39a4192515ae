"""Row outcomes and the CSV report: one line per input row, written as rows finish."""

from __future__ import annotations

import csv
from pathlib import Path
from types import TracebackType

import attrs

from clientbridge.importer.errors import ImportSetupError
from clientbridge.importer.states import RowState

__all__ = ["REPORT_FIELDS", "ReportWriter", "RowOutcome"]

REPORT_FIELDS = ("row", "outcome", "id", "error", "warnings")


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
        where = (outcome.connection or "",) if self.connections else ()
        self._writer.writerow(
            (
                outcome.line,
                *where,
                outcome.outcome,
                outcome.client_id or "",
                _one_line(outcome.error),
                " | ".join(_one_line(warning) for warning in outcome.warnings),
            )
        )

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ReportWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
