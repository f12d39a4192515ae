"""A row's identity in the journal: what it is, not where it is.

A journal that knew rows by their line would take an edited file for a changed one: a
row inserted at line 2 shifts every row after it onto a line the journal recorded for
another row, and the rows that slid onto a failed row's line, or past the end of the
journal, are sent again. So a row is known by:

* its ``external_id`` (hashed) when it has one: the same client wherever it moves, and a
  row whose content changed under the same external id is noticed as changed;
* else its email (hashed, compared ignoring case): a client's natural key, so a row edited
  in any other field is noticed as changed rather than taken for a new client;
* else a digest of its content: a row moved, or with rows inserted or deleted around it,
  is the same row; a row whose content changed is another row.

Identical rows in one file (the same external id, email or content) are told apart by
their occurrence: the second is ``<identity>#1``. Counting occurrences needs every
identity read so far; they are kept in a private temporary SQLite database (on disk once
it outgrows its page cache), so memory stays flat however long the file is.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Iterator

import attrs

from clientbridge.importer.journal_upgrade import IdentifiedRows
from clientbridge.importer.source import Source, SourceRow

__all__ = ["RowIdentities", "base_identity", "identified_rows", "identify"]

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
