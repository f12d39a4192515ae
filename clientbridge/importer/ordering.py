"""The reorder buffer: rows finish out of order, the report gets them in input order.

`Outcomes` also counts every outcome into the summary and moves the progress display on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from clientbridge.importer.states import RowState

if TYPE_CHECKING:
    from clientbridge.importer.progress import Progress
    from clientbridge.importer.report import ReportWriter, RowOutcome
    from clientbridge.importer.source import Source
    from clientbridge.importer.summary import ImportSummary

__all__ = ["Outcomes"]

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

    def add(self, seq: int, outcome: RowOutcome) -> None:
        summary = self.summary
        summary.counts[outcome.outcome] += 1
        if outcome.outcome in _PROBLEMS:
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
