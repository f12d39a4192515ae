"""The journal file itself: its schema, how a new one is made whole or not at all, and
whether an existing one records this import (its target, layout and version).

`clientbridge.importer.rows.journal` reads and writes the rows; this module decides whether a
file may be used at all.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import attrs

from clientbridge.importer.errors import Advice, ImportSetupError
from clientbridge.importer.reading.source import Source, SourceRow
from clientbridge.importer.rows import JOURNAL_STATES, RowState
from clientbridge.importer.rows.check import journal_files

__all__ = [
    "ROWS_TABLE",
    "ROWS_TABLE_2",
    "SCHEMA",
    "SCHEMA_VERSION",
    "SINGLE",
    "UPGRADE_FROM_1",
    "IdentifiedRows",
    "RowIdentities",
    "base_identity",
    "check_meta",
    "create_journal",
    "identified_rows",
    "identify",
    "target_key",
    "upgrade_from_2",
]


#: Reads the file: each row's line, digest and identity, in file order.
IdentifiedRows = Callable[[], Iterable[tuple[int, str, str]]]

#: The rows table of schema 2 (what schema 1 is first converted to).
ROWS_TABLE_2 = """CREATE TABLE IF NOT EXISTS rows (
        connection TEXT NOT NULL DEFAULT '',
        row INTEGER NOT NULL,
        digest TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('sending', 'created', 'failed', 'unknown')),
        client_id TEXT,
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        updated_at REAL NOT NULL,
        PRIMARY KEY (connection, row)
    )"""

_COLUMNS = "connection, row, digest, state, client_id, error, attempts, updated_at"


def upgrade_from_2(
    db: sqlite3.Connection,
    path: Path,
    identified: IdentifiedRows | None,
    *,
    source: str,
    rows_table: str,
) -> None:
    """Re-key the rows of the schema 2 journal open in ``db`` (in its open transaction)
    into a new ``rows_table``; raises `ImportSetupError` when the file no longer holds a
    row that was created or may have been."""
    journaled = db.execute(f"SELECT {_COLUMNS} FROM rows").fetchall()
    lines = {line for _, line, *_ in journaled}
    found: dict[int, tuple[str, str]] = {}
    if journaled:
        if identified is None:
            raise ImportSetupError(_refusal(path, source, "it cannot be read again"))
        last = max(lines)
        for line, digest, key in identified():
            if line in lines:
                found[line] = (digest, key)
            if line >= last:
                break
    converted: list[tuple[object, ...]] = []
    for connection, line, digest, state, client_id, error, attempts, updated_at in journaled:
        now = found.get(line)
        if now is None or now[0] != digest:
            if state == RowState.FAILED:
                continue
            what = f"created as {client_id}" if client_id else state
            raise ImportSetupError(
                _refusal(path, source, f"line {line} is no longer the row it journaled ({what})")
            )
        key = now[1]
        converted.append(
            (connection, key, line, digest, state, client_id, error, attempts, updated_at)
        )
    db.execute("ALTER TABLE rows RENAME TO rows_2")
    db.execute(rows_table)
    db.executemany(
        f"INSERT INTO rows (connection, key, {_COLUMNS.removeprefix('connection, ')}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        converted,
    )
    db.execute("DROP TABLE rows_2")
    db.execute("UPDATE meta SET value = '3' WHERE key = 'schema'")


def _refusal(path: Path, source: str, why: str) -> str:
    return (
        f"the journal {path} was written by an earlier version of clientbridge, which knew "
        f"rows by their line, and cannot be converted: {why} in {source}. Put the file back "
        "as it was when the journal was written and run again (the journal is converted "
        "once, then the file can change), or finish that import with the earlier version. "
        "Nothing was sent."
    )


SCHEMA_VERSION = "3"

#: The connection of a row of a single-target import.
SINGLE = ""

#: Every state a row can be in, as the SQL literals of the schema's CHECK.
_STATES = ", ".join(f"'{state}'" for state in JOURNAL_STATES)

ROWS_TABLE = f"""CREATE TABLE IF NOT EXISTS rows (
        connection TEXT NOT NULL DEFAULT '',
        key TEXT NOT NULL,
        row INTEGER NOT NULL,
        digest TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ({_STATES})),
        client_id TEXT,
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        updated_at REAL NOT NULL,
        PRIMARY KEY (connection, key)
    )"""

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ROWS_TABLE,
)

#: Schema 1 had no connection column: its rows are a single-target import's. (Schema 2
#: is then re-keyed by `journal_upgrade`.)
UPGRADE_FROM_1 = (
    "ALTER TABLE rows RENAME TO rows_1",
    ROWS_TABLE_2,
    "INSERT INTO rows (connection, row, digest, state, client_id, error, attempts, updated_at) "
    "SELECT '', row, digest, state, client_id, error, attempts, updated_at FROM rows_1",
    "DROP TABLE rows_1",
    "UPDATE meta SET value = '2' WHERE key = 'schema'",
)


def target_key(connection: str) -> str:
    return "target" if connection == SINGLE else f"target:{connection}"


def create_journal(
    path: Path, *, targets: Mapping[str, str], layout: str, source: str, advice: Advice
) -> None:
    """Make a new journal at ``path`` whole or not at all: written beside it, then linked
    into place. A journal file that exists was therefore once whole, and an empty one
    was emptied (so it is refused, not taken for a new journal)."""
    staging = path.with_name(f".{path.name}.{os.getpid()}.new")
    for stale in journal_files(staging):
        stale.unlink(missing_ok=True)
    try:
        db = sqlite3.connect(staging, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("BEGIN IMMEDIATE")
            for statement in SCHEMA:
                db.execute(statement)
            db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [
                    ("schema", SCHEMA_VERSION),
                    ("layout", layout),
                    ("source", source),
                    ("created_at", time.strftime("%Y-%m-%dT%H:%M:%S%z")),
                    *((target_key(name), target) for name, target in targets.items()),
                ],
            )
            db.execute("COMMIT")
        finally:
            db.close()
        try:
            os.link(staging, path)  # never replaces a file made meanwhile
        except FileExistsError:
            pass  # another import made it first: it is opened (and locked) as it is
        except OSError:  # a file system without hard links
            os.replace(staging, path)
    except (OSError, sqlite3.Error) as error:
        raise ImportSetupError(
            f"cannot create the journal {path} ({error}); nothing was sent: "
            f"{advice.journal_elsewhere}"
        ) from None
    finally:
        for stale in journal_files(staging):
            stale.unlink(missing_ok=True)


#: Rows that say a client was created, or may have been, in the target they were sent to.
SENT_STATES = (RowState.CREATED, RowState.SENDING, RowState.UNKNOWN)


def check_meta(
    db: sqlite3.Connection,
    path: Path,
    meta: dict[str, str],
    *,
    targets: Mapping[str, str],
    layout: str,
    source: str,
    advice: Advice,
) -> dict[str, str]:
    """Refuse a journal of another kind of import, target or layout. A journal bound to
    another target that holds no row created there (or that may have been: every row was
    refused, say for a wrong URL) is bound to the new target instead; returns those
    connections with the target they had."""
    new_journal = advice.new_journal
    if meta.get("schema") != SCHEMA_VERSION:
        raise ImportSetupError(
            f"the journal {path} was written by another version of clientbridge "
            f"(schema {meta.get('schema')!r}); finish that import with it"
        )
    several = any(key.startswith("target:") for key in meta)
    if (SINGLE in targets) == several:
        kind = "several connections at once" if several else "one target"
        raise ImportSetupError(
            f"the journal {path} records an import into {kind}; this command imports into "
            f"{'one target' if SINGLE in targets else 'several connections'}. {new_journal} "
            "(keep the old journal: it is what stops a client being created "
            "twice)."
        )
    rebound: dict[str, str] = {}
    for name, target in targets.items():
        recorded = meta.get(target_key(name))
        if recorded is None:
            _follow_rename(db, meta, name, target, targets)
            continue
        if recorded == target:
            continue
        if same_account(recorded, target):  # written when the name was part of it
            db.execute("UPDATE meta SET value = ? WHERE key = ?", (target, target_key(name)))
            continue
        marks = ", ".join("?" * len(SENT_STATES))
        sent = db.execute(
            f"SELECT count(*) FROM rows WHERE connection = ? AND state IN ({marks})",
            (name, *(state.value for state in SENT_STATES)),
        ).fetchone()[0]
        if sent:
            raise ImportSetupError(
                f"the journal {path} records an import into {recorded}, but this command "
                f"imports into {target}, and clients were created there (or may have been). "
                f"{new_journal} for another target (keep the old journal: it is what stops "
                "a client being created twice)."
            )
        # Nothing was created there: its failures were that target's, not this one's.
        db.execute("DELETE FROM rows WHERE connection = ?", (name,))
        db.execute("UPDATE meta SET value = ? WHERE key = ?", (target, target_key(name)))
        rebound[name] = recorded
    if meta.get("layout") != layout:
        raise ImportSetupError(
            f"the columns of {source} changed since the journal {path} was written (for "
            f"{meta.get('source')}), so its rows cannot be matched. Restore the original "
            "header: a new journal would send every row again, and create the clients created "
            "so far twice."
        )
    return rebound


#: What a journal written before the account was the identity appended to the target.
_NAMED = re.compile(r" \(connection '.*'\)\Z", re.DOTALL)


def same_account(recorded: str, target: str) -> bool:
    """Whether a journal's recorded target is ``target``'s account: a journal belongs to
    an account (provider, base URL, workspace), not to the name of a connection."""
    return recorded == target or _NAMED.sub("", recorded) == target


def _follow_rename(
    db: sqlite3.Connection,
    meta: dict[str, str],
    name: str,
    target: str,
    targets: Mapping[str, str],
) -> None:
    """A connection of several the journal does not know by ``name``: if a connection it
    knows, and this import does not name, is the same account, it was renamed: its rows
    become ``name``'s (they resume instead of being sent again)."""
    for key, recorded in meta.items():
        old = key.removeprefix("target:")
        if key == old or old in targets or not same_account(recorded, target):
            continue
        db.execute("UPDATE rows SET connection = ? WHERE connection = ?", (name, old))
        db.execute(
            "UPDATE meta SET key = ?, value = ? WHERE key = ?", (target_key(name), target, key)
        )
        del meta[key]
        meta[target_key(name)] = target
        return


