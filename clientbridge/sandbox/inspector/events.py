"""The event log: every request an emulator answered, credentials masked, newest kept.

Events are masked when they are written (a credential never sits in the log, so no view
of it can leak one); the client keys a view groups by are read from the bodies only when
a view asks for them, so a server under load pays for a copy and a mask, not a parse.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from clientbridge.sandbox.emulators.base import EMAIL_SHAPE
from clientbridge.secrets import REDACTED, Secret, redact_text

__all__ = ["CLIENT_ID_KEYS", "MAX_BODY_CHARS", "Event", "EventLog", "mask_header"]

#: Bodies longer than this are cut in the log (the records view has the whole record).
MAX_BODY_CHARS = 16_000
#: Header names whose values are credentials, whatever their value.
_SENSITIVE_HEADER = re.compile(r"auth|key|token|secret|cookie|session|password", re.IGNORECASE)
_AUTH_SCHEMES = frozenset({"bearer", "basic", "token", "digest"})
#: Body keys (lower-cased, without ``_`` and ``-``) that carry a caller's own client id.
CLIENT_ID_KEYS = frozenset({"externalid", "externalreference", "clientreference"})


def mask_header(name: str, value: str, secrets: Iterable[Secret]) -> str:
    """``value`` with credentials masked: whole for a credential header (its scheme kept)."""
    if _SENSITIVE_HEADER.search(name):
        scheme, space, _ = value.partition(" ")
        return f"{scheme} {REDACTED}" if space and scheme.lower() in _AUTH_SCHEMES else REDACTED
    return redact_text(value, secrets)


def _text(body: bytes, secrets: Sequence[Secret]) -> str:
    text = body.decode("utf-8", errors="replace")
    if len(text) > MAX_BODY_CHARS:
        text = f"{text[:MAX_BODY_CHARS]}… ({len(text) - MAX_BODY_CHARS} more characters)"
    return redact_text(text, secrets)


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
    #: None when the connection was dropped before the body was read
    request_body: str | None
    #: 0 when the connection was dropped instead of answered
    status: int
    answer_body: str
    fault: str | None = None
    delay_ms: float = 0.0

    @functools.cached_property
    def client_keys(self) -> tuple[str, ...]:
        """The emails in the request (lower-cased), else its caller's client ids."""
        found: dict[str, None] = {}  # ordered, no repeats
        values = list(_query_values(self.target))
        if self.request_body:
            with contextlib.suppress(ValueError):
                values.append(json.loads(self.request_body))
        for text in _strings(values):
            if EMAIL_SHAPE.fullmatch(text):
                found[text.lower()] = None
        if not found:
            for key, text in _keyed_strings(values):
                if key.lower().replace("_", "").replace("-", "") in CLIENT_ID_KEYS:
                    found[f"id {text}"] = None
        return tuple(found)


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
    answer_body: bytes,
    fault: str | None,
    delay: float,
    secrets: Sequence[Secret],
) -> Event:
    return Event(
        number=number,
        time=when,
        provider=provider,
        kind=kind,
        method=method,
        target=redact_text(target, secrets),
        request_headers=tuple(
            (name, mask_header(name, headers[name.lower()], secrets)) for name in header_names
        ),
        request_body=None if request_body is None else _text(request_body, secrets),
        status=status,
        answer_body=_text(answer_body, secrets),
        fault=fault,
        delay_ms=delay * 1000,
    )


class EventLog:
    """The newest ``capacity`` events, with totals that count every event since the start
    (or the last `clear`). Thread-safe; ``version`` changes whenever what a view shows may.

    Events come out masked (`events`): credentials never reach a view. Masking is done
    when an event is first read, not when it is written, so serving costs a few
    microseconds a request whether or not the page is open.
    """

    def __init__(self, capacity: int = 1000) -> None:
        self._entries: deque[_Entry] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._next_number = 1
        self._version = 0
        #: per provider, counts by counter name
        self._totals: dict[str, Counter[str]] = {}

    @property
    def version(self) -> int:
        return self._version

    def touch(self) -> None:
        """Say that something the views show changed outside the log (settings, records)."""
        with self._lock:
            self._version += 1

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
        answer_body: bytes,
        fault: str | None,
        delay: float,
        secrets: Sequence[Secret],
    ) -> None:
        """Keep one answered request (``headers`` by lower-case name, ``header_names`` as
        sent; ``secrets`` are masked wherever they appear when the event is read)."""
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
                        answer_body,
                        fault,
                        delay,
                        secrets,
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

    def events(self) -> list[Event]:
        """The events kept, oldest first, credentials masked."""
        with self._lock:
            entries = list(self._entries)
        return [entry.masked() for entry in entries]

    def totals(self, provider: str) -> dict[str, int]:
        """How many requests ``provider`` answered, by counter (``requests``, ``create``,
        ``look-up``, ``other``, ``2xx``, ``4xx``, ``429``, ``5xx``, ``dropped``, ``faults``)."""
        with self._lock:
            return dict(self._totals.get(provider, {}))

    def clear(self) -> None:
        """Forget every event and total."""
        with self._lock:
            self._entries.clear()
            self._totals.clear()
            self._version += 1


_STATUS_CLASSES = {1: "1xx", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}
