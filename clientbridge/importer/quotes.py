"""Finding a stray quote before it swallows the rows after it.

In CSV a field that starts with ``"`` runs until the next ``"``, across line breaks. One
stray opening quote (``"Bob,Smith,...``) therefore folds the following lines — often the
rest of the file — into one field, and a reader that trusts the quoting reports a handful
of rows where there were thousands. A legitimate quoted field may hold a line break (an
address on two lines), so a record that spans several lines is suspicious only when:

* it does not have the header's number of cells (the swallowed lines took the place of
  the cells after the quote), or
* its fields hold lines that are rows of their own: two or more lines that have as many
  cells as the header once split at the delimiter (in a file of three columns or more), or
* its quoted field grew past the csv module's field limit before it closed.

Every such record is named with the lines it covers, so no line goes unaccounted for.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import attrs

__all__ = ["QuoteProblem", "describe_problems", "find_quote_problems", "quote_problem"]

#: Problems listed in full before the rest are counted.
MAX_LISTED = 10


@attrs.frozen
class QuoteProblem:
    """A record that a stray quote made out of several lines."""

    #: the line the record starts on (where the quote opens)
    first: int
    #: the last line it took
    last: int
    #: what makes it suspicious
    reason: str

    def __str__(self) -> str:
        return (
            f"lines {self.first:,} to {self.last:,} were read as one row ({self.reason}): "
            f"a quote opened on line {self.first:,} is probably not closed where it should be"
        )


def quote_problem(
    first: int, last: int, cells: list[str], columns: int, delimiter: str
) -> QuoteProblem | None:
    """What is wrong with the record of ``cells`` read from lines ``first`` to ``last``,
    or None when it is a plain row (one line, or a legitimate multi-line field)."""
    if last <= first:
        return None
    if len(cells) != columns:
        return QuoteProblem(first, last, f"{len(cells)} cells where the header has {columns}")
    if columns >= 3:
        rows_inside = sum(
            line.count(delimiter) >= columns - 1
            for cell in cells
            if "\n" in cell or "\r" in cell
            for line in cell.splitlines()
        )
        if rows_inside >= 2:
            return QuoteProblem(
                first, last, f"a field holds {rows_inside} lines that look like rows"
            )
    return None


def find_quote_problems(
    lines: Iterable[str],
    *,
    delimiter: str,
    columns: int,
    on_record: Callable[[list[str]], None] | None = None,
) -> Iterator[QuoteProblem]:
    """The suspicious records of the CSV text ``lines``, header first (``on_record`` is
    called with each record's cells, as this reading is the one before anything is sent)."""
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        next(reader)  # the header
    except (StopIteration, csv.Error):
        return
    for start, end, cells in csv_records(reader):
        if isinstance(cells, csv.Error):
            if end > start:
                yield QuoteProblem(start, end, str(cells))
            continue  # (a record that consumed nothing ends the reading: the rows report it)
        if on_record is not None:
            on_record(cells)
        problem = quote_problem(start, end, cells, columns, delimiter)
        if problem is not None:
            yield problem


def csv_records(reader: Any) -> Iterator[tuple[int, int, list[str] | csv.Error]]:
    """Each record of the csv ``reader`` with the first and last line it spans: its cells,
    or the `csv.Error` reading it raised. Reading goes on after an error, unless the
    record consumed nothing (the reader cannot go on): that error is the last item."""
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield start, reader.line_num, error
            if reader.line_num < start:
                return
            continue
        yield start, reader.line_num, cells


def describe_problems(path: str, problems: Iterable[QuoteProblem]) -> str:
    """One message for all of ``problems`` (the first `MAX_LISTED`, then a count)."""
    listed: list[str] = []
    more = 0
    for problem in problems:
        if len(listed) < MAX_LISTED:
            listed.append(f"  - {problem}")
        else:
            more += 1
    if more:
        listed.append(f"  - and {more:,} more")
    return (
        f"{path} has a quote that swallows the lines after it, so those rows would be lost:\n"
        + "\n".join(listed)
        + "\nFix the quoting (a field that starts with a quote must end with one) and run "
        "again. Nothing was sent."
    )
