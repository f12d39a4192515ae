"""The embedded ledger store: one SQLite file (WAL), one transaction per operation.

Safe across threads (one connection per process, used under a lock) and processes on
one machine (claims take SQLite's write lock, ``BEGIN IMMEDIATE``). A file that is not
a ledger, or is damaged, is refused with its path and what to do.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from clientbridge.errors import ConfigurationError, TransportError
from clientbridge.ledger.store import STOPPED, Claim, Entry, EntryState

__all__ = ["SQLiteStore"]

#: Marks a SQLite file as a clientbridge ledger (``PRAGMA application_id``).
APPLICATION_ID = 0x43424C47  # "CBLG"
FORMAT = "clientbridge ledger 1"
#: How long a caller waits for another process's transaction before giving up.
BUSY_TIMEOUT_MS = 30_000

_SCHEMA = (
    "CREATE TABLE ledger_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    f"INSERT INTO ledger_meta VALUES ('format', '{FORMAT}')",
    """CREATE TABLE entries (
        account TEXT NOT NULL,
        key TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'created', 'unknown')),
        holder TEXT,
        lease_until REAL,
        attempted_at REAL,
        client_id TEXT,
        result TEXT,
        note TEXT,
        PRIMARY KEY (account, key)
    ) WITHOUT ROWID""",
    "CREATE INDEX entries_by_client ON entries (account, client_id) WHERE client_id IS NOT NULL",
    f"PRAGMA application_id = {APPLICATION_ID}",
)

_CLAIM = """
INSERT INTO entries (account, key, state, holder, lease_until) VALUES (?, ?, 'pending', ?, ?)
ON CONFLICT (account, key) DO UPDATE SET
    state = 'pending',
    holder = excluded.holder,
    lease_until = excluded.lease_until,
    attempted_at = CASE WHEN entries.state = 'pending'
        THEN max(coalesce(entries.lease_until, 0), coalesce(entries.attempted_at, 0))
        ELSE entries.attempted_at END,
    note = CASE WHEN entries.state = 'pending' THEN coalesce(entries.note, ?)
        ELSE entries.note END
