"""Delimited text files: CSV with a header row (``,`` ``;`` or tab), and the stray-quote check.

A file is checked whole for a stray quote that swallows the rows after it before its first
row is read; a stream is checked as it is read.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import attrs

from clientbridge.importer.errors import LIBRARY_ADVICE, Advice, ImportSetupError
from clientbridge.importer.reading.frame import (
    MAX_HEADER_SCAN,
    ReadNotes,
    find_header,
    without_footer,
)
from clientbridge.importer.reading.layout import HeaderLayout
from clientbridge.importer.reading.source import (
    _NOT_UTF8,
    Source,
    SourceRow,
    _digest,
    _given,
    _nothing,
    read_row,
)

if TYPE_CHECKING:
    from clientbridge.importer.formats import ExportFormat

__all__ = ["CsvSource", "QuoteProblem", "describe_problems", "find_quote_problems", "quote_problem"]


_DELIMITERS = (",", ";", "\t")


def _pick_delimiter(header_line: str) -> str:
    """The delimiter that splits the header into the most columns (``,`` on a tie)."""
    best, best_count = ",", 0
    for delimiter in _DELIMITERS:
        count = len(next(csv.reader([header_line], delimiter=delimiter), []))
        if count > best_count:
            best, best_count = delimiter, count
    return best


class CsvSource(Source):
    """A CSV file with a header row, ``,`` ``;`` or tab separated, in any encoding
    `decide_encoding` recognises (decided for the whole file before the first row)."""

    def __init__(
        self,
        path: Path,
        *,
        mapping: Mapping[str, str] | None = None,
        ignore_unknown_columns: bool = False,
        delimiter: str | None = None,
        encoding: str | None = None,
        source_format: ExportFormat | str | None = "auto",
        advice: Advice = LIBRARY_ADVICE,
        header_row: int | None = None,
        _quotes_checked: bool = False,
    ) -> None:
        from clientbridge.importer.reading.encodings import describe

        super().__init__(path)
        self._header_row = header_row
        self._mapping = mapping
        self._ignore_unknown_columns = ignore_unknown_columns
        self._source_format = source_format
        self._advice = advice
        try:
            self.encoding = self._decide_encoding(encoding)
            # surrogateescape: a row with broken bytes is reported, not the whole file.
            self._text = io.TextIOWrapper(
                self._binary,
                encoding="utf-8-sig" if self.encoding == "utf-8" else self.encoding,
                errors="surrogateescape",
                newline="",
            )
            lines = _first_lines(self._text, max(MAX_HEADER_SCAN, header_row or 0))
            index = _header_line(lines, header_row, delimiter, path)
            #: physical lines above the header (a title, notes, blank lines)
            self._offset = index
            self.notes.header_row = index + 1
            self.notes.header_forced = header_row is not None
            self.delimiter = delimiter or _pick_delimiter(lines[index])
            self._reader = csv.reader(
                _chain_lines(lines[index:], self._text), delimiter=self.delimiter
            )
            header = next(self._reader)
            if _NOT_UTF8.search("".join(header)):
                raise ImportSetupError(
                    f"the header of {path} is not UTF-8 text; save the file as UTF-8"
                )
            self._read_header(
                (cell.strip().lstrip("\ufeff") for cell in header),
                mapping,
                ignore_unknown_columns=ignore_unknown_columns,
                source_format=source_format,
                advice=advice,
            )
            if self.rereadable and not _quotes_checked:
                self._check_quotes(len(header))
        except BaseException:
            self.close()
            raise
        self.description = _describe(self.columns, describe(self.encoding), self.notes)
        self.layout = _digest(json.dumps(["csv", *header]).encode("utf-8", "surrogateescape"))

    def _check_quotes(self, columns: int) -> None:
        """Refuse a file whose quoting swallows rows, before anything is sent (a second
        reading of the whole file; a stream's rows are checked as they are read)."""

        with open(self.path, "rb") as binary:
            text = io.TextIOWrapper(
                binary, encoding=self._text.encoding, errors="surrogateescape", newline=""
            )
            for _ in range(self._offset):  # the lines above the header
                text.readline()
            problems = [
                attrs.evolve(
                    problem, first=problem.first + self._offset, last=problem.last + self._offset
                )
                for problem in find_quote_problems(
                    text,
                    delimiter=self.delimiter,
                    columns=columns,
                    on_record=self.notes.count_values if self.notes.skipped else None,
                )
            ]
        self.notes.counted_ahead = bool(self.notes.skipped)
        if problems:
            raise ImportSetupError(describe_problems(str(self.path), problems))

    def reopen(self) -> CsvSource:
        self._check_rereadable()
        return CsvSource(
            self.path,
            mapping=self._mapping,
            ignore_unknown_columns=self._ignore_unknown_columns,
            delimiter=self.delimiter,
            encoding=self.encoding,
            source_format=self.columns.format,
            advice=self._advice,
            header_row=self.notes.header_row,
            _quotes_checked=True,
        )

    def rows(self, only: Container[int] | None = None) -> Iterator[SourceRow]:
        return without_footer(self._records(only), self.notes.add_footer)

    def _records(
        self, only: Container[int] | None
    ) -> Iterator[tuple[int, list[str] | None, Callable[[], SourceRow | None]]]:
        """``(line, cells, make_row)`` for every record (cells None: unreadable)."""

        columns = len(self.columns.headers)
        offset = self._offset
        for start, end, cells in csv_records(self._reader):
            start, end = start + offset, end + offset
            if isinstance(cells, csv.Error):
                error = cells
                if end < start:  # nothing consumed: the reader cannot go on
                    raise ImportSetupError(
                        f"{self.path}, line {start}: {error}; the rest cannot be read"
                    ) from None
                if only is None or start in only:
                    problem: object = f"unreadable: {error}"
                    if end > start:  # a quoted field ran on past the field limit
                        problem = QuoteProblem(start, end, str(error))
                    unreadable = SourceRow(
                        line=start,
                        digest=_digest(f"unreadable:{start}".encode()),
                        client=None,
                        error=str(problem),
                    )
                    yield start, None, functools.partial(_given, unreadable)
                continue
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue  # a blank line
            make = functools.partial(self._row, start, end, cells, columns)
            yield start, cells, make if only is None or start in only else _nothing

    def _row(self, start: int, end: int, cells: list[str], columns: int) -> SourceRow:

        joined = "\x1f".join(cells)
        digest = _digest(joined.encode("utf-8", "surrogateescape"))
        problem = quote_problem(start, end, cells, columns, self.delimiter)
        if problem is not None:
            return SourceRow(line=start, digest=digest, client=None, error=str(problem))
        if _NOT_UTF8.search(joined):
            return SourceRow(
                line=start,
                digest=digest,
                client=None,
                error="the row is not UTF-8 text (save the file as UTF-8)",
            )
        counting = None if self.notes.counted_ahead else self.notes
        return read_row(self.columns, start, digest, cells, counting)


def _describe(columns: HeaderLayout, encoding: str | None, notes: ReadNotes) -> str:
    """How a file with a header was read: its layout, encoding and header row."""
    if columns.format is None:
        what = "generic columns"
    else:
        what = columns.format.title + (" (detected from the header)" if columns.detected else "")
    where = notes.header_text()
    return ", ".join(part for part in (what, encoding, where) if part)


#: Bytes of the first lines read at most while looking for the header.
_HEADER_SCAN_BYTES = 1 << 20


def _first_lines(text: IO[str], count: int) -> list[str]:
    """Up to ``count`` first lines of ``text`` (fewer past `_HEADER_SCAN_BYTES`)."""
    lines: list[str] = []
    size = 0
    while len(lines) < count and size < _HEADER_SCAN_BYTES:
        line = text.readline()
        if not line:
            break
        if not lines:
            line = line.lstrip("\ufeff")
        lines.append(line)
        size += len(line)
    return lines


def _header_line(lines: list[str], forced: int | None, delimiter: str | None, path: Path) -> int:
    """The index in ``lines`` of the header: line ``forced`` (1 is the first), or the one
    `find_header` picks."""
    if forced is not None:
        if forced < 1 or forced > len(lines) or not lines[forced - 1].strip():
            raise ImportSetupError(
                f"{path} has no header on line {forced}: "
                + ("that line is blank" if forced <= len(lines) and forced >= 1 else "no such line")
            )
        return forced - 1
    rows = []
    for line in lines:
        try:
            rows.append(next(csv.reader([line], delimiter=delimiter or _pick_delimiter(line)), []))
        except csv.Error:
            rows.append([])
    index = find_header(rows)
    if index is None:
        raise ImportSetupError(f"{path} is empty: a CSV file needs a header row")
    return index


def _chain_lines(first: list[str], rest: IO[str]) -> Iterator[str]:
    yield from first
    yield from rest


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
