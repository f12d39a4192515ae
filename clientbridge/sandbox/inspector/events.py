"""The event log: every request an emulator answered, credentials masked, newest kept.

Events are masked when they are first read (a credential never reaches a view, so no
view of it can leak one); the client keys a view groups by are read from the bodies at
the same time, once per event, and the clients index is brought up to date from the
events it has not seen yet: a view's cost follows the rows it shows, not the log's size.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import threading
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote, quote_plus

import attrs

from clientbridge.sandbox.emulators.base import EMAIL_SHAPE, Outcome
from clientbridge.secrets import REDACTED, Secret

__all__ = [
    "CLIENT_ID_KEYS",
    "MAX_BODY_CHARS",
    "ORGANISATION_KEYS",
    "Cell",
    "ClientRow",
    "Event",
    "EventLog",
    "Masker",
    "RequestFilter",
]

#: Bodies longer than this are cut in the log (the records view has the whole record).
MAX_BODY_CHARS = 16_000
#: Header names whose values are credentials, whatever their value.
_SENSITIVE_HEADER = re.compile(r"auth|key|token|secret|cookie|session|password", re.IGNORECASE)
_AUTH_SCHEMES = frozenset({"bearer", "basic", "token", "digest"})
#: Body keys (lower-cased, without ``_`` and ``-``) that carry a caller's own client id.
CLIENT_ID_KEYS = frozenset({"externalid", "externalreference", "clientreference"})
#: Body keys (lower-cased, without ``_`` and ``-``) that name an organisation.
ORGANISATION_KEYS = frozenset(
    {"companyname", "clientname", "organisationname", "organizationname", "company", "name"}
)


class Masker:
    """Masks the credentials of every emulator served, in any form a request carries them:
    as sent, percent-encoded (a query string, a form) or escaped in JSON; and the value of
    every header that carries a credential (``credential_headers``, and any header whose
    name says it holds one)."""

    def __init__(self, secrets: Iterable[Secret], credential_headers: Iterable[str]) -> None:
        forms: set[str] = set()
        for secret in secrets:
            value = secret.reveal()
            if len(value) >= 4:
                forms.update((value, quote(value, safe=""), quote_plus(value)))
                forms.add(json.dumps(value, ensure_ascii=False)[1:-1])
                forms.add(json.dumps(value)[1:-1])
        # Longest first, so a form containing another is masked whole.
        self._forms = tuple(sorted(forms, key=len, reverse=True))
        self._headers = frozenset(name.lower() for name in credential_headers)

    def text(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return text

    def target(self, target: str) -> str:
        """A path and query with credentials masked: any value of a query parameter whose
        name says it holds one (``api_key``, ``token``), whatever the value."""
        path, mark, query = target.partition("?")
        if not mark:
            return self.text(target)
        pairs = []
        for pair in query.split("&"):
            name, equals, value = pair.partition("=")
            masked = equals and _SENSITIVE_HEADER.search(name) and value
            pairs.append(f"{name}={REDACTED}" if masked else pair)
        return self.text(f"{path}?{'&'.join(pairs)}")

    def header(self, name: str, value: str) -> str:
        """``value`` with credentials masked: whole for a credential header (its scheme kept)."""
        if name.lower() in self._headers or _SENSITIVE_HEADER.search(name):
            scheme, space, _ = value.partition(" ")
            return f"{scheme} {REDACTED}" if space and scheme.lower() in _AUTH_SCHEMES else REDACTED
        return self.text(value)

    def body(self, body: bytes) -> str:
        text = body.decode("utf-8", errors="replace")
        if len(text) > MAX_BODY_CHARS:
            text = f"{text[:MAX_BODY_CHARS]}… ({len(text) - MAX_BODY_CHARS} more characters)"
        return self.text(text)


@attrs.frozen(kw_only=True)
class Event:
    """One request an emulator answered, as the inspector shows it (already masked)."""

    number: int
    #: seconds since the epoch, when the answer was decided
    time: float
    provider: str
    #: ``create``, ``look-up`` or ``other`` (no such endpoint, records...)
    kind: str
    method: str
    #: the path (and query) within the provider's base URL
    target: str
    request_headers: tuple[tuple[str, str], ...]
    #: None when nothing was read (an empty body)
    request_body: str | None
    #: 0 when the connection was dropped instead of answered
    status: int
    answer_headers: tuple[tuple[str, str], ...] = ()
    answer_body: str
    #: what a create did, as its emulator said (None for anything else)
    outcome: Outcome | None = None
    fault: str | None = None
    delay_ms: float = 0.0

    @functools.cached_property
    def client_keys(self) -> tuple[str, ...]:
        """Who the request is about: its emails (lower-cased), else its caller's client
        ids (``id …``), else the organisation it names (``org …``)."""
        values = list(_query_values(self.target))
        if self.request_body:
            with contextlib.suppress(ValueError):
                values.append(json.loads(self.request_body))
        found: dict[str, None] = {}  # ordered, no repeats
        for text in _strings(values):
            if EMAIL_SHAPE.fullmatch(text.strip()):
                found[text.strip().lower()] = None
        for keys, label in ((CLIENT_ID_KEYS, "id"), (ORGANISATION_KEYS, "org")):
            if found:
                break
            for key, text in _keyed_strings(values):
                if key.lower().replace("_", "").replace("-", "") in keys and text.strip():
                    found[f"{label} {text.strip()}"] = None
        return tuple(found)

    @property
    def label(self) -> str:
        """What the request did, in a few words: the create's outcome, else the status."""
        if self.outcome is not None:
            return _OUTCOME_LABELS[self.outcome.kind]
        return "connection dropped" if self.status == 0 else str(self.status)

    @functools.cached_property
    def searchable(self) -> str:
        """Every text a search looks in, lower-cased."""
        parts = (
            self.provider,
            self.target,
            self.request_body or "",
            self.answer_body,
            " ".join(self.client_keys),
            "" if self.outcome is None else self.outcome.reason,
        )
        return "\n".join(parts).casefold()

    def as_json(self) -> dict[str, Any]:
        """The event as the JSON API lists it."""
        outcome = self.outcome
        return {
            "number": self.number,
            "time": self.time,
            "provider": self.provider,
            "kind": self.kind,
            "method": self.method,
            "target": self.target,
            "clients": list(self.client_keys),
            "status": self.status,
            "outcome": None if outcome is None else outcome.kind,
            "reason": None if outcome is None else outcome.reason,
            "refused": {} if outcome is None else dict(outcome.refused),
            "fault": self.fault,
            "delay_ms": self.delay_ms,
            "request_headers": [list(pair) for pair in self.request_headers],
            "request_body": self.request_body,
            "answer_headers": [list(pair) for pair in self.answer_headers],
            "answer_body": self.answer_body,
        }