WHERE entries.state = 'unknown' OR (entries.state = 'pending' AND entries.lease_until <= ?)
RETURNING attempted_at, note
"""

_COLUMNS = "key, state, holder, lease_until, attempted_at, client_id, result, note"


def _entry(row: tuple[Any, ...]) -> Entry:
    key, state, holder, lease_until, attempted_at, client_id, result, note = row
    return Entry(
        key=key,
        state=EntryState(state),
        holder=holder,
        lease_until=lease_until,
        attempted_at=attempted_at,
        client_id=client_id,
        result=result,
        note=note,
    )


class SQLiteStore:
    """A ledger kept in the SQLite file at ``path`` (created when absent)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.label = str(self.path)
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._db: sqlite3.Connection | None = self._open()

    # ------------------------------------------------------------------ opening

    def _refuse(self, what: str) -> ConfigurationError:
        return ConfigurationError(f"the ledger file {self.path} {what}")

    def _open(self) -> sqlite3.Connection:
        if self.path.is_dir():
            raise self._refuse("is a directory: give the path of a ledger file")
        if not self.path.parent.is_dir():
            raise self._refuse("cannot be created: its directory does not exist")
        try:
            db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30
            )
        except sqlite3.Error as error:
            raise self._refuse(f"cannot be opened ({error})") from None
        try:
            self._prepare(db)
        except BaseException:
            db.close()
            raise
        return db

    def _prepare(self, db: sqlite3.Connection) -> None:
        what_to_do = "give the path of a clientbridge ledger, or a new path to start an empty one"
        try:
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            application_id = db.execute("PRAGMA application_id").fetchone()[0]
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as error:
            raise self._refuse(
                f"is not a clientbridge ledger or is damaged ({error}): {what_to_do}"
            ) from None
        if not tables and application_id == 0:
            try:
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("BEGIN IMMEDIATE")
                if not db.execute("SELECT name FROM sqlite_master").fetchone():
                    for statement in _SCHEMA:  # another process may have been first
                        db.execute(statement)
                db.execute("COMMIT")
            except sqlite3.Error as error:
                raise self._refuse(f"cannot be created ({error})") from None
            db.execute("PRAGMA synchronous = NORMAL")
            return
        if application_id != APPLICATION_ID or "entries" not in tables:
            raise self._refuse(f"is not a clientbridge ledger (another database): {what_to_do}")
        try:
            row = db.execute("SELECT value FROM ledger_meta WHERE name = 'format'").fetchone()
            check = db.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as error:
            check, row = str(error), ("",)
        if check != "ok":
            raise self._refuse(
                f"is damaged ({check}): move it aside and restore it from a backup; a new, "
                "empty ledger forgets which clients were created, so keys an app sends "
                "again would create them again"
            )
        if row is None or row[0] != FORMAT:
            raise self._refuse(
                f"was written by another version of clientbridge ({row[0] if row else '?'}); "
                "use that version, or a new path"
            )
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")

    def _connection(self) -> sqlite3.Connection:
        if self._pid != os.getpid():  # a forked child: never share the parent's handle
            self._pid, self._db = os.getpid(), self._open()
        if self._db is None:
            raise ConfigurationError(f"the ledger {self.label} is closed")
        return self._db

    def _run(self, sql: str, args: tuple[Any, ...]) -> None:
        with self._lock:
            db = self._connection()
            try:
                db.execute(sql, args)
            except sqlite3.Error as error:
                raise self._failed(error) from None

    def _failed(self, error: sqlite3.Error) -> TransportError:
        return TransportError(
            f"the ledger file {self.path} could not be written ({error}); check that it is "
            "writable and not on a network drive",
            maybe_sent=False,
        )

    # ------------------------------------------------------------------ operations

    def claim(
        self, account: str, key: str, *, holder: str, now: float, lease_until: float
    ) -> Claim:
        # One statement, so one transaction: a new key is inserted, an unknown one (or one
        # whose lease has ended) taken over keeping when it was attempted; a created or
        # live one is read (only then: a second statement) and returned.
        for _ in range(10):
            with self._lock:
                db = self._connection()
                try:
                    taken = db.execute(
                        _CLAIM, (account, key, holder, lease_until, STOPPED, now)
                    ).fetchone()
                    row = None
                    if taken is None:
                        row = db.execute(
                            f"SELECT {_COLUMNS} FROM entries WHERE account = ? AND key = ?",
                            (account, key),
                        ).fetchone()
                except sqlite3.Error as error:
                    raise self._failed(error) from None
            if taken is not None:
                attempted_at, note = taken
                if attempted_at is None:
                    return Claim(True, None)
                previous = Entry(
                    key=key, state=EntryState.UNKNOWN, attempted_at=attempted_at, note=note
                )
                return Claim(True, previous)
            if row is not None:  # else it was settled meanwhile: claim again
                return Claim(False, _entry(row))
        raise self._failed(sqlite3.OperationalError("the key changed under every claim"))

    def record_created(self, account: str, key: str, *, client_id: str, result: str) -> None:
        self._run(
            "INSERT OR REPLACE INTO entries (account, key, state, client_id, result) "
            "VALUES (?, ?, 'created', ?, ?)",
            (account, key, client_id, result),
        )

    def record_unknown(
        self, account: str, key: str, *, holder: str, attempted_at: float, note: str | None
    ) -> None:
        self._run(
            "UPDATE entries SET state = 'unknown', holder = NULL, lease_until = NULL, "
            "attempted_at = ?, note = ? WHERE account = ? AND key = ? AND holder = ? "
            "AND state = 'pending'",
            (attempted_at, note, account, key, holder),
        )

    def release(self, account: str, key: str, *, holder: str) -> None:
        self._run(
            "DELETE FROM entries WHERE account = ? AND key = ? AND holder = ? "
            "AND state = 'pending'",
            (account, key, holder),
        )

    def get(self, account: str, key: str) -> Entry | None:
        with self._lock:
            row = (
                self._connection()
                .execute(
                    f"SELECT {_COLUMNS} FROM entries WHERE account = ? AND key = ?",
                    (account, key),
                )
                .fetchone()
            )
        return None if row is None else _entry(row)

    def claimed_ids(self, account: str, key: str, *, client_ids: Sequence[str]) -> set[str]:
        ids = list(client_ids)
        if not ids:
            return set()
        marks = ", ".join("?" * len(ids))
        with self._lock:
            rows = (
                self._connection()
                .execute(
                    f"SELECT client_id FROM entries WHERE account = ? AND key != ? "
                    f"AND client_id IN ({marks})",
                    (account, key, *ids),
                )
                .fetchall()
            )
        return {row[0] for row in rows}

    def unknown(self, account: str, *, now: float) -> list[Entry]:
        with self._lock:
            rows = (
                self._connection()
                .execute(
                    f"SELECT {_COLUMNS} FROM entries WHERE account = ? "
                    "AND state IN ('unknown', 'pending') ORDER BY key",
                    (account,),
                )
                .fetchall()
            )
        entries = (_entry(row).as_of(now) for row in rows)
        return [entry for entry in entries if entry.state is EntryState.UNKNOWN]

    def close(self) -> None:
        with self._lock:
            if self._db is not None and self._pid == os.getpid():
                self._db.close()
            self._db = None


class AsyncSQLiteStore:
    """`SQLiteStore` for async callers: each operation is one short local transaction,
    run in place (a thread hop would cost more than the transaction)."""

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store
        self.label = store.label

    async def claim(
        self, account: str, key: str, *, holder: str, now: float, lease_until: float
    ) -> Claim:
        return self.store.claim(account, key, holder=holder, now=now, lease_until=lease_until)

    async def record_created(self, account: str, key: str, *, client_id: str, result: str) -> None:
        self.store.record_created(account, key, client_id=client_id, result=result)

    async def record_unknown(
        self, account: str, key: str, *, holder: str, attempted_at: float, note: str | None
    ) -> None:
        self.store.record_unknown(account, key, holder=holder, attempted_at=attempted_at, note=note)

    async def release(self, account: str, key: str, *, holder: str) -> None:
        self.store.release(account, key, holder=holder)

    async def get(self, account: str, key: str) -> Entry | None:
        return self.store.get(account, key)

    async def claimed_ids(self, account: str, key: str, *, client_ids: Sequence[str]) -> set[str]:
        return self.store.claimed_ids(account, key, client_ids=client_ids)

    async def unknown(self, account: str, *, now: float) -> list[Entry]:
        return self.store.unknown(account, now=now)

    async def aclose(self) -> None:
        self.store.close()
