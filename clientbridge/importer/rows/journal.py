"""The import journal: an SQLite file that remembers what happened to every row.

It is what makes an interrupted import safe to run again. A row is written ``sending``
and committed *before* its request leaves, and gets its outcome (``created`` with the
provider's id, ``failed``, or ``unknown`` when the request may have reached the provider)
afterwards. A crash between the two leaves the row ``sending``: the next run reports it as
unknown and never sends it again on its own.

Rows are keyed by their identity (`clientbridge.importer.rows.schema`: the external id, else
the content; never the line, so inserting, deleting or moving rows between runs sends no
row twice) and, for an import into several connections at once, the connection (one state
per row and connection). Each holds a digest of the row's content, so a row that changed
under the same external id is noticed, and the line it was on, for people. The journal
also records the target (provider, connection, base URL) and the file's header; a journal
of another target or layout is refused. WAL mode with ``synchronous=NORMAL`` keeps commits
cheap and survives a killed process; the file is locked while an import runs, so two
imports cannot share it.
"""

from __future__ import annotations

import itertools
import operator
import sqlite3
import time
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from types import TracebackType

from clientbridge.importer.errors import LIBRARY_ADVICE, Advice, ImportSetupError
from clientbridge.importer.rows import RowState
from clientbridge.importer.rows.check import (
    JournalDamagedError,
    JournalLostError,
    JournalWriteError,
    WalWatch,
    check_existing,
    check_integrity,
)
from clientbridge.importer.rows.schema import (
    FORGET,
    MARK,
    RECORD,
    ROWS_TABLE,
    SCHEMA,
    SCHEMA_VERSION,
    SINGLE,
    UPGRADE_FROM_1,
    IdentifiedRows,
    JournalEntry,
    check_meta,
    create_journal,
    target_key,
    upgrade_from_2,
)

__all__ = ["SINGLE", "Journal", "JournalEntry"]

#: Outcomes are committed at least this often (they are also committed before each send).
COMMIT_INTERVAL = 1.0
COMMIT_ROWS = 5000


