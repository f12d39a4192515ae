"""The importer's own errors: an import that cannot start, a row that cannot be read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from clientbridge.errors import ConfigurationError

__all__ = ["LIBRARY_ADVICE", "Advice", "ImportSetupError", "RowError"]


class ImportSetupError(ConfigurationError):
    """The import cannot start: unknown columns, an unreadable file, a journal that
    belongs to another file or target. Nothing was sent.

    A refused header lists its columns at fault in ``columns``, as data: each a dict with
    ``position`` (1 is the first column), ``header``, ``problem`` (``"unknown"`` or
    ``"duplicate"``) and ``suggestion`` or ``field``.
    """

    def __init__(self, message: str, *, columns: Sequence[Mapping[str, object]] = ()) -> None:
        super().__init__(message)
        self.columns: tuple[Mapping[str, object], ...] = tuple(columns)


class RowError(Exception):
    """One row cannot become a `Client`; the message says which value and why."""


@attrs.frozen(kw_only=True)
class Advice:
    """The remedies of the importer's messages, one phrase each."""

    #: an unknown row is never sent again on its own: how to send it
    retry_unknown_row: str = "an explicit retry of unknown rows sends it again"
    #: ... the same, for several rows (the closing summary)
    retry_unknown_rows: str = "an explicit retry of unknown rows sends them again"
    #: a row that failed in an earlier run is not sent again on its own: how to send it
    retry_failed_row: str = "an explicit retry of failed rows sends it again"
    #: ... the same, for the unchanged failed rows (the closing summary)
    retry_failed_rows: str = "an explicit retry of failed rows also sends the unchanged ones again"
    #: unknown rows that would be sent again without a check: how to send them anyway
    resend_unchecked: str = (
        "if they do not exist there, allow sending them again without a check (resend_unchecked)"
    )
    #: a settle window other than the default (the wait before unknown rows are looked up
    #: again)
    settle_window: str = "a shorter settle window waits less"
    #: where to find the problems the summary leaves out, when no report was written
    full_report: str = "write a report to list them all"
    #: the journal file cannot be opened or used there
    journal_elsewhere: str = "choose another place for the journal"
    #: the journal's file system refuses WAL mode
    journal_on_local_disk: str = "put the journal on a local disk"
    #: the file is not a journal, or another version's
    another_journal: str = "use another journal path"
    #: the journal records another import: start a new one (a sentence's first words)
    new_journal: str = "Use a new journal path"
    #: what maps a file's headers to fields, as a message names it
    column_mapping: str = "the column mapping"
    #: how to map unknown columns to fields ({them}: "it" or "them")
    map_columns: str = 'map {them} to fields in the column mapping ("HEADER" to "FIELD")'
    #: how to skip unknown columns instead ({them}: "it" or "them")
    ignore_unknown_columns: str = "let unknown columns be ignored to skip {them}"
    #: how to ignore one column ({header}: its name)
    ignore_column: str = 'map "{header}" to "" in the column mapping'


#: The importer's own wording (the Python API): names no flag.
LIBRARY_ADVICE = Advice()
