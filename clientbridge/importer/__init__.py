"""Bulk import: CSV and JSON Lines files into any provider, streamed, concurrent, resumable.

    from clientbridge.importer import import_file

    summary = import_file("clients.csv", "PROVIDER", journal="clients.journal.sqlite", ...)

`import_file` does in one call what ``clientbridge import FILE`` does; these are the
pieces both are built from:

* `open_source` reads a file row by row (`columns` turns a header into `Client` fields);
* `Journal` remembers every row's outcome so an interrupted import resumes without
  creating a client twice;
* `run_import` sends the rows with bounded concurrency and writes the report;
  `run_dry` validates them without any I/O;
* `Advice` words what to do next in messages (`LIBRARY_ADVICE` names no flag).
"""

from __future__ import annotations

from clientbridge.importer.api import import_file, provider_target
from clientbridge.importer.errors import LIBRARY_ADVICE, Advice, ImportSetupError, RowError
from clientbridge.importer.reading import open_source
from clientbridge.importer.reading.columns import ColumnMap
from clientbridge.importer.reading.source import Source, SourceRow
from clientbridge.importer.reporting.report import ReportWriter, RowOutcome
from clientbridge.importer.reporting.summary import ImportSummary, format_summary
from clientbridge.importer.rows import RowState
from clientbridge.importer.rows.journal import Journal
from clientbridge.importer.running.modes import run_dry
from clientbridge.importer.running.options import ImportOptions, Target
from clientbridge.importer.running.run import run_import

__all__ = [
    "LIBRARY_ADVICE",
    "Advice",
    "ColumnMap",
    "ImportOptions",
    "ImportSetupError",
    "ImportSummary",
    "Journal",
    "ReportWriter",
    "RowError",
    "RowOutcome",
    "RowState",
    "Source",
    "SourceRow",
    "Target",
    "format_summary",
    "import_file",
    "open_source",
    "provider_target",
    "run_dry",
    "run_import",
]
