"""The import journal: an SQLite file that remembers what happened to every row.

It is what makes an interrupted import safe to run again. A row is written ``sending``
and committed *before* its request leaves, and gets its outcome (``created`` with the
provider's id, ``failed``, or ``unknown`` when the request may have reached the provider)
afterwards. A crash between the two leaves the row ``sending``: the next run reports it as
unknown and never sends it again on its own.

Rows are keyed by the line they start on, with a digest of their content, so a row that
changed since it was journaled is noticed. The journal also records the target
(provider, connection, base URL) and the file's header; a journal of another target or
layout is refused. WAL mode with ``synchronous=NORMAL`` keeps commits cheap and survives a
killed process; the file is locked while an import runs, so two imports cannot share it.
"""

from __future__ import annotations

import itertools
import operator
import sqlite3
import time
from collections.abc import Collection, Iterable
from pathlib import Path
from types import TracebackType

import attrs

from clientbridge.importer.columns import ImportSetupError
from clientbridge.importer.report import CREATED, FAILED, UNKNOWN

__all__ = ["SENDING", "Journal", "JournalEntry"]

#: A row's state between its commit and its outcome (the other states are outcomes).
SENDING = "sending"

SCHEMA_VERSION = "1"
#: Outcomes are committed at least this often (they are also committed before each send).
COMMIT_INTERVAL = 1.0
COMMIT_ROWS = 5000

#: Every state a row can be in, as the SQL literals of the schema's CHECK.
_STATES = ", ".join(f"'{state}'" for state in (SENDING, CREATED, FAILED, UNKNOWN))
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    f"""CREATE TABLE IF NOT EXISTS rows (
        row INTEGER PRIMARY KEY,
        digest TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ({_STATES})),
        client_id TEXT,
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        updated_at REAL NOT NULL
    )""",
)

_MARK = (
    "INSERT INTO rows (row, digest, state, attempts, updated_at) "
    "VALUES (?, ?, 'sending', 1, ?) "
    "ON CONFLICT (row) DO UPDATE SET digest = excluded.digest, state = 'sending', "
    "attempts = attempts + 1, updated_at = excluded.updated_at"
)
_RECORD = (
    "INSERT INTO rows (row, digest, state, client_id, error, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (row) DO UPDATE SET digest = excluded.digest, state = excluded.state, "
    "client_id = excluded.client_id, error = excluded.error, "
    "updated_at = excluded.updated_at"
)
_FORGET = "DELETE FROM rows WHERE row = ?"


@attrs.frozen
class JournalEntry:
    """What an earlier run recorded for one row."""

    line: int
    digest: str
    state: str
    client_id: str | None
    error: str | None


