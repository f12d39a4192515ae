"""Is a journal whole? Checks made before an import trusts a journal, and while it writes.

A journal that lost rows is worse than none: the rows it forgot are sent again, and the
clients an earlier run created are created twice. So an existing journal file is checked
before anything is sent: an empty file, a file that is not a journal, or one that SQLite
finds damaged is refused, never used as a new journal. While an import runs, the journal's
write-ahead log is watched: if it is removed or replaced, what was written into it would
vanish with the next crash, so the import saves it into the journal and stops.

A damaged journal is not thrown away either: `read_damaged` reads what it still can, for
the recovery (`clientbridge.importer.running.recovery`).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import attrs

from clientbridge.importer.errors import ImportSetupError

__all__ = [
    "JOURNAL_COMPANIONS",
    "SQLITE_MAGIC",
    "JournalDamagedError",
    "JournalHealth",
    "JournalLostError",
    "JournalWriteError",
    "OutputError",
    "ReportWriteError",
    "WalWatch",
    "check_existing",
    "check_integrity",
    "check_output_paths",
    "inspect",
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


#: The first bytes of every SQLite database file.
SQLITE_MAGIC = b"SQLite format 3\x00"

#: How a damaged journal is made usable again, for people (the CLI names its command).
RECOVER_ADVICE = (
    "Keep the file: it still stops the rows it holds being sent twice. Recover what it "
    "holds into a new journal (see 'A damaged journal' in the import guide); a new, empty "
    "journal would send every row again and create the clients created so far twice"
)


class JournalDamagedError(ImportSetupError):
    """An existing journal file is empty, not a journal, or damaged: it cannot be trusted
    to say which rows were sent, so nothing is sent."""

    def __init__(
        self, path: Path, problem: str, *, recoverable: bool = True, advice: str = ""
    ) -> None:
        self.path = path
        self.problem = problem
        #: whether it is (or was) a journal whose rows can be read back
        self.recoverable = recoverable
        remedy = RECOVER_ADVICE if recoverable else advice
        super().__init__(f"the journal {path} {problem}. {remedy}".rstrip(". ") + ".")


class JournalLostError(JournalWriteError):
    """The journal's write-ahead log was removed or replaced while the import ran."""


