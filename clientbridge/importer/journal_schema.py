"""The journal file itself: its schema, how a new one is made whole or not at all, and
whether an existing one records this import (its target, layout and version).

`clientbridge.importer.journal` reads and writes the rows; this module decides whether a
file may be used at all.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Mapping
from pathlib import Path

from clientbridge.importer.advice import Advice
from clientbridge.importer.errors import ImportSetupError
from clientbridge.importer.journal_upgrade import ROWS_TABLE_2
from clientbridge.importer.outputs import journal_files
from clientbridge.importer.states import JOURNAL_STATES, RowState

__all__ = [
    "ROWS_TABLE",
    "SCHEMA",
    "SCHEMA_VERSION",
    "SINGLE",
    "UPGRADE_FROM_1",
    "check_meta",
    "create_journal",
    "target_key",
]

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
        if recorded is None or recorded == target:
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