class _Store:
    """What the journals of one file share: the SQLite connection and the writes queued."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self.db = db
        self.path = path
        self.wal = WalWatch(path)
        #: what happened to the write-ahead log (set once it was removed or replaced)
        self.wal_lost: str | None = None
        #: writes given to SQLite in the open transaction (queued again if it is lost)
        self.written: list[tuple[str, tuple[object, ...]]] = []
        self.uncommitted = 0
        self.last_commit = time.monotonic()
        #: writes not yet given to SQLite: (statement, parameters), in order
        self.pending: list[tuple[str, tuple[object, ...]]] = []


class Journal:
    """One import's journal. Open it with `Journal.open`; close it when done.

    An import into several connections opens the file once (`Journal.open` with
    ``targets``) and gives each connection's run `for_connection`: the rows of one
    connection never mix with another's.
    """

    def __init__(self, path: Path, store: _Store, *, empty: bool, connection: str = SINGLE) -> None:
        self.path = path
        self._store = store
        self._db = store.db
        self.connection = connection
        #: True when no row has been journaled yet for this connection (look-ups can be
        #: skipped)
        self.empty = empty
        #: connection -> the target the journal recorded before it was bound to this
        #: import's (it held no row that was created or may have been)
        self.rebound: dict[str, str] = {}
        #: rows an earlier run sent (created, or may have), and how many of them this
        #: run's reading has met so far (see `missing`)
        self._sent_before = 0 if empty else self._count_sent()
        self._met = 0

    def for_connection(self, connection: str) -> Journal:
        """The journal of one connection of this file (sharing its lock and commits)."""
        self.flush()
        empty = (
            self._db.execute(
                "SELECT NOT EXISTS (SELECT 1 FROM rows WHERE connection = ?)", (connection,)
            ).fetchone()[0]
            == 1
        )
        return Journal(self.path, self._store, empty=empty, connection=connection)

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        target: str | None = None,
        targets: Mapping[str, str] | None = None,
        layout: str,
        source: str,
        identified: IdentifiedRows | None = None,
        advice: Advice = LIBRARY_ADVICE,
    ) -> Journal:
        """Open or create the journal at ``path`` for ``target`` (or, for an import into
        several connections, ``targets``: connection name -> target) and a file ``layout``.
        ``advice`` words the remedies of its errors.

        A journal written by an earlier version, which knew rows by their line, is
        converted with ``identified``: it reads the file and gives each row's line,
        digest and identity.

        Raises `ImportSetupError` when the journal belongs to another target or file
        layout, is in use by another import, or cannot be converted; `JournalDamagedError`
        when an existing file is empty, not a journal, or damaged (it is never taken for a
        new journal). A journal of another target that holds no row created there, or that
        may have been, is bound to this one (`rebound` says so).
        """
        if (target is None) == (targets is None):
            raise TypeError("give target or targets")
        wanted = {SINGLE: target} if target is not None else dict(targets or {})
        file = Path(path)
        # An empty file, or another program's, is never taken for a new journal.
        check_existing(file, advice.another_journal)
        if not file.exists():
            create_journal(file, targets=wanted, layout=layout, source=source, advice=advice)
        try:
            db = sqlite3.connect(file, isolation_level=None, timeout=0.2)
        except sqlite3.Error as error:
            raise ImportSetupError(
                f"cannot open the journal {file} ({error}); check the file's permissions"
            ) from None
        try:
            # Exclusive: the lock is held until close, so a second import of the same
            # journal is refused instead of sending the same rows twice.
            db.execute("PRAGMA locking_mode=EXCLUSIVE")
            # Before anything is written into it.
            check_integrity(db, file, advice.another_journal)
            mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise ImportSetupError(
                    f"the journal {file} cannot use WAL mode (the file system refused it); "
                    f"{advice.journal_on_local_disk}"
                )
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("BEGIN IMMEDIATE")
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
            if meta.get("schema") == "1":
                for statement in UPGRADE_FROM_1:
                    db.execute(statement)
                meta["schema"] = "2"
            if meta.get("schema") == "2":
                # The right target and file before the file is read to re-key the rows.
                check_meta(
                    db,
                    file,
                    {**meta, "schema": SCHEMA_VERSION},
                    targets=wanted,
                    layout=layout,
                    source=source,
                    advice=advice,
                )
                upgrade_from_2(db, file, identified, source=source, rows_table=ROWS_TABLE)
                meta["schema"] = SCHEMA_VERSION
            for statement in SCHEMA:
                db.execute(statement)
            rebound = check_meta(
                db, file, meta, targets=wanted, layout=layout, source=source, advice=advice
            )
            empty = db.execute("SELECT NOT EXISTS (SELECT 1 FROM rows)").fetchone()[0] == 1
            # A connection new to a journal of several connections is added to it.
            db.executemany(
                "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                [(target_key(name), fingerprint) for name, fingerprint in wanted.items()],
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
                f"cannot use the journal {file} ({error}); nothing was sent. Check the disk and "
                "the file's permissions, then run again"
            ) from None
        except sqlite3.DatabaseError as error:
            db.close()
            raise JournalDamagedError(file, f"cannot be read ({error})") from None
        except BaseException:
            db.close()
            raise
        journal = cls(file, _Store(db, file), empty=empty)
        journal.rebound = rebound
        return journal

    # ------------------------------------------------------------------ reading

    def previous(self, key: str) -> JournalEntry | None:
        """What an earlier run recorded for the row whose identity is ``key``."""
        if self.empty:
            return None
        self.flush()
        found = self._db.execute(
            "SELECT row, digest, state, client_id, error FROM rows "
            "WHERE connection = ? AND key = ?",
            (self.connection, key),
        ).fetchone()
        if found is None:
            return None
        line, digest, state, client_id, error = found
        entry = JournalEntry(line, digest, state, client_id, error, key=key)
        if entry.state != RowState.FAILED:
            self._met += 1
        return entry

    def _count_sent(self) -> int:
        self.flush()
        (count,) = self._db.execute(
            "SELECT count(*) FROM rows WHERE connection = ? AND state != ?",
            (self.connection, RowState.FAILED),
        ).fetchone()
        return int(count)

    def missing(self) -> int:
        """How many rows an earlier run sent (created, or may have) were not met by
        `previous` in this run: after a whole reading of the file, the rows deleted from it,
        or edited (an edited row without an external id is another row)."""
        return max(0, self._sent_before - self._met)

    def unresolved(self) -> dict[str, str]:
        """The rows an earlier run left ``sending`` or ``unknown``: identity → digest."""
        if self.empty:
            return {}
        self.flush()
        found = self._db.execute(
            "SELECT key, digest FROM rows WHERE connection = ? AND state IN (?, ?) ORDER BY row",
            (self.connection, RowState.SENDING, RowState.UNKNOWN),
        ).fetchall()
        return dict(found)

    def last_written(self) -> float | None:
        """When a row of this connection was last written (seconds since the epoch; None
        when there is none): every row an earlier run marked ``sending`` was marked by then."""
        if self.empty:
            return None
        self.flush()
        found = self._db.execute(
            "SELECT MAX(updated_at) FROM rows WHERE connection = ?", (self.connection,)
        ).fetchone()[0]
        return None if found is None else float(found)

    def claimed_client_ids(self, client_ids: Collection[str]) -> set[str]:
        """Which of ``client_ids`` the journal records as some row's client (in this
        connection)."""
        self.flush()
        ids = list(client_ids)
        claimed: set[str] = set()
        for start in range(0, len(ids), 500):  # SQLite caps the parameters of one query
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            query = f"SELECT client_id FROM rows WHERE connection = ? AND client_id IN ({marks})"
            claimed.update(found for (found,) in self._db.execute(query, [self.connection, *chunk]))
        return claimed

    # ------------------------------------------------------------------ writing
    #
    # Writes are queued in memory and written in one `executemany` per run of the same
    # kind when the journal commits (or before it is read): a row costs an append, not a
    # statement, and the order of the writes is kept. Nothing is lost that an open
    # transaction would have kept: uncommitted writes never survived a crash.

    def mark_sending(self, rows: Iterable[tuple[str, int, str]]) -> None:
        """Mark ``(identity, line, digest)`` rows as being sent. Commit before sending
        them."""
        now = time.time()
        here = self.connection
        self._store.pending.extend(
            (MARK, (here, key, line, digest, now)) for key, line, digest in rows
        )
        self._store.uncommitted += 1

    def record(
        self,
        key: str,
        line: int,
        digest: str,
        state: str,
        *,
        client_id: str | None = None,
        error: str | None = None,
    ) -> None:
        """Record the outcome of the row ``key`` (on ``line``), committed with the next
        commit."""
        parameters = (self.connection, key, line, digest, state, client_id, error, time.time())
        self._store.pending.append((RECORD, parameters))
        self._store.uncommitted += 1

    def forget(self, keys: Iterable[str]) -> None:
        """Drop rows the provider refused as a whole (bad credential): they were not
        created, and the next run sends them as new rows."""
        self._store.pending.extend((FORGET, (self.connection, key)) for key in keys)
        self._store.uncommitted += 1

    def flush(self) -> None:
        """Write the queued writes (of every connection), in order, into the open
        transaction. Raises `JournalWriteError` when SQLite cannot write them."""
        store = self._store
        if not store.pending:
            return
        pending, store.pending = store.pending, []
        written = 0
        try:
            if not self._db.in_transaction:
                self._db.execute("BEGIN")
            for statement, group in itertools.groupby(pending, key=operator.itemgetter(0)):
                parameters = [parameters for _, parameters in group]
                self._db.executemany(statement, parameters)
                written += len(parameters)
        except BaseException as error:
            # Keep what was not written (disk full...): a later commit or close tries again.
            store.written.extend(pending[:written])
            store.pending = pending[written:] + store.pending
            self._requeue_if_rolled_back()
            if isinstance(error, sqlite3.Error):
                raise self._write_error(error) from None
            raise
        store.written.extend(pending)

    def commit(self) -> None:
        """Write the queued writes (of every connection) and commit them.

        Raises `JournalWriteError` when they cannot be written (nothing committed is
        lost; what was not written stays queued), and `JournalLostError` when the
        journal's write-ahead log was removed or replaced: what it held is saved into the
        journal first.
        """
        store = self._store
        self.flush()
        if self._db.in_transaction:
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as error:
                self._requeue_if_rolled_back()
                raise self._write_error(error) from None
        store.written.clear()
        store.uncommitted = 0
        store.last_commit = time.monotonic()
        self._check_wal()

    def _requeue_if_rolled_back(self) -> None:
        """SQLite rolls a transaction back on some failures (a full disk): what it held
        is queued again, in order, for the next commit."""
        store = self._store
        if not self._db.in_transaction and store.written:
            store.pending = store.written + store.pending
            store.written = []

    def _write_error(self, error: sqlite3.Error) -> JournalWriteError:
        return JournalWriteError(
            f"cannot write the journal {self.path} ({error}): the disk may be full, or the "
            "file larger than this system allows. Nothing more was sent, and what the "
            "journal recorded is kept. Make room and run the same command again: it resumes "
            "where this run stopped (rows whose answer could not be recorded are reported "
            "unknown, never sent again on their own)"
        )

    def _check_wal(self) -> None:
        store = self._store
        if store.wal_lost is None:
            problem = store.wal.problem()
            if problem is None:
                return
            store.wal_lost = problem
        # Commits since the log's loss live only in the file SQLite still holds open:
        # copy them into the journal now (and after every later commit).
        try:
            self._db.execute("PRAGMA wal_checkpoint(FULL)").fetchall()
        except sqlite3.Error as error:
            raise self._write_error(error) from None
        raise JournalLostError(
            f"the journal's write-ahead log {store.wal.wal} {store.wal_lost} while the import "
            "ran (by another program, or a clean-up of temporary files). What it held was "
            f"saved into the journal {self.path}, and nothing more was sent. Find out what "
            "removes it, then run the same command again: it resumes where this run stopped"
        )

    def maybe_commit(self) -> None:
        """Commit when enough outcomes or time have gathered (keeps a resume accurate)."""
        store = self._store
        if store.uncommitted >= COMMIT_ROWS or (
            store.uncommitted and time.monotonic() - store.last_commit >= COMMIT_INTERVAL
        ):
            self.commit()

    def close(self) -> None:
        noticed = self._store.wal_lost is not None
        try:
            self.commit()
        except JournalLostError:
            if not noticed:
                raise
            # else saved into the journal by the commit, and said when it was noticed
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
