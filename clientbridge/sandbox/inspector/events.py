"""The event log: every request an emulator answered, credentials masked, newest kept.

Events are masked when they are first read (`masking`: a credential never reaches a view,
so no view of it can leak one); the client keys a view groups by are read from the bodies
at the same time, once per event (`event`), and the clients index (`clients`) is brought up
to date from the events it has not seen yet: a view's cost follows the rows it shows, not
the log's size. The names of those rooms are exported here too.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from clientbridge.sandbox.emulators.base import Outcome
from clientbridge.sandbox.inspector.clients import Cell, ClientIndex, ClientRow, copy_row
from clientbridge.sandbox.inspector.event import (
    CLIENT_ID_KEYS,
    ORGANISATION_KEYS,
    OUTCOME_CHOICES,
    Event,
    RequestFilter,
)
from clientbridge.sandbox.inspector.masking import MAX_BODY_CHARS, Entry, Masker

__all__ = [
    "CLIENT_ID_KEYS",
    "MAX_BODY_CHARS",
    "ORGANISATION_KEYS",
    "OUTCOME_CHOICES",
    "Cell",
    "ClientRow",
    "Event",
    "EventLog",
    "Masker",
    "RequestFilter",
    "Window",
]


@attrs.frozen
class Window:
    """One page of a view: the items shown, and where they sit in the whole."""

    items: Sequence[Any]
    #: how many items the view has (all pages)
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


class EventLog:
    """The newest ``capacity`` events, with totals that count every event since the start
    (or the last `clear`). Thread-safe; ``version`` changes whenever what a view shows may,
    and `wait_for_change` lets a push stream sleep until it does.

    Events come out masked (`events`): credentials never reach a view. Masking is done
    when an event is first read, not when it is written, so serving costs a few
    microseconds a request whether or not the page is open.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._entries: deque[Entry] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._next_number = 1
        self._version = 0
        self._closed = False
        #: per provider, counts by counter name
        self._totals: dict[str, Counter[str]] = {}
        self._index = ClientIndex()
        self._index_lock = threading.Lock()

    @property
    def version(self) -> int:
        return self._version

    def touch(self) -> None:
        """Say that something the views show changed outside the log (settings, records)."""
        with self._lock:
            self._version += 1
            self._changed.notify_all()

    def wait_for_change(self, version: int, timeout: float) -> int:
        """The version once it differs from ``version`` (or after ``timeout`` seconds, or
        once the log is closed)."""
        with self._lock:
            self._changed.wait_for(lambda: self._version != version or self._closed, timeout)
            return self._version

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Wake every stream waiting for a change, for good (the server is stopping)."""
        with self._lock:
            self._closed = True
            self._changed.notify_all()

    def record(
        self,
        *,
        provider: str,
        kind: str,
        method: str,
        target: str,
        header_names: Sequence[str],
        headers: Mapping[str, str],
        request_body: bytes | None,
        status: int,
        answer_headers: Sequence[tuple[str, str]],
        answer_body: bytes,
        outcome: Outcome | None,
        fault: str | None,
        delay: float,
        masker: Masker,
    ) -> None:
        """Keep one answered request (``headers`` by lower-case name, ``header_names`` as
        sent; ``masker`` masks the credentials when the event is first read)."""
        when = time.time()
        status_class = "dropped" if status == 0 else _STATUS_CLASSES.get(status // 100, "other")
        with self._lock:
            number = self._next_number
            self._next_number += 1
            self._entries.append(
                Entry(
                    (
                        number,
                        when,
                        provider,
                        kind,
                        method,
                        target,
                        header_names,
                        headers,
                        request_body,
                        status,
                        answer_headers,
                        answer_body,
                        outcome,
                        fault,
                        delay,
                        masker,
                    )
                )
            )
            self._version += 1
            totals = self._totals.get(provider)
            if totals is None:
                totals = self._totals[provider] = Counter()
            totals["requests"] += 1
            totals[kind] += 1
            totals[status_class] += 1
            if status == 429:
                totals["429"] += 1
            if fault is not None:
                totals["faults"] += 1
            if outcome is not None:
                totals[outcome.kind] += 1
            self._changed.notify_all()

    def _snapshot(self) -> list[Entry]:
        with self._lock:
            return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def events(self) -> list[Event]:
        """The events kept, oldest first, credentials masked."""
        return [entry.masked() for entry in self._snapshot()]

    def get(self, number: int) -> Event | None:
        """Event ``number``, while it is kept."""
        entries = self._snapshot()
        if not entries:
            return None
        position = number - entries[0].masked().number
        if 0 <= position < len(entries):
            event = entries[position].masked()
            if event.number == number:
                return event
        return None

    def requests(self, chosen: RequestFilter, *, page: int = 1, size: int = 50) -> Window:
        """Page ``page`` of the events ``chosen`` keeps, newest first."""
        entries = self._snapshot()
        start = (max(1, page) - 1) * size
        if not chosen:
            end = max(0, len(entries) - start)
            newest = entries[max(0, end - size) : end]
            shown = [entry.masked() for entry in reversed(newest)]
            return Window(shown, len(entries), page, size)
        events = map(Entry.masked, reversed(entries))
        matching = [event for event in events if chosen.matches(event)]
        return Window(matching[start : start + size], len(matching), page, size)

    def clients(self, *, text: str = "", page: int = 1, size: int = 50) -> Window:
        """Page ``page`` of the clients (most recently seen first), those whose key
        contains ``text`` when given."""
        entries = self._snapshot()
        with self._index_lock:
            index = self._index
            if entries:
                # Numbers follow each other: the events not fed yet are the last ones.
                unseen = entries[-1].masked().number - index.seen
                for entry in entries[max(0, len(entries) - unseen) :] if unseen > 0 else ():
                    index.feed(entry.masked())
            needle = text.casefold()
            rows: Iterable[ClientRow] = reversed(index.rows.values())
            if needle:
                rows = [row for row in rows if needle in row.key.casefold()]
                total = len(rows)
            else:
                total = len(index.rows)
            start = (max(1, page) - 1) * size
            shown = [copy_row(row) for row in _slice(rows, start, size)]
        return Window(shown, total, page, size)

    def totals(self, provider: str) -> dict[str, int]:
        """How many requests ``provider`` answered, by counter (``requests``, ``create``,
        ``look-up``, ``other``, ``2xx``, ``4xx``, ``429``, ``5xx``, ``dropped``, ``faults``,
        and each create outcome: ``created``, ``partial``, ``refused``, ``not_processed``)."""
        with self._lock:
            return dict(self._totals.get(provider, {}))

    def clear(self) -> None:
        """Forget every event and total."""
        with self._index_lock, self._lock:
            self._entries.clear()
            self._totals.clear()
            self._version += 1
            self._index = ClientIndex()
            self._index.seen = self._next_number - 1
            self._changed.notify_all()


def _slice(rows: Iterable[ClientRow], start: int, size: int) -> list[ClientRow]:
    import itertools

    return list(itertools.islice(rows, start, start + size))


_STATUS_CLASSES = {1: "1xx", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}
