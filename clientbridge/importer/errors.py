"""The importer's own errors: an import that cannot start, a row that cannot be read."""

from __future__ import annotations

from clientbridge.errors import ConfigurationError

__all__ = ["ImportSetupError", "RowError"]


class ImportSetupError(ConfigurationError):
    """The import cannot start: unknown columns, an unreadable file, a journal that
    belongs to another file or target. Nothing was sent."""


class RowError(Exception):
    """One row cannot become a `Client`; the message says which value and why."""
