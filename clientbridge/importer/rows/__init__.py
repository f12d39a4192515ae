"""The states of an import row, shared by the journal, the decisions and the report.

A row is journaled ``sending`` before its request leaves, then gets an outcome
(``created``, ``failed``, ``unknown``). The report adds outcomes the journal never
holds: ``skipped`` (created by an earlier run), ``resent`` (an unknown row sent again
without a check, on request) and ``valid`` (a dry run would send it).
"""

from __future__ import annotations

from enum import Enum

__all__ = ["JOURNAL_STATES", "OUTCOMES", "RowState"]


class RowState(str, Enum):
    """What happened to a row (its value is what the journal and the report hold)."""

    #: the request may be in flight: committed before it leaves (journal only)
    SENDING = "sending"
    CREATED = "created"
    FAILED = "failed"
    #: the request may have reached the provider; the row is not sent again on its own
    UNKNOWN = "unknown"
    #: created by an earlier run (the journal says so); not sent again (report only)
    SKIPPED = "skipped"
    #: an unknown row sent again although nothing could tell whether an earlier run had
    #: created it (on explicit request): created now, maybe twice (report only; the
    #: journal holds it created)
    RESENT = "resent"
    #: a dry run only: the row would be sent (report only)
    VALID = "valid"

    # The value, not ``RowState.CREATED``, wherever a state is written or formatted.
    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return self.value.__format__(spec)


#: The states a journal row can be in.
JOURNAL_STATES = (RowState.SENDING, RowState.CREATED, RowState.FAILED, RowState.UNKNOWN)
#: The outcomes a report row can have (the summary counts each).
OUTCOMES = (
    RowState.CREATED,
    RowState.FAILED,
    RowState.UNKNOWN,
    RowState.SKIPPED,
    RowState.RESENT,
    RowState.VALID,
)
