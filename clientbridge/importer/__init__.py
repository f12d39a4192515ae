"""Bulk import: CSV and JSON Lines files into any provider, streamed, concurrent, resumable.

    from clientbridge.importer import ImportOptions, Target, open_source, run_import

The command line (``clientbridge import FILE``) is the usual way in; these are the pieces
it is built from:

* `open_source` reads a file row by row (`columns` turns a header into `Client` fields);
* `Journal` remembers every row's outcome so an interrupted import resumes without
  creating a client twice;
* `run_import` sends the rows with bounded concurrency and writes the report;
  `run_dry` validates them without any I/O.
"""

from __future__ import annotations

from clientbridge.importer.columns import ColumnMap, ImportSetupError, RowError
from clientbridge.importer.journal import Journal
from clientbridge.importer.report import ReportWriter, RowOutcome
from clientbridge.importer.run import ImportOptions, Target, run_dry, run_import
from clientbridge.importer.source import Source, SourceRow, open_source
from clientbridge.importer.summary import ImportSummary, format_summary

__all__ = [
    "ColumnMap",
    "ImportOptions",
    "ImportSetupError",
    "ImportSummary",
    "Journal",
    "ReportWriter",
    "RowError",
    "RowOutcome",
    "Source",
    "SourceRow",
    "Target",
    "format_summary",
    "open_source",
    "run_dry",
    "run_import",
]
