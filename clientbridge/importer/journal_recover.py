"""Recovering a damaged journal: what it can still read, and what the provider says of the
rest, in a new journal; the damaged one is kept beside it.

The rows a damaged journal lost are the file's rows it no longer holds: each was never
sent, or sent (and maybe created) by a run the journal no longer remembers. Only the
provider can say which: where it can be asked whether a client exists, each lost row is
looked up (found once: journaled created with its id; not found: not created, and sent by
the next run; found several times: unknown). Where it refuses a second client with the
same email, the lost rows are journaled unknown: the next run sends them again and the
provider's answer settles each. Where it can be asked neither way, nothing is written:
the journal cannot know what it lost, and guessing would create clients twice or never.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections import Counter
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from clientbridge.errors import ClientBridgeError
from clientbridge.importer.advice import LIBRARY_ADVICE
from clientbridge.importer.errors import ImportSetupError
from clientbridge.importer.identity import identify
from clientbridge.importer.journal_check import RowRecord, inspect, read_rows
from clientbridge.importer.journal_schema import SCHEMA_VERSION, SINGLE, create_journal, target_key
from clientbridge.importer.options import Target
from clientbridge.importer.outputs import journal_files
from clientbridge.importer.source import Source, SourceRow
from clientbridge.importer.states import RowState
from clientbridge.model import Client

if TYPE_CHECKING:
    from clientbridge.connection import Connection

__all__ = ["Recovery", "recover_journal"]


@attrs.frozen(kw_only=True)
class Recovery:
    """What `recover_journal` did."""

    journal: Path
    #: where the damaged journal was kept
    damaged: Path
    #: rows read back from the damaged journal, per state
    recovered: dict[str, int]
    #: rows of the file the damaged journal no longer held (valid ones: an invalid row is
    #: never sent)
    lost: int
    #: ... found in the provider (journaled created)
    found: int = 0
    #: ... not found (not created: sent by the next run)
    not_found: int = 0
    #: ... journaled unknown (found several times, or to be settled by sending again)
    unknown: int = 0


def _lost_rows(source: Source, recovered: Iterable[RowRecord]) -> list[SourceRow]:
    held = {record[1] for record in recovered}
    return [
        row for row in identify(source.rows()) if row.key not in held and row.client is not None
    ]


def recover_journal(path: Path, source: Source, target: Target) -> Recovery:
    """Rebuild the damaged journal at ``path`` for ``source`` imported into ``target``.

    Raises `ImportSetupError` when the journal is whole (nothing to recover), is of
    another target, file or kind of import, or lost rows that ``target`` cannot be asked
    about. Look-ups only read; nothing is created.
    """
    health = inspect(path)
    if health.status in ("ok", "missing", "not a journal", "in use"):
        what = "is whole: there is nothing to recover" if health.ok else health.problems[0]
        raise ImportSetupError(f"the journal {path} {what}")
    meta = health.meta
    if meta.get("schema", SCHEMA_VERSION) != SCHEMA_VERSION:
        raise ImportSetupError(
            f"the journal {path} was written by an earlier version of clientbridge "
            f"(schema {meta.get('schema')!r}): recover it with that version"
        )
    if any(key.startswith("target:") for key in meta):
        raise ImportSetupError(
            f"the journal {path} records an import into several connections; it can be "
            "recovered one target at a time only, which is not supported yet"
        )
    recorded = meta.get(target_key(SINGLE))
    if recorded is not None and recorded != target.fingerprint:
        raise ImportSetupError(
            f"the journal {path} records an import into {recorded}, not {target.fingerprint}: "
            "recover it with the target it was written for"
        )
    if meta.get("layout") not in (None, source.layout):
        raise ImportSetupError(
            f"the columns of {source.path} are not those the journal {path} was written for "
            f"({meta.get('source')}): recover it with that file"
        )
    try:
        records = [record for record in read_rows(path) if record[0] == SINGLE]
    except sqlite3.DatabaseError:
        records = []  # an emptied journal, or no row readable: every row is lost
    lost = _lost_rows(source, records)
    recovery = Recovery(
        journal=path,
        damaged=_damaged_name(path),
        recovered=dict(Counter(record[4] for record in records)),
        lost=len(lost),
    )
    settled: list[RowRecord] = []
    if lost:
        recovery, settled = _reconcile(recovery, lost, records, target)
    _replace(path, recovery.damaged, [*records, *settled], target, source)
    return recovery


def _reconcile(
    recovery: Recovery, lost: list[SourceRow], records: list[RowRecord], target: Target
) -> tuple[Recovery, list[RowRecord]]:
    """Ask the provider about the lost rows; the rows to journal for them."""
    now = time.time()
    note = "lost from a damaged journal"
    with target.connect() as conn:
        provider = conn.display_name
        capabilities = conn.capabilities
        if capabilities.find_existing:
            rows, clients = _valid(conn, lost)
            try:
                matches = conn.find_existing(clients)
            except ClientBridgeError as error:
                raise ImportSetupError(
                    f"the journal lost {len(lost):,} rows and a look-up in {provider} to find "
                    f"out which were created failed ({error}); nothing was written. Run it "
                    "again once the provider can be reached"
                ) from None
        elif capabilities.unique_email:
            settled = [
                _record(
                    row,
                    RowState.UNKNOWN,
                    now,
                    f"{note}: sent again, {provider} refuses a duplicate",
                )
                for row in lost
            ]
            return attrs.evolve(recovery, unknown=len(settled)), settled
        else:
            raise ImportSetupError(
                f"the journal lost {len(lost):,} rows of the file (the first on line "
                f"{lost[0].line}): each was never sent, or sent by a run the journal no "
                f"longer remembers. {provider} cannot be asked which clients exist, so the "
                "journal cannot be rebuilt without guessing; nothing was written. Check "
                f"those rows in {provider}, then import the rows not there from a file "
                "holding only them"
            )
    claimed = {record[5] for record in records if record[5]}
    found_ids = Counter(match.id for found in matches for match in found)
    settled = []
    found = unknown = 0
    for row, found_here in zip(rows, matches, strict=True):
        free = [match for match in found_here if match.id not in claimed]
        if not free:
            continue  # not created: the next run sends it
        if len(free) == 1 and found_ids[free[0].id] == 1:
            message = f"{note}: found in {provider} as {free[0].id} by a look-up"
            settled.append(_record(row, RowState.CREATED, now, message, client_id=free[0].id))
            found += 1
        else:
            ids = ", ".join(match.id for match in free[:5])
            message = f"{note}: a look-up in {provider} found {ids}: check which is this row's"
            settled.append(_record(row, RowState.UNKNOWN, now, message))
            unknown += 1
    not_found = len(rows) - found - unknown
    return attrs.evolve(recovery, found=found, not_found=not_found, unknown=unknown), settled


def _valid(conn: Connection, lost: list[SourceRow]) -> tuple[list[SourceRow], list[Client]]:
    """The lost rows the adapter accepts (a row it refuses was never sent)."""
    rows: list[SourceRow] = []
    clients: list[Client] = []
    for row in lost:
        assert row.client is not None
        try:
            conn.validate(row.client)
        except ClientBridgeError:
            continue
        rows.append(row)
        clients.append(row.client)
    return rows, clients


def _record(
    row: SourceRow, state: RowState, now: float, error: str, *, client_id: str | None = None
) -> RowRecord:
    return (SINGLE, row.key, row.line, row.digest, state.value, client_id, error, 1, now)


def _damaged_name(path: Path) -> Path:
    candidate = path.with_name(path.name + ".damaged")
    number = 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}.damaged-{number}")
    return candidate


def _replace(
    path: Path, damaged: Path, records: list[RowRecord], target: Target, source: Source
) -> None:
    """Write the new journal beside ``path``, move the damaged one (and its side files)
    to ``damaged``, and put the new one in its place."""
    staging = path.with_name(f".{path.name}.recovered")
    for stale in journal_files(staging):
        stale.unlink(missing_ok=True)
    create_journal(
        staging,
        targets={SINGLE: target.fingerprint},
        layout=source.layout,
        source=str(source.path),
        advice=LIBRARY_ADVICE,
    )
    with closing(sqlite3.connect(staging, isolation_level=None)) as db:
        db.execute("BEGIN IMMEDIATE")
        db.executemany(
            "INSERT OR REPLACE INTO rows (connection, key, row, digest, state, client_id, "
            "error, attempts, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            records,
        )
        db.execute("COMMIT")
    for old, new in zip(journal_files(path), journal_files(damaged), strict=True):
        if old.exists():
            os.replace(old, new)
    os.replace(staging, path)
