"""The clients index: one row per client a request was about, with what each back-office did
for it; fed the events in order, so a view's cost follows the rows it shows, not the log's
size."""

from __future__ import annotations

from collections import OrderedDict

import attrs

from clientbridge.sandbox.emulators.base import Outcome
from clientbridge.sandbox.inspector.event import Event


@attrs.define
class Cell:
    """What one back-office did for one client: its latest create (else its latest
    request), and how many requests it took."""

    event: Event
    requests: int
    #: the create's outcome for this client (None: no create, only look-ups)
    outcome: Outcome | None


@attrs.define
class ClientRow:
    key: str
    cells: dict[str, Cell]
    #: the newest event's number
    last: int


class ClientIndex:
    """One row per client key, most recently seen last; fed the events in order."""

    def __init__(self) -> None:
        self.rows: OrderedDict[str, ClientRow] = OrderedDict()
        self.seen = 0  # the number of the last event fed

    def feed(self, event: Event) -> None:
        self.seen = event.number
        for key in event.client_keys:
            row = self.rows.get(key)
            if row is None:
                row = self.rows[key] = ClientRow(key, {}, event.number)
            else:
                self.rows.move_to_end(key)
            row.last = event.number
            previous = row.cells.get(event.provider)
            count = 1 if previous is None else previous.requests + 1
            if event.outcome is None and previous is not None and previous.outcome is not None:
                # A later look-up does not hide what the create did.
                previous.requests = count
                continue
            outcome = None if event.outcome is None else event.outcome.for_client(key)
            row.cells[event.provider] = Cell(event, count, outcome)


def copy_row(row: ClientRow) -> ClientRow:
    """A row as it is now (the index goes on changing it)."""
    cells = {name: attrs.evolve(cell) for name, cell in row.cells.items()}
    return ClientRow(row.key, cells, row.last)
