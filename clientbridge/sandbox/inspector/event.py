"""One request the inspector shows (`Event`: already masked, with the clients it is about),
and which requests a view lists (`RequestFilter`)."""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from clientbridge.sandbox.emulators.base import EMAIL_SHAPE, Outcome

#: Body keys (lower-cased, without ``_`` and ``-``) that carry a caller's own client id.
CLIENT_ID_KEYS = frozenset({"externalid", "externalreference", "clientreference"})
#: Body keys (lower-cased, without ``_`` and ``-``) that name an organisation.
ORGANISATION_KEYS = frozenset(
    {"companyname", "clientname", "organisationname", "organizationname", "company", "name"}
)


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
