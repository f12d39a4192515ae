"""Columns: how a file's header is understood (`ColumnMap`).

Each header is looked up in the vocabulary (`clientbridge.importer.reading.vocabulary`: field
names and the spellings CRM and spreadsheet exports use); anything else is mapped by the
caller or refused before anything is sent. The row -> `Client` conversion is in
`vocabulary`; mapping options and mapping files are below.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import attrs

from clientbridge.importer.errors import ImportSetupError, RowError
from clientbridge.importer.reading.layout import HeaderLayout
from clientbridge.importer.reading.vocabulary import (
    ADDRESS_COLUMNS,
    CLIENT_COLUMNS,
    client_from_document,
    client_from_fields,
    header_key,
    known_columns,
    resolve_column,
)
from clientbridge.model import Client

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


def split_pairs(
    values: Iterable[str], refuse: Callable[[str], Exception]
) -> Iterator[tuple[str, str]]:
    """``KEY=VALUE`` items as stripped ``(key, value)`` pairs (the value may be empty).

    An item without ``=`` or without a key raises what ``refuse(item)`` returns: the
    caller words the message (and decides whether the item may be quoted back).
    """
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise refuse(item)
        yield key.strip(), value.strip()


def parse_mapping_option(values: Iterable[str]) -> dict[str, str]:
    """``["Given name=first_name", "Notes="]`` → ``{"Given name": "first_name", "Notes": ""}``."""
    return dict(split_pairs(values, _refuse_mapping))


def _refuse_mapping(item: str) -> ImportSetupError:
    return ImportSetupError(
        f'--map {item!r}: write it as "HEADER=FIELD" (e.g. "Given name=first_name"), '
        'or "HEADER=" to ignore a column'
    )


def read_mapping_file(path: str | Path) -> dict[str, str]:
    """A column mapping from a file: a JSON object, a TOML table (optionally under
    ``[columns]``), or lines of ``HEADER=FIELD`` (``#`` starts a comment)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ImportSetupError(f"cannot read the mapping file {file}: {error}") from None
    except UnicodeDecodeError:
        raise ImportSetupError(f"the mapping file {file} is not UTF-8 text") from None
    document: object
    if file.suffix.lower() == ".json":
        try:
            document = json.loads(text)
        except ValueError as error:
            raise ImportSetupError(f"the mapping file {file} is not valid JSON: {error}") from None
    elif file.suffix.lower() == ".toml":
        from clientbridge._toml import TOMLDecodeError, parse_toml

        try:
            document = parse_toml(text)
        except TOMLDecodeError as error:
            raise ImportSetupError(f"the mapping file {file} is not valid TOML: {error}") from None
        if isinstance(document, dict) and isinstance(document.get("columns"), dict):
            document = document["columns"]
    else:
        lines = [line.strip() for line in text.splitlines()]
        return parse_mapping_option(line for line in lines if line and not line.startswith("#"))
    if not isinstance(document, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in document.items()
    ):
        raise ImportSetupError(
            f"the mapping file {file} must map each header to a field name, e.g. "
            '{"Given name": "first_name"}'
        )
    return dict(document)
