"""Wire value types shared by adapters and drivers: `HttpRequest` and `HttpResponse`.

These are plain data. Adapters build requests and read responses; only the drivers
turn them into real HTTP.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from typing import Any

import attrs

from clientbridge.model import FrozenMapping
from clientbridge.secrets import REDACTED, Secret

__all__ = ["HeaderValue", "HttpRequest", "HttpResponse", "JSONValue"]

JSONValue = Any
HeaderValue = str | Secret


#: One encoder for every body: ``json.dumps`` with options builds a new one per call.
_ENCODER = jsonlib.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_DECODER = jsonlib.JSONDecoder()


def _frozen_headers(value: Mapping[str, HeaderValue]) -> Mapping[str, HeaderValue]:
    return value if isinstance(value, FrozenMapping) else FrozenMapping(value)


@attrs.frozen(kw_only=True)
class HttpRequest:
    """One HTTP request an adapter wants sent.

    Header values may be `Secret`: they are revealed only by the driver, on the wire.
    ``json`` is the decoded body (``None`` for a request without one).
    """

    method: str
    url: str
    headers: Mapping[str, HeaderValue] = attrs.field(
        factory=FrozenMapping, converter=_frozen_headers
    )
    json: JSONValue = None

    def redacted(self) -> HttpRequest:
        """A copy whose secret header values read ``***`` (for previews and logs)."""
        headers = {
            name: REDACTED if isinstance(value, Secret) else value
            for name, value in self.headers.items()
        }
        return attrs.evolve(self, headers=headers)

    def wire_headers(self) -> dict[str, str]:
        """The headers with secrets revealed: for the driver only."""
        return {
            name: value.reveal() if isinstance(value, Secret) else value
            for name, value in self.headers.items()
        }

    def body_bytes(self) -> bytes | None:
        if self.json is None:
            return None
        return _ENCODER.encode(self.json).encode()


@attrs.frozen(kw_only=True)
class HttpResponse:
    """An HTTP response as an adapter sees it. Header names are lower-case."""

    status_code: int
    headers: Mapping[str, str] = attrs.field(factory=FrozenMapping, converter=_frozen_headers)
    content: bytes = b""

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    def json(self) -> JSONValue:
        """The decoded body; raises ``ValueError`` when it is not JSON (or is nested too
        deeply to decode, which the json module reports as a `RecursionError`)."""
        try:
            try:
                # JSON on the wire is UTF-8 (RFC 8259): decoding it first spares json.loads
                # its encoding detection (a third of the time of a small answer).
                return _DECODER.decode(self.content.decode("utf-8-sig"))
            except ValueError:  # not UTF-8, or not JSON: json.loads tries the other encodings
                return jsonlib.loads(self.content)
        except RecursionError:
            raise ValueError("the JSON is nested too deeply to decode") from None

    def header(self, name: str) -> str | None:
        value = self.headers.get(name.lower())
        return value if isinstance(value, str) else None

    def retry_after(self) -> float | None:
        """Seconds the ``Retry-After`` header asks to wait (delta-seconds or an HTTP
        date; never negative), or None when it is absent or unreadable."""
        value = self.header("retry-after")
        if not value:
            return None
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        # Imported here, on the rare date form: `import clientbridge` stays light.
        from datetime import datetime, timezone
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
