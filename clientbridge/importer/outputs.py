"""The files an import writes (the journal, the report), checked before anything is read,
and the errors that stop an import when one of them can no longer be written.

An output that is the input, or the journal, or another output, would be overwritten while
it is read or written: the report truncating the input it reads loses rows, a report on
the journal destroys what stops a client being created twice. Paths are compared resolved
and, where the files exist, by identity (the same file reached through a link or another
name).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from clientbridge.importer.errors import ImportSetupError

__all__ = [
    "JOURNAL_COMPANIONS",
    "JournalWriteError",
    "OutputError",
    "ReportWriteError",
    "check_output_paths",
    "journal_files",
]

#: The files SQLite keeps beside a journal in WAL mode.
JOURNAL_COMPANIONS = ("-wal", "-shm")


class OutputError(ImportSetupError):
    """An output of the import (journal, report) cannot be written: the import stops
    sending, and the message says what happened, where, and what to do."""


class JournalWriteError(OutputError):
    """The journal can no longer be written (a full disk, a file size limit, its files
    removed while the import ran)."""


class ReportWriteError(OutputError):
    """The report can no longer be written (a full disk, a file size limit)."""


def journal_files(journal: Path) -> Iterator[Path]:
    """The journal and the files SQLite keeps beside it."""
    yield journal
    for suffix in JOURNAL_COMPANIONS:
        yield journal.with_name(journal.name + suffix)


def _same(one: Path, other: Path) -> bool:
    if one.resolve() == other.resolve():
        return True
    try:
        return os.path.samefile(one, other)
    except OSError:  # one of them does not exist (yet): the resolved paths decided
        return False


def check_output_paths(
    source: Path, *, journal: Path | None = None, report: Path | None = None
) -> None:
    """Refuse (`ImportSetupError`) a report or journal that is the input, or each other
    (the journal's side files included). Nothing is read or written."""
    named: list[tuple[str, Path]] = [("the input file", source)]
    if journal is not None:
        names = ("the journal", "the journal's write-ahead log", "the journal's shared memory")
        named.extend(zip(names, journal_files(journal), strict=True))
    outputs = [("the report", report)] if report is not None else []
    if journal is not None:
        outputs.append(("the journal", journal))
    for what, path in outputs:
        for other, taken in named:
            if other.startswith(what):
                continue  # the journal and its own side files
            if _same(path, taken):
                raise ImportSetupError(
                    f"{what} {path} is also {other} ({taken}): writing it would destroy "
                    f"{other}. Choose another path for {what}; nothing was read or sent."
                )
        named.append((what, path))
