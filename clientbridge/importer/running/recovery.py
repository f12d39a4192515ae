"""Resume: before anything is sent, settle what can be settled about the rows an earlier
run left ``sending`` or ``unknown``.

Where the provider can be asked (`Capabilities.find_existing`), the rows are looked up
(read-only). A row whose client is found once, and claimed by no other row, is journaled
created with that id (so it is reported ``skipped``). A row not found is not created once
its request has had time to arrive: the *settle window* (the connection's timeout plus a
margin, or as given) counted from the last time the journal was written, which is after
every earlier request was marked sent. Rows not found inside the window are looked up
again once it has passed (the run waits, saying so); those still not found are sent.
Rows found several times, claimed by another row, or whose look-up failed stay unknown,
with what the look-up said.

With a retry of unknown rows asked for, the unknown rows are read again even where the
provider cannot be asked, so that the run knows, before anything is sent, which of them a
retry would send without any check.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from clientbridge.errors import ClientBridgeError
from clientbridge.importer.errors import LIBRARY_ADVICE, ImportSetupError
from clientbridge.importer.reading.source import Source, SourceRow
from clientbridge.importer.rows import RowState
from clientbridge.importer.rows.check import RowRecord, inspect, journal_files, read_rows
from clientbridge.importer.rows.schema import (
    SCHEMA_VERSION,
    SINGLE,
    create_journal,
    identify,
    target_key,
)
from clientbridge.importer.running.options import Target
from clientbridge.model import Client
from clientbridge.settle import Action, Settling, after_not_found, settling

if TYPE_CHECKING:
    from clientbridge.connection import AsyncConnection, Connection
    from clientbridge.importer.reading.source import Source, SourceRow
    from clientbridge.importer.reporting.summary import ImportSummary
    from clientbridge.importer.rows.journal import Journal
    from clientbridge.model import Client

__all__ = [
    "JournalRecovery",
    "Recovery",
    "look_up_earlier_unknowns",
    "prepare_again",
    "recover_journal",
]


#: Called with the seconds left of the settle window and the rows waiting for it; returns
#: False when the import was stopped meanwhile.
Waiter = Callable[[float, int], Awaitable[bool]]


@attrs.define
class Recovery:
    """What was found out about the rows an earlier run left unknown (by identity)."""

    #: the unknown rows read again: unchanged and valid (the others cannot have been sent)
    rows: list[SourceRow] = attrs.field(factory=list)
    #: the unknown rows as the journal has them (identity -> digest)
    unresolved: dict[str, str] = attrs.field(factory=dict)
    #: the file could be read again (a stream cannot: its unknown rows cannot be checked)
    read_again: bool = False
    #: what the look-up said about the rows that stay unknown
    said: dict[str, str] = attrs.field(factory=dict)
    #: found at the provider (journaled created)
    found: set[str] = attrs.field(factory=set)
    #: not found at the provider once the settle window had passed: not created, sent
    not_found: set[str] = attrs.field(factory=set)


async def look_up_earlier_unknowns(
    conn: AsyncConnection,
    journal: Journal | None,
    source: Source,
    summary: ImportSummary,
    *,
    window: float,
    wait: Waiter,
    read_again: bool = False,
) -> Recovery:
    """Look up the rows an earlier run left unknown, waiting out the settle window where
    a row was not found yet. The rows found are journaled created (and committed).
    ``read_again``: read the unknown rows again even where the provider cannot be asked."""
    recovery = Recovery()
    if journal is None:
        return recovery
    asked = settling(conn.capabilities) is Settling.LOOK_UP
    if not (asked or read_again):
        return recovery
    recovery.unresolved = unresolved = journal.unresolved()
    if not unresolved or not source.rereadable:  # a stream is read once
        return recovery
    last_written = journal.last_written()  # before this run writes anything
    rows, batch = prepare_again(conn, source, unresolved)
    recovery.rows, recovery.read_again = rows, True
    if asked and batch:
        summary.looked_up = len(rows)
        missing = await _look_up(conn, journal, rows, batch, summary, recovery)
        step = after_not_found(
            attempted_at=last_written or 0.0, window=window, now=time.time(), resend=False
        )
        if missing and step.action is Action.WAIT:
            assert step.retry_after is not None
            if await wait(step.retry_after, len(missing)):
                again = [row.client for row in missing if row.client is not None]
                missing = await _look_up(conn, journal, missing, again, summary, recovery)
            else:
                for row in missing:
                    recovery.said[row.key] = (
                        f"a look-up in {conn.display_name} did not find it yet, but the "
                        "import stopped before the settle window had passed (its request "
                        "may still have been on its way)"
                    )
                missing = []
        for row in missing:
            recovery.said.pop(row.key, None)
            recovery.not_found.add(row.key)
        journal.commit()
    return recovery


async def _look_up(
    conn: AsyncConnection,
    journal: Journal,
    rows: list[SourceRow],
    batch: list[Client],
    summary: ImportSummary,
    recovery: Recovery,
) -> list[SourceRow]:
    """Ask about ``rows`` (their clients ``batch``): journal those found, say what the
    look-up found about the others; the rows not found."""
    provider = conn.display_name
    try:
        matches = await conn.find_existing(batch)
    except ClientBridgeError as error:
        reason = str(error).rstrip(".")
        for row in rows:
            recovery.said[row.key] = f"a look-up in {provider} failed ({reason})"
        return []
    claimed = journal.claimed_client_ids({r.id for found in matches for r in found})
    matches = [[r for r in found if r.id not in claimed] for found in matches]
    rows_per_client = Counter(r.id for found in matches for r in found)
    missing: list[SourceRow] = []
    for row, matched in zip(rows, matches, strict=True):
        if not matched:
            recovery.said[row.key] = f"a look-up in {provider} found no client matching it"
            missing.append(row)
        elif len(matched) > 1:
            recovery.said[row.key] = (
                f"a look-up in {provider} found {len(matched)} clients matching it "
                f"({', '.join(r.id for r in matched[:5])}): check which one is this row's"
            )
        elif rows_per_client[matched[0].id] > 1:
            recovery.said[row.key] = (
                f"a look-up in {provider} found {matched[0].id}, which matches other unknown "
                "rows too: check which row it is"
            )
        else:
            note = (
                f"found in {provider} as {matched[0].id} by a look-up: an earlier run created "
                "it but did not get the answer"
            )
            journal.record(
                row.key, row.line, row.digest, RowState.CREATED, client_id=matched[0].id, error=note
            )
            recovery.said.pop(row.key, None)
            recovery.found.add(row.key)
            summary.found_by_lookup += 1
    return missing


def prepare_again(
    conn: AsyncConnection, source: Source, keys: dict[str, str]
) -> tuple[list[SourceRow], list[Client]]:
    """The rows of ``keys`` (identity -> digest) read again from the file, unchanged and
    valid (an invalid row cannot have been sent), with their clients."""
    from clientbridge.importer.rows.schema import identify

    rows: list[SourceRow] = []
    batch: list[Client] = []
    left = len(keys)
    with source.reopen() as again:
        for row in identify(again.rows()):
            digest = keys.get(row.key)
            if digest is None:
                continue
            left -= 1
            if row.client is not None and digest == row.digest:
                try:
                    conn.validate(row.client)
                except ClientBridgeError:
                    pass
                else:
                    batch.append(row.client)
                    rows.append(row)
            if not left:
                break
    return rows, batch


@attrs.frozen(kw_only=True)
class JournalRecovery:
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


def recover_journal(path: Path, source: Source, target: Target) -> JournalRecovery:
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
    recovery = JournalRecovery(
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
    recovery: JournalRecovery, lost: list[SourceRow], records: list[RowRecord], target: Target
) -> tuple[JournalRecovery, list[RowRecord]]:
    """Ask the provider about the lost rows; the rows to journal for them."""
    now = time.time()
    note = "lost from a damaged journal"
    with target.connect() as conn:
        provider = conn.display_name
        way = settling(conn.capabilities)
        if way is Settling.LOOK_UP:
            rows, clients = _valid(conn, lost)
            try:
                matches = conn.find_existing(clients)
            except ClientBridgeError as error:
                raise ImportSetupError(
                    f"the journal lost {len(lost):,} rows and a look-up in {provider} to find "
                    f"out which were created failed ({error}); nothing was written. Run it "
                    "again once the provider can be reached"
                ) from None
        elif way is Settling.RESEND:
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
