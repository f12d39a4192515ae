"""Columns: how a file's header is understood (`ColumnMap`).

Each header is looked up in the vocabulary (`clientbridge.importer.vocabulary`: field
names and the spellings CRM and spreadsheet exports use); anything else is mapped by the
caller or refused before anything is sent. The row -> `Client` conversion lives in
`clientbridge.importer.conversion`, mapping options in `clientbridge.importer.mapping`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from clientbridge.importer.conversion import client_from_document, client_from_fields
from clientbridge.importer.errors import ImportSetupError, RowError
from clientbridge.importer.layout import HeaderLayout
from clientbridge.importer.mapping import parse_mapping_option, read_mapping_file, split_pairs
from clientbridge.importer.vocabulary import (
    ADDRESS_COLUMNS,
    CLIENT_COLUMNS,
    header_key,
    known_columns,
    resolve_column,
)
from clientbridge.model import Client

# The names re-exported here were all defined in this module once; new code imports them
# from their own room (vocabulary, conversion, mapping, errors).
__all__ = [
    "ADDRESS_COLUMNS",
    "CLIENT_COLUMNS",
    "ColumnMap",
    "ImportSetupError",
    "RowError",
    "client_from_document",
    "client_from_fields",
    "header_key",
    "known_columns",
    "parse_mapping_option",
    "read_mapping_file",
    "resolve_column",
    "split_pairs",
]


@attrs.frozen
class ColumnMap:
    """Which file column feeds which `Client` field, read with the generic vocabulary only.

    A `HeaderLayout` with no vendor layout (``source_format=None``): the same rules, the
    same messages. Kept for callers of the earlier API; `HeaderLayout` also reads vendor
    exports and numbered or labelled columns.
    """

    layout: HeaderLayout

    @classmethod
    def from_header(
        cls,
        headers: Sequence[str],
        overrides: Mapping[str, str] | None = None,
        *,
        ignore_unknown: bool = False,
    ) -> ColumnMap:
        """Understand ``headers``; raises `ImportSetupError` naming every problem at once.

        ``overrides`` maps a header as written in the file (compared like any header) to a
        column name, or to ``""`` to ignore that column.
        """
        layout = HeaderLayout.from_header(
            headers, overrides, ignore_unknown=ignore_unknown, source_format=None
        )
        return cls(layout)

    @property
    def headers(self) -> tuple[str, ...]:
        """The file's header, as read."""
        return self.layout.headers

    @property
    def used(self) -> dict[str, str]:
        """File header → column, for the columns that are read."""
        return self.layout.used

    def client(self, cells: Sequence[str]) -> Client:
        """The `Client` for one row; raises `RowError`."""
        return self.layout.read(cells).client