class Journal:
    """One import's journal. Open it with `Journal.open`; close it when done."""

    def __init__(self, path: Path, db: sqlite3.Connection, *, empty: bool) -> None:
        self.path = path
        self._db = db
        #: True when no row has been journaled yet (look-ups can be skipped)
        self.empty = empty
        self._uncommitted = 0
        self._last_commit = time.monotonic()
        #: writes not yet given to SQLite: (statement, parameters), in order
        self._pending: list[tuple[str, tuple[object, ...]]] = []

    @classmethod
    def open(cls, path: str | Path, *, target: str, layout: str, source: str) -> Journal:
        """Open or create the journal at ``path`` for ``target`` and a file ``layout``.

        Raises `ImportSetupError` when the journal belongs to another target or file
        layout, is in use by another import, or is not a journal.
        """
        file = Path(path)
        try:
            db = sqlite3.connect(file, isolation_level=None, timeout=0.2)
        except sqlite3.Error as error:
            raise ImportSetupError(
                f"cannot open the journal {file} ({error}); choose another place with --journal"
            ) from None
        try:
            # Exclusive: the lock is held until close, so a second import of the same
            # journal is refused instead of sending the same rows twice.
            db.execute("PRAGMA locking_mode=EXCLUSIVE")
            mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise ImportSetupError(
                    f"the journal {file} cannot use WAL mode (the file system refused it); "
                    "put it on a local disk with --journal"
                )
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA:
                db.execute(statement)
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
            empty = db.execute("SELECT NOT EXISTS (SELECT 1 FROM rows)").fetchone()[0] == 1
            if meta:
                _check_meta(file, meta, target=target, layout=layout, source=source)
            else:
                db.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [
                        ("schema", SCHEMA_VERSION),
                        ("target", target),
                        ("layout", layout),
                        ("source", source),
                        ("created_at", time.strftime("%Y-%m-%dT%H:%M:%S%z")),
                    ],
                )
            db.execute("COMMIT")
        except sqlite3.OperationalError as error:
            db.close()
            if "locked" in str(error):
                raise ImportSetupError(
                    f"the journal {file} is in use by another import; wait for it to finish "
                    "(two imports of the same rows would create clients twice)"
                ) from None
            raise ImportSetupError(
                f"cannot use the journal {file} ({error}); choose another place with --journal"
            ) from None
        except sqlite3.DatabaseError as error:
            db.close()
            raise ImportSetupError(
                f"{file} is not a clientbridge journal ({error}); pass another --journal path"
            ) from None
        except BaseException:
            db.close()
            raise
        return cls(file, db, empty=empty)

    # ------------------------------------------------------------------ reading

    def previous(self, line: int) -> JournalEntry | None:
        """What an earlier run recorded for the row starting on ``line``."""
        if self.empty:
            return None
        self._flush()
        found = self._db.execute(
            "SELECT digest, state, client_id, error FROM rows WHERE row = ?", (line,)
        ).fetchone()
        if found is None:
            return None
        return JournalEntry(line, *found)

    def unresolved(self) -> dict[int, str]:
        """The rows an earlier run left ``sending`` or ``unknown``: line → digest."""
        if self.empty:
            return {}
        self._flush()
        found = self._db.execute(
            "SELECT row, digest FROM rows WHERE state IN (?, ?) ORDER BY row", (SENDING, UNKNOWN)
        ).fetchall()
        return dict(found)

    def claimed_client_ids(self, client_ids: Collection[str]) -> set[str]:
        """Which of ``client_ids`` the journal records as some row's client."""
        self._flush()
        ids = list(client_ids)
        claimed: set[str] = set()
        for start in range(0, len(ids), 500):  # SQLite caps the parameters of one query
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            query = f"SELECT client_id FROM rows WHERE client_id IN ({marks})"
            claimed.update(found for (found,) in self._db.execute(query, chunk))
        return claimed

    # ------------------------------------------------------------------ writing
    #
    # Writes are queued in memory and written in one `executemany` per run of the same
    # kind when the journal commits (or before it is read): a row costs an append, not a
    # statement, and the order of the writes is kept. Nothing is lost that an open
    # transaction would have kept: uncommitted writes never survived a crash.

    def mark_sending(self, rows: Iterable[tuple[int, str]]) -> None:
        """Mark ``(line, digest)`` rows as being sent. Commit before sending them."""
        now = time.time()
        self._pending.extend((_MARK, (line, digest, now)) for line, digest in rows)
        self._uncommitted += 1

    def record(
        self,
        line: int,
        digest: str,
        state: str,
        *,
        client_id: str | None = None,
        error: str | None = None,
    ) -> None:
        """Record a row's outcome (committed with the next commit)."""
        self._pending.append((_RECORD, (line, digest, state, client_id, error, time.time())))
        self._uncommitted += 1

    def forget(self, lines: Iterable[int]) -> None:
        """Drop rows the provider refused as a whole (bad credential): they were not
        created, and the next run sends them as new rows."""
        self._pending.extend((_FORGET, (line,)) for line in lines)
        self._uncommitted += 1

    def _flush(self) -> None:
        """Write the queued writes, in order, into the open transaction."""
        if not self._pending:
            return
        if not self._db.in_transaction:
            self._db.execute("BEGIN")
        pending, self._pending = self._pending, []
        written = 0
        try:
            for statement, group in itertools.groupby(pending, key=operator.itemgetter(0)):
                parameters = [parameters for _, parameters in group]
                self._db.executemany(statement, parameters)
                written += len(parameters)
        except BaseException:
            # Keep what was not written (disk full...): a later commit or close tries again.
            self._pending = pending[written:] + self._pending
            raise

    def commit(self) -> None:
        """Write the queued writes and commit them."""
        self._flush()
        if self._db.in_transaction:
            self._db.execute("COMMIT")
        self._uncommitted = 0
        self._last_commit = time.monotonic()

    def maybe_commit(self) -> None:
        """Commit when enough outcomes or time have gathered (keeps a resume accurate)."""
        if self._uncommitted >= COMMIT_ROWS or (
            self._uncommitted and time.monotonic() - self._last_commit >= COMMIT_INTERVAL
        ):
            self.commit()

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _check_meta(path: Path, meta: dict[str, str], *, target: str, layout: str, source: str) -> None:
    if meta.get("schema") != SCHEMA_VERSION:
        raise ImportSetupError(
            f"the journal {path} was written by another version of clientbridge "
            f"(schema {meta.get('schema')!r}); finish that import with it, or pass another "
            "--journal path"
        )
    if meta.get("target") != target:
        raise ImportSetupError(
            f"the journal {path} records an import into {meta.get('target')}, but this "
            f"command imports into {target}. Pass --journal with a new path for another "
            "target (keep the old journal: it is what stops a client being created twice)."
        )
    if meta.get("layout") != layout:
        raise ImportSetupError(
            f"the columns of {source} changed since the journal {path} was written (for "
            f"{meta.get('source')}), so its rows cannot be matched. Restore the original "
            "header, or pass --journal with a new path to import the file as new rows."
        )
