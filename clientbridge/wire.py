"""Wire value types shared by adapters and drivers: `HttpRequest` and `HttpResponse`.

These are plain data. Adapters build requests and read responses; only the drivers
turn them into real HTTP.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from clientbridge.model import FrozenMapping
from clientbridge.secrets import REDACTED, Secret

__all__ = ["HeaderValue", "HttpRequest", "HttpResponse", "JSONValue", "Preview"]

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


class Preview(list[HttpRequest]):
    """What a create would send (`Connection.preview`): the requests, look-ups first,
    secrets redacted, plus what the create would report about the client.

    ``dropped_fields`` and ``warnings`` are those a create of the client reports before
    the provider answers (a warning about the provider's answer, such as a failed
    invitation, can only come from the create). ``wire_fields`` maps each neutral field
    that reached the wire to the wire fields it fills (``"address"`` to
    ``("address.line_1", "address.postcode")``).
    """

    dropped_fields: tuple[str, ...]
    warnings: tuple[str, ...]
    wire_fields: Mapping[str, tuple[str, ...]]

    def __init__(
        self,
        requests: Iterable[HttpRequest] = (),
        *,
        dropped_fields: Iterable[str] = (),
        warnings: Iterable[str] = (),
        wire_fields: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        super().__init__(requests)
        self.dropped_fields = tuple(dropped_fields)
        self.warnings = tuple(warnings)
        self.wire_fields = FrozenMapping(
            {field: tuple(wires) for field, wires in (wire_fields or {}).items()}
        )

    def __repr__(self) -> str:
        return (
            f"Preview({list.__repr__(self)}, dropped_fields={self.dropped_fields!r}, "
            f"warnings={self.warnings!r})"
        )