_COUNT = (
    "INSERT INTO seen (identity, count) VALUES (?, 0) "
    "ON CONFLICT (identity) DO UPDATE SET count = count + 1 RETURNING count"
)


def base_identity(row: SourceRow) -> str:
    """What names ``row`` before its occurrence is counted."""
    client = row.client
    if client is not None and client.external_id:
        return f"id:{_digest(client.external_id)}"
    if client is not None and client.email and client.email.strip():
        return f"email:{_digest(client.email.strip().casefold())}"
    return f"content:{row.digest}"


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class RowIdentities:
    """Names the rows of one reading of a file, in file order (a fresh instance for each
    reading: occurrences are counted from the start of the file)."""

    def __init__(self) -> None:
        # "": a private temporary database, deleted on close.
        self._db = sqlite3.connect("", isolation_level=None)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute(
            "CREATE TABLE seen (identity TEXT PRIMARY KEY, count INTEGER NOT NULL) WITHOUT ROWID"
        )
        self._db.execute("BEGIN")  # one transaction, never committed: nothing to keep

    def of(self, row: SourceRow) -> str:
        """The identity of ``row``, the next row of the file."""
        base = base_identity(row)
        (earlier,) = self._db.execute(_COUNT, (base,)).fetchone()
        return base if earlier == 0 else f"{base}#{earlier}"

    def close(self) -> None:
        self._db.close()


