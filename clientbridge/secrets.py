"""`Secret`, a credential that never shows itself, and redaction helpers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["REDACTED", "Secret", "redact_text", "redact_value"]

REDACTED = "***"


class Secret:
    """A credential. ``str()`` and ``repr()`` never show the value; ``.reveal()`` does.

    It is deliberately not a ``str`` subclass: concatenation, formatting and JSON
    encoding would otherwise reveal it by accident.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise TypeError(f"Secret wraps a str, not {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        """The credential itself. Call it only where it goes on the wire."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{REDACTED}')"

    def __str__(self) -> str:
        return REDACTED

    def __format__(self, format_spec: str) -> str:
        return format(REDACTED, format_spec)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            import hmac  # here, not at the top: `import clientbridge` stays light

            return hmac.compare_digest(self._value.encode(), other._value.encode())
        return NotImplemented

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled; pass the settings again instead")


def redact_text(text: str, secrets: Iterable[Secret]) -> str:
    """Replace every occurrence of each secret's value in ``text`` with ``***``."""
    for secret in secrets:
        value = secret.reveal()
        if len(value) >= 4 and value in text:
            text = text.replace(value, REDACTED)
    return text


def redact_value(value: Any, secrets: Iterable[Secret], sensitive_keys: frozenset[str]) -> Any:
    """A copy of a decoded JSON value with secrets and sensitive keys' values masked."""
    secrets = tuple(secrets)
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, Mapping):
        return {
            key: (
                REDACTED
                if key in sensitive_keys and item is not None
                else redact_value(item, secrets, sensitive_keys)
            )
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_value(item, secrets, sensitive_keys) for item in value]
    return value
