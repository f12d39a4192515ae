"""Configured limits: the ``rate_limit`` and ``rate_limit_storage`` options, checked, and a
`Rate` such as ``"600/min"`` read from text."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import attrs

from clientbridge.errors import ConfigurationError
from clientbridge.secrets import Secret

if TYPE_CHECKING:
    pass

#: ``"auto"`` learns the limit from 429s; ``"off"`` leaves every request to itself.
RateLimitMode = Literal["auto", "off"]
_MODES: tuple[RateLimitMode, ...] = ("auto", "off")
_STORAGE_SCHEMES = ("memory", "redis", "rediss", "unix")
_UNITS = {
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "min": 60.0,
    "minute": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
}
_RATE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)?\s*([a-z]+?)s?\s*", re.IGNORECASE)


@attrs.frozen
class Rate:
    """So many requests per so many seconds, e.g. ``parse_rate("600/min")``."""

    requests: float
    seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def __str__(self) -> str:
        return f"{self.requests:g}/{_unit_text(self.seconds)}"


def _unit_text(seconds: float) -> str:
    for name, length in (("h", 3600.0), ("min", 60.0), ("s", 1.0)):
        if seconds == length:
            return name
        if seconds % length == 0:
            return f"{seconds / length:g}{name}"
    return f"{seconds:g}s"


def parse_rate(text: str) -> Rate:
    """``"10/s"``, ``"600/min"``, ``"5000/h"``, ``"100/10s"`` as a `Rate`; ValueError otherwise."""
    match = _RATE.fullmatch(text)
    unit = _UNITS.get(match.group(3).lower()) if match else None
    if match is None or unit is None:
        raise ValueError(
            f"{text!r} is not a rate; write requests/period, e.g. '10/s', '600/min', '5000/h'"
        )
    requests = float(match.group(1))
    seconds = float(match.group(2) or 1) * unit
    if requests <= 0 or seconds <= 0:
        raise ValueError(f"{text!r} is not a rate: both numbers must be above zero")
    return Rate(requests, seconds)


def storage_label(uri: str) -> str:
    """``uri`` fit for a message: whatever comes before an ``@`` (a password) masked."""
    scheme, separator, rest = uri.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rpartition("@")[2]
    return scheme + separator + rest


def check_rate_options(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The checked ``rate_limit`` and ``rate_limit_storage`` options found in ``raw``
    (a `ConnectionOptions`' values); ``where`` prefixes error messages."""
    values: dict[str, Any] = {}
    value = raw.get("rate_limit")
    if value is not None:
        if isinstance(value, Rate):
            values["rate_limit"] = value
        elif isinstance(value, str) and value.strip().lower() in _MODES:
            values["rate_limit"] = value.strip().lower()
        elif isinstance(value, str):
            try:
                values["rate_limit"] = parse_rate(value)
            except ValueError as error:
                raise ConfigurationError(
                    f"{where}rate_limit: {error}, or 'auto' or 'off'"
                ) from None
        else:
            raise ConfigurationError(
                f"{where}rate_limit must be text such as '10/s', '600/min', 'auto' or 'off'"
            )
    storage = raw.get("rate_limit_storage")
    if storage is not None:
        text = storage.reveal() if isinstance(storage, Secret) else storage
        if not isinstance(text, str) or text.partition("://")[0] not in _STORAGE_SCHEMES:
            shown = storage_label(text) if isinstance(text, str) else type(text).__name__
            raise ConfigurationError(
                f"{where}rate_limit_storage must be a redis://, rediss://, unix:// or "
                f"memory:// URI, not {shown!r}"
            )
        if values.get("rate_limit") == "off":
            raise ConfigurationError(
                f"{where}rate_limit_storage has nothing to store with rate_limit 'off'; "
                "leave one of them out"
            )
        if not text.startswith("memory://"):
            # A Redis URI may hold a password: kept as a Secret, shown masked.
            values["rate_limit_storage"] = Secret(text)
    return values