_OUTCOME_LABELS = {
    "created": "created",
    "partial": "partly created",
    "refused": "refused",
    "not_processed": "not processed",
}
#: The outcome filter's choices (``none``: requests that are not creates).
OUTCOME_CHOICES = (*_OUTCOME_LABELS, "none")


def _query_values(target: str) -> Iterator[str]:
    from urllib.parse import parse_qsl

    _, _, query = target.partition("?")
    for _, value in parse_qsl(query):
        yield value


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _keyed_strings(value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str | int) and not isinstance(item, bool):
                yield str(key), str(item)
            else:
                yield from _keyed_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keyed_strings(item)


@attrs.frozen(kw_only=True)
class RequestFilter:
    """Which requests a view or the JSON API lists (every field optional)."""

    #: text anywhere in the request or its answer (an email, a path, a message)
    text: str = ""
    provider: str = ""
    #: an exact status (``201``), a class (``4xx``) or ``dropped``
    status: str = ""
    #: an outcome (``created``, ``partial``, ``refused``, ``not_processed``) or ``none``
    outcome: str = ""

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> RequestFilter:
        return cls(
            text=query.get("q", "").strip(),
            provider=query.get("provider", "").strip(),
            status=query.get("status", "").strip().lower(),
            outcome=query.get("outcome", "").strip().lower(),
        )

    def __bool__(self) -> bool:
        return bool(self.text or self.provider or self.status or self.outcome)

    def matches(self, event: Event) -> bool:
        if self.provider and event.provider != self.provider:
            return False
        if self.status and not _status_matches(self.status, event.status):
            return False
        if self.outcome:
            kind = "none" if event.outcome is None else event.outcome.kind
            if kind != self.outcome:
                return False
        return not self.text or self.text.casefold() in event.searchable

    def as_query(self) -> dict[str, str]:
        chosen = {
            "q": self.text,
            "provider": self.provider,
            "status": self.status,
            "outcome": self.outcome,
        }
        return {key: value for key, value in chosen.items() if value}


def _status_matches(wanted: str, status: int) -> bool:
    if wanted == "dropped":
        return status == 0
    if len(wanted) == 3 and wanted.endswith("xx") and wanted[0].isdigit():
        return status // 100 == int(wanted[0])
    return wanted == str(status)


class _Entry:
    """One logged request: kept as it came (cheap for a server under load) until a view
    asks for it, then masked once into an `Event` and the unmasked copy dropped."""

    __slots__ = ("event", "raw")

    def __init__(self, raw: tuple[Any, ...]) -> None:
        self.raw: tuple[Any, ...] | None = raw
        self.event: Event | None = None

    def masked(self) -> Event:
        event = self.event
        if event is None:
            raw = self.raw
            assert raw is not None
            event = self.event = _masked_event(*raw)
            self.raw = None
        return event


def _masked_event(
    number: int,
    when: float,
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
) -> Event:
    return Event(
        number=number,
        time=when,
        provider=provider,
        kind=kind,
        method=method,
        target=masker.target(target),
        request_headers=tuple(
            (name, masker.header(name, headers[name.lower()])) for name in header_names
        ),
        request_body=None if request_body is None else masker.body(request_body),
        status=status,
        answer_headers=tuple((name, masker.header(name, value)) for name, value in answer_headers),
        answer_body=masker.body(answer_body),
        outcome=None if outcome is None else _masked_outcome(outcome, masker),
        fault=fault,
        delay_ms=delay * 1000,
    )


def _masked_outcome(outcome: Outcome, masker: Masker) -> Outcome:
    refused = {masker.text(key): masker.text(why) for key, why in outcome.refused.items()}
    return Outcome(outcome.kind, masker.text(outcome.reason), refused)


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


class _ClientIndex:
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
        self._entries: deque[_Entry] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._next_number = 1
        self._version = 0
        self._closed = False
        #: per provider, counts by counter name
        self._totals: dict[str, Counter[str]] = {}
        self._index = _ClientIndex()
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
                _Entry(
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

    def _snapshot(self) -> list[_Entry]:
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
        events = map(_Entry.masked, reversed(entries))
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
            shown = [_copy(row) for row in _slice(rows, start, size)]
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
            self._index = _ClientIndex()
            self._index.seen = self._next_number - 1
            self._changed.notify_all()


def _slice(rows: Iterable[ClientRow], start: int, size: int) -> list[ClientRow]:
    import itertools

    return list(itertools.islice(rows, start, start + size))


def _copy(row: ClientRow) -> ClientRow:
    """A row as it is now (the index goes on changing it)."""
    cells = {name: attrs.evolve(cell) for name, cell in row.cells.items()}
    return ClientRow(row.key, cells, row.last)


_STATUS_CLASSES = {1: "1xx", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}
