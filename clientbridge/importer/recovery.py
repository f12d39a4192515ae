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

import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import attrs

from clientbridge.errors import ClientBridgeError
from clientbridge.importer.states import RowState
from clientbridge.settle import Action, Settling, after_not_found, settling

if TYPE_CHECKING:
    from clientbridge.connection import AsyncConnection
    from clientbridge.importer.journal import Journal
    from clientbridge.importer.source import Source, SourceRow
    from clientbridge.importer.summary import ImportSummary
    from clientbridge.model import Client

__all__ = ["Recovery", "look_up_earlier_unknowns", "prepare_again"]

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
    from clientbridge.importer.identity import identify

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