@attrs.frozen
class JournalHealth:
    """What `inspect` found in a journal file."""

    path: Path
    #: "ok", "empty", "not a journal", "damaged", "missing", "in use"
    status: str
    #: what SQLite's check or the reading said (empty when ok)
    problems: tuple[str, ...] = ()
    #: what the journal records (target, layout, ...) where it could be read
    meta: dict[str, str] = attrs.field(factory=dict)
    #: rows per state that could be read
    states: dict[str, int] = attrs.field(factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def check_existing(path: Path, another_journal: str = "use another journal path") -> None:
    """Refuse an existing ``path`` that is empty or not an SQLite file (before SQLite
    opens it: SQLite would take an empty file for a new database). ``another_journal``
    words the remedy for a file that is not a journal."""
    try:
        with path.open("rb") as handle:
            start = handle.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        return
    except OSError as error:
        raise ImportSetupError(
            f"cannot read the journal {path}: {error.strerror or error}"
        ) from None
    if not start:
        raise JournalDamagedError(
            path,
            "is an empty file: a journal is never empty, so it was emptied (truncated) and "
            "what it knew is lost, or it is not a journal. It is not used as a new journal, "
            "which would send every row again",
        )
    if start != SQLITE_MAGIC:
        raise JournalDamagedError(
            path,
            "is not a clientbridge journal (not an SQLite file), and an existing file is "
            "never used as a new journal. If it was a journal, it was overwritten",
            recoverable=False,
            advice=f"If it is another file, {another_journal}",
        )


def check_integrity(
    db: sqlite3.Connection, path: Path, another_journal: str = "use another journal path"
) -> None:
    """Refuse a journal SQLite finds damaged (a truncated or partly overwritten file), or
    an SQLite file that holds no journal (``another_journal`` words that remedy)."""
    try:
        found = [line for (line,) in db.execute("PRAGMA quick_check(20)")]
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as error:
        if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
            raise  # in use by another import: not damaged
        raise JournalDamagedError(path, f"is damaged ({error})") from None
    if found != ["ok"]:
        raise JournalDamagedError(path, f"is damaged ({'; '.join(found[:3])})")
    if not {"meta", "rows"} <= tables:
        raise JournalDamagedError(
            path,
            "is an SQLite file but not a clientbridge journal (it has no meta and rows "
            "tables), and an existing file is never used as a new journal",
            recoverable=False,
            advice=another_journal[:1].upper() + another_journal[1:],
        )
    has_schema = db.execute("SELECT 1 FROM meta WHERE key = 'schema'").fetchone()
    if has_schema is None:
        raise JournalDamagedError(path, "is damaged (it does not say which version wrote it)")


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino


class WalWatch:
    """Notices the journal's write-ahead log being removed or replaced.

    SQLite keeps writing into the log it opened; once its name points elsewhere (or
    nowhere), every commit since the last checkpoint lives only in a file no one can
    open again, and a crash loses them: the rows they marked would be sent twice.
    """

    def __init__(self, journal: Path) -> None:
        self.wal = journal.with_name(journal.name + "-wal")
        self.identity = _identity(self.wal)

    def problem(self) -> str | None:
        """What happened to the log since the journal was opened, or None."""
        if self.identity is None:
            return None
        now = _identity(self.wal)
        if now == self.identity:
            return None
        return "was removed" if now is None else "was replaced by another file"


def inspect(path: Path) -> JournalHealth:
    """Check the journal at ``path`` without changing it (read-only)."""
    if not path.exists():
        return JournalHealth(path, "missing", ("there is no such file",))
    try:
        check_existing(path)
    except JournalDamagedError as error:
        return JournalHealth(
            path, "empty" if error.recoverable else "not a journal", (error.problem,)
        )
    status = "ok"
    try:
        with closing(_open_read_only(path)) as db:
            check_integrity(db, path)
    except sqlite3.OperationalError:  # locked: an import holds it
        problem = "an import is using it: check it once that import has finished"
        return JournalHealth(path, "in use", (problem,))
    except JournalDamagedError as error:
        meta, states, problems = read_summary(path)
        status = "damaged" if error.recoverable else "not a journal"
        return JournalHealth(path, status, (error.problem, *problems), meta, states)
    meta, states, problems = read_summary(path)
    return JournalHealth(path, status, problems, meta, states)


def _open_read_only(path: Path) -> sqlite3.Connection:
    # Read-only: a damaged journal (and its write-ahead log) is left as found.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)


def read_summary(path: Path) -> tuple[dict[str, str], dict[str, int], tuple[str, ...]]:
    """The meta and the rows per state that can be read, and what could not be."""
    meta: dict[str, str] = {}
    states: dict[str, int] = {}
    problems: list[str] = []
    try:
        with closing(_open_read_only(path)) as db:
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.DatabaseError as error:
        problems.append(f"its meta table cannot be read ({error})")
    try:
        for row in read_rows(path):
            states[row[4]] = states.get(row[4], 0) + 1
    except sqlite3.DatabaseError as error:
        problems.append(f"its rows cannot be read ({error})")
    return meta, states, tuple(problems)


#: (connection, key, row, digest, state, client_id, error, attempts, updated_at)
RowRecord = tuple[str, str, int, str, str, str | None, str | None, int, float]

_ROW_COLUMNS = "connection, key, row, digest, state, client_id, error, attempts, updated_at"


def read_rows(path: Path) -> Iterator[RowRecord]:
    """Every row of the journal at ``path`` that can still be read, in storage order.

    Reads on past damaged pages: a read that fails skips ahead (further each time it fails
    again) and goes on from there, so a damaged stretch may hide a few readable rows next
    to it. Raises `sqlite3.DatabaseError` only when the rows table cannot be read at all.
    """
    query = f"SELECT rowid, {_ROW_COLUMNS} FROM rows WHERE rowid > ? ORDER BY rowid"
    with closing(_open_read_only(path)) as db:
        try:
            last = db.execute("SELECT max(rowid) FROM rows").fetchone()[0] or 0
        except sqlite3.DatabaseError:  # the last pages are lost: probe as far as rowids go
            last = 2**62
        after, step = 0, 1
        while True:
            try:
                for rowid, *record in db.execute(query, (after,)):
                    after, step = rowid, 1
                    yield tuple(record)
                return
            except sqlite3.DatabaseError:
                if after >= last:
                    return
                after, step = after + step, step * 2
