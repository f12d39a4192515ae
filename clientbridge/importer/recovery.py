"""Resume: before anything is sent, ask the provider about the rows an earlier run left
``sending`` or ``unknown``, where it can be asked (`Capabilities.find_existing`).

Look-ups only read. A row whose client is found once, and claimed by no other row, is
journaled created with that id (so it is reported ``skipped``); the others stay unknown
and are never sent on their own, with what the look-up said.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from clientbridge.errors import ClientBridgeError
from clientbridge.importer.states import RowState

if TYPE_CHECKING:
    from clientbridge.connection import AsyncConnection
    from clientbridge.importer.journal import Journal
    from clientbridge.importer.source import Source, SourceRow
    from clientbridge.importer.summary import ImportSummary
    from clientbridge.model import Client

__all__ = ["look_up_earlier_unknowns", "prepare_again"]


async def look_up_earlier_unknowns(
    conn: AsyncConnection, journal: Journal | None, source: Source, summary: ImportSummary
) -> dict[int, str]:
    """Look up the rows an earlier run left unknown; what the look-up said about each
    one still unknown (by line). The rows found are journaled created (and committed)."""
    looked_up: dict[int, str] = {}
    if journal is None or not conn.capabilities.find_existing:
        return looked_up
    unresolved = journal.unresolved()
    if not unresolved:
        return looked_up
    rows, batch = prepare_again(conn, source, unresolved)
    if not batch:
        return looked_up
    provider = conn.display_name
    summary.looked_up = len(rows)
    try:
        matches = await conn.find_existing(batch)
    except ClientBridgeError as error:
        reason = str(error).rstrip(".")
        for row in rows:
            looked_up[row.line] = f"a look-up in {provider} failed ({reason})"
        return looked_up
    claimed = journal.claimed_client_ids({r.id for found in matches for r in found})
    matches = [[r for r in found if r.id not in claimed] for found in matches]
    rows_per_client = Counter(r.id for found in matches for r in found)
    for row, found in zip(rows, matches, strict=True):
        if not found:
            looked_up[row.line] = (
                f"a look-up in {provider} found no client matching it, so it was probably "
                "not created"
            )
        elif len(found) > 1:
            looked_up[row.line] = (
                f"a look-up in {provider} found {len(found)} clients matching it "
                f"({', '.join(r.id for r in found[:5])}): check which one is this row's"
            )
        elif rows_per_client[found[0].id] > 1:
            looked_up[row.line] = (
                f"a look-up in {provider} found {found[0].id}, which matches other unknown "
                "rows too: check which row it is"
            )
        else:
            note = (
                f"found in {provider} as {found[0].id} by a look-up: an earlier run created "
                "it but did not get the answer"
            )
            journal.record(
                row.line, row.digest, RowState.CREATED, client_id=found[0].id, error=note
            )
            summary.found_by_lookup += 1
    journal.commit()
    return looked_up


def prepare_again(
    conn: AsyncConnection, source: Source, lines: dict[int, str]
) -> tuple[list[SourceRow], list[Client]]:
    """The rows of ``lines`` (line -> digest) read again from the file, unchanged and
    valid (an invalid row cannot have been sent), with their clients."""
    rows: list[SourceRow] = []
    batch: list[Client] = []
    last = max(lines)
    with source.reopen() as again:
        for row in again.rows(only=lines):
            if row.client is not None and lines[row.line] == row.digest:
                try:
                    conn.validate(row.client)
                except ClientBridgeError:
                    pass
                else:
                    batch.append(row.client)
                    rows.append(row)
            if row.line >= last:
                break
    return rows, batch
