"""Converting a journal of schema 2, which knew rows by their line, to row identities.

Schema 2 keyed a row by the line it started on. Schema 3 keys it by its identity
(`clientbridge.importer.identity`), so the file is read once to learn the identity of the
row on each journaled line. A row is converted only when the file still holds, on that
line, the very row that was journaled (same digest). A failed row that is no longer
there needs nothing (it was not created; whatever is there now is decided afresh); a row
that was created, or may have been, and is no longer there stops the conversion: its
identity cannot be known, and guessing could create its client twice.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path

from clientbridge.importer.errors import ImportSetupError
from clientbridge.importer.states import RowState

__all__ = ["ROWS_TABLE_2", "IdentifiedRows", "upgrade_from_2"]

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
