"""Columns: how a file's header is understood (`ColumnMap`).

Each header is looked up in the vocabulary (`clientbridge.importer.vocabulary`: field
names and the spellings CRM and spreadsheet exports use); anything else is mapped by the
caller or refused before anything is sent. The row -> `Client` conversion lives in
`clientbridge.importer.conversion`, mapping options in `clientbridge.importer.mapping`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

import attrs

from clientbridge.importer.conversion import client_from_document, client_from_fields
from clientbridge.importer.errors import ImportSetupError, RowError
from clientbridge.importer.mapping import parse_mapping_option, read_mapping_file, split_pairs
from clientbridge.importer.vocabulary import (
    _INDEX,
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
    """Which file column feeds which `Client` field; ``None`` marks an ignored column."""

    headers: tuple[str, ...]
    targets: tuple[str | None, ...]

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
        pending = {
            header_key(header): (header, target) for header, target in (overrides or {}).items()
        }
        targets: list[str | None] = []
        unknown: list[tuple[int, str]] = []
        for position, header in enumerate(headers, start=1):
            override = pending.pop(header_key(header), None)
            if override is not None:
                targets.append(_override_target(*override))
            else:
                target = resolve_column(header)
                if target is None:
                    unknown.append((position, header))
                targets.append(target)
        if pending:
            names = [header for header, _ in pending.values()]
            raise ImportSetupError(
                f"--map names {', '.join(repr(name) for name in names)}, which "
                f"{'is' if len(names) == 1 else 'are'} not in the file's header "
                f"({', '.join(repr(header) for header in headers)})"
            )
        if unknown and not ignore_unknown:
            raise ImportSetupError(_unknown_message(unknown))
        _refuse_duplicates(headers, targets)
        return cls(headers=tuple(headers), targets=tuple(targets))

    @property
    def used(self) -> dict[str, str]:
        """File header → column, for the columns that are read."""
        return {
            header: target
            for header, target in zip(self.headers, self.targets, strict=True)
            if target is not None
        }

    def client(self, cells: Sequence[str]) -> Client:
        """The `Client` for one row; raises `RowError`."""
        if len(cells) != len(self.targets):
            raise RowError(
                f"the row has {len(cells)} cells but the header has {len(self.targets)}; "
                "check for a stray delimiter or an unclosed quote"
            )
        return client_from_fields(
            (target, cell) for target, cell in zip(self.targets, cells, strict=True) if target
        )


def _override_target(header: str, override: str) -> str | None:
    if override.strip() in {"", "-"}:
        return None
    target = resolve_column(override)
    if target is None:
        raise ImportSetupError(
            f"--map {header}={override}: {override!r} is not a column clientbridge knows; "
            f"use one of {', '.join(known_columns())}, or leave it empty to ignore the column"
        )
    return target


def _unknown_message(unknown: list[tuple[int, str]]) -> str:
    described = []
    for position, header in unknown:
        if not header.strip():
            described.append(f"column {position} (no name)")
            continue
        close = difflib.get_close_matches(header_key(header), list(_INDEX), n=1, cutoff=0.75)
        hint = f" (did you mean {_INDEX[close[0]]}?)" if close else ""
        described.append(f"{header!r}{hint}")
    many = len(unknown) > 1
    return (
        f"unknown column{'s' if many else ''}: {', '.join(described)}. Map "
        f'{"them" if many else "it"} with --map "HEADER=FIELD" (FIELD is one of '
        f"{', '.join(known_columns())}), or pass --ignore-unknown-columns to skip "
        f"{'them' if many else 'it'}. Nothing was sent."
    )


def _refuse_duplicates(headers: Sequence[str], targets: Sequence[str | None]) -> None:
    seen: dict[str, str] = {}
    for header, target in zip(headers, targets, strict=True):
        if target is None:
            continue
        if target in seen:
            raise ImportSetupError(
                f"columns {seen[target]!r} and {header!r} both fill {target}; ignore one "
                f'with --map "{header}=" or map it to another field'
            )
        seen[target] = header
