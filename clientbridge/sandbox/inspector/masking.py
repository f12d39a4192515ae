"""Masking: credentials out of what the inspector shows, once per event, when a view first
reads it (a credential never reaches a view, so no view of it can leak one)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, quote_plus

from clientbridge.sandbox.emulators.base import Outcome
from clientbridge.sandbox.inspector.event import Event
from clientbridge.secrets import REDACTED, Secret

#: Bodies longer than this are cut in the log (the records view has the whole record).
MAX_BODY_CHARS = 16_000
#: Header names whose values are credentials, whatever their value.
_SENSITIVE_HEADER = re.compile(r"auth|key|token|secret|cookie|session|password", re.IGNORECASE)
_AUTH_SCHEMES = frozenset({"bearer", "basic", "token", "digest"})


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


class Entry:
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