def identify(rows: Iterable[SourceRow]) -> Iterator[SourceRow]:
    """``rows`` (one reading of a file, from its start) with their identities."""
    identities = RowIdentities()
    try:
        for row in rows:
            yield attrs.evolve(row, key=identities.of(row))
    finally:
        identities.close()


def identified_rows(source: Source) -> IdentifiedRows | None:
    """What converting an older journal reads: the file read again, each row's line,
    digest and identity (None for a stream, which cannot be read again)."""
    if not source.rereadable:
        return None

    def read() -> Iterator[tuple[int, str, str]]:
        with source.reopen() as again:
            for row in identify(again.rows()):
                yield row.line, row.digest, row.key

    return read


#: The journal's row writes: marked ``sending`` before a send, its outcome after, forgotten.
MARK = (
    "INSERT INTO rows (connection, key, row, digest, state, attempts, updated_at) "
    "VALUES (?, ?, ?, ?, 'sending', 1, ?) "
    "ON CONFLICT (connection, key) DO UPDATE SET row = excluded.row, digest = excluded.digest, "
    "state = 'sending', attempts = attempts + 1, updated_at = excluded.updated_at"
)
RECORD = (
    "INSERT INTO rows (connection, key, row, digest, state, client_id, error, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (connection, key) DO UPDATE SET row = excluded.row, digest = excluded.digest, "
    "state = excluded.state, client_id = excluded.client_id, error = excluded.error, "
    "updated_at = excluded.updated_at"
)
FORGET = "DELETE FROM rows WHERE connection = ? AND key = ?"


@attrs.frozen
class JournalEntry:
    """What an earlier run recorded for one row."""

    #: the line the row was on then
    line: int
    digest: str
    state: str
    client_id: str | None
    error: str | None
    #: the row's identity (`clientbridge.importer.rows.schema`)
    key: str = ""
