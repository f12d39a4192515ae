"""What reading a file left out, for the summary: the rows above the header, the footer
lines below the table, and the columns that were not imported (with how many values
each held).

A `ReadNotes` belongs to one opened file; the reader fills it as rows are read, so the
counts are complete once the file has been read to its end.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs

__all__ = ["MAX_FOOTER_LISTED", "ReadNotes", "SkippedColumn"]

#: Footer lines listed by their text; the others are counted.
MAX_FOOTER_LISTED = 5
#: Footer lines the summary shows.
_FOOTER_SHOWN = 3
#: Columns named one by one in a line; the others are counted.
MAX_COLUMNS_LISTED = 12


@attrs.define
class SkippedColumn:
    """A column of the header that is not imported, and why."""

    #: its position in the header (1 is the first column)
    position: int
    header: str
    #: "layout": the vendor's own column that holds no client data; "ignored": an unknown
    #: column skipped on request; "mapped": mapped to nothing by the caller
    reason: str
    #: rows that held a value in it
    values: int = 0
    #: the field an ignored column's name suggests (``address_postal_code``), or None
    looks_like: str | None = None


@attrs.define
class ReadNotes:
    """How a file's table was found, and what of it was not imported."""

    #: the row (line of a CSV, row of a sheet) the header was read from
    header_row: int = 1
    #: the header row was named by the caller (not found)
    header_forced: bool = False
    #: the vendor layout's title, for the "not imported" line
    layout_title: str | None = None
    skipped: list[SkippedColumn] = attrs.field(factory=list)
    #: ``(row, text)`` of the footer lines recognised below the table (the first few)
    footer: list[tuple[int, str]] = attrs.field(factory=list)
    footer_count: int = 0
    #: the columns' values were counted by a reading before the rows (a CSV file's quote
    #: check): the counts are known before anything is sent
    counted_ahead: bool = False

    def add_footer(self, row: int, text: str) -> None:
        self.footer_count += 1
        if len(self.footer) < MAX_FOOTER_LISTED:
            self.footer.append((row, text))

    def count_values(self, cells: Any) -> None:
        """Count the skipped columns' values of one row of ``cells``."""
        for column in self.skipped:
            index = column.position - 1
            if index < len(cells) and cells[index] and cells[index].strip():
                column.values += 1

    def header_text(self) -> str | None:
        """ "header on row 3", when the header is not the file's first row."""
        if self.header_row == 1:
            return None
        return f"header on row {self.header_row}"

    def before_lines(self) -> Iterator[str]:
        """What will not be imported, said before anything is sent (with the counts when
        they are known already)."""
        for reason, columns in self._by_reason():
            names = _names(columns, counts=self.counted_ahead)
            yield f"{_heading(reason, self.layout_title)}: {names}"

    def summary_lines(self) -> Iterator[str]:
        """The closing summary's lines: the columns not imported with their counts, and
        the footer lines."""
        for reason, columns in self._by_reason():
            yield f"{_heading(reason, self.layout_title)}: {_names(columns, counts=True)}"
        if self.footer_count:
            shown = self.footer[:_FOOTER_SHOWN]
            listed = "; ".join(f"row {row}: {text!r}" for row, text in shown)
            more = self.footer_count - len(shown)
            tail = f"; and {more:,} more" if more else ""
            lines = "line" if self.footer_count == 1 else "lines"
            yield f"Footer {lines} below the table, not clients: {listed}{tail}"

    def _by_reason(self) -> Iterator[tuple[str, list[SkippedColumn]]]:
        for reason in ("layout", "ignored"):
            columns = [column for column in self.skipped if column.reason == reason]
            if columns:
                yield reason, columns

    def as_data(self) -> dict[str, Any]:
        """The notes as JSON-ready data."""
        return {
            "header_row": self.header_row,
            "not_imported": [
                {
                    "column": c.header,
                    "position": c.position,
                    "reason": c.reason,
                    "values": c.values,
                    "looks_like": c.looks_like,
                }
                for c in self.skipped
                if c.reason != "mapped"
            ],
            "footer": [{"row": row, "text": text} for row, text in self.footer],
            "footer_lines": self.footer_count,
        }


def _heading(reason: str, layout: str | None) -> str:
    if reason == "layout":
        return f"Not imported ({layout or 'the layout'}'s own columns, not client data)"
    return "Ignored (unknown columns)"


def _names(columns: list[SkippedColumn], *, counts: bool = False) -> str:
    shown = []
    for column in columns[:MAX_COLUMNS_LISTED]:
        name = repr(column.header) if column.header.strip() else f"column {column.position}"
        said = []
        if counts:
            said.append("1 value" if column.values == 1 else f"{column.values:,} values")
        if column.looks_like:
            said.append(f"looks like {column.looks_like}")
        if said:
            name += f" ({'; '.join(said)})"
        shown.append(name)
    more = len(columns) - len(shown)
    return ", ".join(shown) + (f" and {more:,} more" if more else "")
