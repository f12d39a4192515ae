"""The importer's own errors: an import that cannot start, a row that cannot be read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from clientbridge.errors import ConfigurationError

__all__ = ["ImportSetupError", "RowError"]


class ImportSetupError(ConfigurationError):
    """The import cannot start: unknown columns, an unreadable file, a journal that
    belongs to another file or target. Nothing was sent.

    A refused header lists its columns at fault in ``columns``, as data: each a dict with
    ``position`` (1 is the first column), ``header``, ``problem`` (``"unknown"`` or
    ``"duplicate"``) and ``suggestion`` or ``field``.
    """

    def __init__(self, message: str, *, columns: Sequence[Mapping[str, object]] = ()) -> None:
        super().__init__(message)
        self.columns: tuple[Mapping[str, object], ...] = tuple(columns)


class RowError(Exception):
    """One row cannot become a `Client`; the message says which value and why."""
