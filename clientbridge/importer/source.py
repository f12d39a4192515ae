"""Streaming readers: CSV, JSONL, Excel and vCard files as rows, one at a time, in
constant memory (the Excel and vCard readers are in `clientbridge.importer.readers`).

Each row carries the line it starts on (the report's ``row``), a digest of its content
(the journal notices a changed row) and either a `Client` or the reason it is not one.
A row that cannot be read is a row-level failure; the rest of the file is still read.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import os
import re
import stat
import sys
from collections.abc import Callable, Container, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Literal

import attrs

from clientbridge.importer.advice import LIBRARY_ADVICE, Advice
from clientbridge.importer.conversion import client_from_document
from clientbridge.importer.errors import ImportSetupError, RowError
from clientbridge.importer.frame import MAX_HEADER_SCAN, find_header, without_footer
from clientbridge.importer.layout import HeaderLayout
from clientbridge.importer.limits import MAX_LINE, long_document_value
from clientbridge.importer.read_notes import ReadNotes
from clientbridge.model import Client

if TYPE_CHECKING:
    from clientbridge.importer.formats import ExportFormat

__all__ = ["CsvSource", "JsonlSource", "Source", "SourceRow", "open_source"]

Format = Literal["auto", "csv", "jsonl", "xlsx", "vcard"]
_XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
_VCARD_SUFFIXES = frozenset({".vcf", ".vcard"})

_NOT_UTF8 = re.compile("[\udc80-\udcff]")
_JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson", ".jsonlines"})
_DELIMITERS = (",", ";", "\t")


@attrs.frozen
class SourceRow:
    """One record of the input file."""

    #: the line the record starts on (a CSV header is line 1)
    line: int
    #: a digest of the record's content, to notice a changed file on resume
    digest: str
    client: Client | None
    #: why the record is not a client (when ``client`` is None)
    error: str | None = None
    #: what reading changed, for the report ("name 'Ada Lovelace' split into ...")
    notes: tuple[str, ...] = ()
    #: the row's identity in the journal (`clientbridge.importer.identity`); set by an
    #: import that keeps a journal, empty otherwise
    key: str = ""


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


#: What ``-`` opens: standard input.
STDIN = Path("<stdin>")
#: Bytes of a stream read ahead to decide its encoding.
PREFIX = 1 << 20


def _standard_input() -> IO[bytes]:
    """Standard input, as a binary stream that can be closed without closing it for the
    rest of the process."""
    try:
        return os.fdopen(os.dup(sys.stdin.fileno()), "rb")
    except (OSError, ValueError, AttributeError):  # replaced by an object without a file
        return io.BufferedReader(_Unclosed(sys.stdin.buffer))


class _Unclosed(io.RawIOBase):
    """A binary stream whose `close` leaves the stream it reads open."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _read_prefix(stream: IO[bytes]) -> bytes:
    """Up to `PREFIX` bytes of ``stream`` (a pipe hands them over in pieces)."""
    parts: list[bytes] = []
    size = 0
    while size < PREFIX:
        part = stream.read(PREFIX - size)
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


class _Replay(io.RawIOBase):
    """A stream whose first bytes were read ahead: those bytes again, then the rest."""

    def __init__(self, prefix: bytes, rest: IO[bytes]) -> None:
        self._prefix = memoryview(prefix)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._prefix:
            size = min(len(buffer), len(self._prefix))
            buffer[:size] = self._prefix[:size]
            self._prefix = self._prefix[size:]
            return size
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._rest.close()
        finally:
            super().close()


class Source:
    """A readable input file. Use it as a context manager and iterate `rows`."""

    #: a digest of the file's layout (its header), stored in the journal
    layout: str
    path: Path
    #: how the file was read, for the summary ("Google Contacts CSV (detected), UTF-8")
    description: str | None = None
    #: where the table was found and what of it is not imported (filled while reading)
    notes: ReadNotes

    def __init__(self, path: Path) -> None:
        self.path = path
        self.notes = ReadNotes()
        #: the first bytes of a stream, read ahead to decide its encoding (``b""`` for a file)
        self._prefix = b""
        try:
            if path == STDIN:
                self._binary: IO[bytes] = _standard_input()
            else:
                self._binary = open(path, "rb")  # noqa: SIM115 - closed by close()
        except OSError as error:
            raise ImportSetupError(f"cannot open {path}: {error.strerror or error}") from None
        #: a regular file: read more than once (encoding, quotes, look-ups); else a stream
        #: (standard input, even redirected from a file, a pipe, a FIFO), read once
        self.rereadable = False
        self.size = 0
        if path != STDIN:
            status = os.fstat(self._binary.fileno())
            self.rereadable = stat.S_ISREG(status.st_mode)
            self.size = status.st_size if self.rereadable else 0
        if not self.rereadable:
            self._prefix = _read_prefix(self._binary)
            self._binary = io.BufferedReader(_Replay(self._prefix, self._binary))

    def _head(self, size: int) -> bytes:
        """The first ``size`` bytes, leaving the file at its start."""
        if not self.rereadable:
            return self._prefix[:size]
        head = self._binary.read(size)
        self._binary.seek(0)
        return head

    def _decide_encoding(self, forced: str | None) -> str:
        """The encoding of the whole file (of a stream: of its first bytes)."""
        from clientbridge.importer.encodings import decide_encoding, decide_prefix_encoding

        if self.rereadable:
            return decide_encoding(self._binary, forced)
        return decide_prefix_encoding(self._prefix, forced, complete=len(self._prefix) < PREFIX)

    def _check_rereadable(self) -> None:
        if not self.rereadable:
            raise ImportSetupError(
                f"{self.path} is a stream: it can be read only once. Save it to a file to "
                "read it again"
            )

    def rows(self, only: Container[int] | None = None) -> Iterator[SourceRow]:
        """The records, in file order. With ``only``, just the records starting on those
        lines: the others are read past without a digest or a `Client` being made."""
        raise NotImplementedError

    def reopen(self) -> Source:
        """The same file opened again with the same options, to read it a second time."""
        raise NotImplementedError

    def bytes_read(self) -> int:
        """How far into the file reading has got (for progress and ETA)."""
        try:
            return min(self._binary.tell(), self.size)
        except (OSError, ValueError):
            return self.size

    def close(self) -> None:
        self._binary.close()

    def __enter__(self) -> Source:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _check_utf16(head: bytes, path: Path) -> None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportSetupError(
            f"{path} is UTF-16 text; save it as UTF-8 (in Excel: CSV UTF-8) and try again"
        )


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
        from clientbridge.importer.encodings import EncodingError, describe

        super().__init__(path)
        self._header_row = header_row
        self._mapping = mapping
        self._ignore_unknown_columns = ignore_unknown_columns
        self._source_format = source_format
        self._advice = advice
        try:
            try:
                self.encoding = self._decide_encoding(encoding)
            except EncodingError as error:
                raise ImportSetupError(
                    f"{path}: {error}; save it as UTF-8 or name its encoding. Nothing was sent."
                ) from None
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
            self.columns = HeaderLayout.from_header(
                [cell.strip().lstrip("\ufeff") for cell in header],
                mapping,
                ignore_unknown=ignore_unknown_columns,
                source_format=source_format,
                advice=advice,
            )
            self.notes.skipped = list(self.columns.skipped)
            self.notes.layout_title = self.columns.format.title if self.columns.format else None
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
        from clientbridge.importer.quotes import describe_problems, find_quote_problems

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
        from clientbridge.importer.quotes import QuoteProblem, csv_records

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
        from clientbridge.importer.quotes import quote_problem

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


def _given(row: SourceRow) -> SourceRow:
    return row


def _nothing() -> None:
    return None


def read_row(
    columns: HeaderLayout, line: int, digest: str, cells: list[str], notes: ReadNotes | None = None
) -> SourceRow:
    """The `SourceRow` for one row of cells (a row error is a row-level failure); counts
    the values of the columns not imported in ``notes``."""
    if notes is not None and notes.skipped:
        notes.count_values(cells)
    try:
        read = columns.read(cells)
    except RowError as error:
        return SourceRow(line=line, digest=digest, client=None, error=str(error))
    return SourceRow(line=line, digest=digest, client=read.client, notes=read.notes)


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


class JsonlSource(Source):
    """JSON Lines: one object per line, in the form ``converter.unstructure(client)`` gives."""

    layout = _digest(b"jsonl")

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        try:
            _check_utf16(self._head(2), path)
        except BaseException:
            self.close()
            raise

    def reopen(self) -> JsonlSource:
        self._check_rereadable()
        return JsonlSource(self.path)

    def _lines(self) -> Iterator[tuple[int, bytes, bool]]:
        """``(number, line, whole)``: each line, read with a cap (a longer line is not
        whole: its first `MAX_LINE` bytes, the rest read past)."""
        number = 0
        while True:
            raw = self._binary.readline(MAX_LINE + 1)
            if not raw:
                return
            number += 1
            if len(raw) <= MAX_LINE or raw.endswith(b"\n"):
                yield number, raw, True
                continue
            while True:
                rest = self._binary.readline(1 << 16)
                if not rest or rest.endswith(b"\n"):
                    break
            yield number, raw, False

    def rows(self, only: Container[int] | None = None) -> Iterator[SourceRow]:
        for number, raw, whole in self._lines():
            if only is not None and number not in only:
                continue
            if not whole:
                digest = _digest(b"%d:" % number + raw[:4096])
                error = f"the line is longer than {MAX_LINE >> 20} MiB (the most a line may hold)"
                yield SourceRow(number, digest, None, error)
                continue
            data = raw.strip()
            if number == 1 and data.startswith(b"\xef\xbb\xbf"):
                data = data[3:].strip()
            if not data:
                continue
            digest = _digest(data)
            try:
                document = json.loads(data)
            except UnicodeDecodeError:
                yield SourceRow(number, digest, None, "the line is not UTF-8 text")
                continue
            except RecursionError:
                yield SourceRow(number, digest, None, "the line is not JSON: nested too deeply")
                continue
            except ValueError as error:
                yield SourceRow(number, digest, None, f"the line is not JSON ({error})")
                continue
            if not isinstance(document, dict):
                yield SourceRow(number, digest, None, "the line is not a JSON object")
                continue
            too_long = long_document_value(document)
            if too_long is not None:
                yield SourceRow(number, digest, None, too_long)
                continue
            try:
                client = client_from_document(document)
            except RecursionError:
                yield SourceRow(
                    number, digest, None, "the line cannot become a client: nested too deeply"
                )
                continue
            except RowError as error:
                yield SourceRow(number, digest, None, f"the line cannot become a client: {error}")
                continue
            yield SourceRow(number, digest, client)


def _format_of(file: Path) -> Format:
    suffix = file.suffix.lower()
    if suffix in _JSONL_SUFFIXES:
        return "jsonl"
    if suffix in _XLSX_SUFFIXES:
        return "xlsx"
    if suffix in _VCARD_SUFFIXES:
        return "vcard"
    return "csv"


def open_source(
    path: str | os.PathLike[str],
    *,
    format: Format = "auto",
    mapping: Mapping[str, str] | None = None,
    ignore_unknown_columns: bool = False,
    delimiter: str | None = None,
    encoding: str | None = None,
    source_format: str = "auto",
    sheet: str | None = None,
    advice: Advice = LIBRARY_ADVICE,
    header_row: int | None = None,
) -> Source:
    """Open ``path`` for streaming.

    ``format="auto"`` goes by the file name: ``.jsonl``/``.ndjson`` are JSON Lines,
    ``.xlsx`` an Excel workbook (its first sheet, or ``sheet``), ``.vcf`` vCards, anything
    else CSV. ``source_format`` names the export layout of a CSV or workbook (``"auto"``
    detects it from the header, ``"generic"`` uses the generic columns only);
    ``encoding`` forces a text file's encoding instead of detecting it.

    The header of a CSV file or sheet is found among its first rows (a title, notes or
    blank rows above it are skipped, and the summary says which row was used);
    ``header_row`` names it instead (1 is the first line or row). Footer lines below the
    table (a report's totals, "Generated by", a copyright) are listed, not read as rows.

    ``"-"`` reads standard input. Standard input, a pipe or a FIFO is read as a stream,
    once, from start to end: its encoding is decided from its first MiB, and its rows are
    checked for stray quotes as they are read (a file is checked whole before its first
    row); a workbook cannot be read from a stream.
    """
    from clientbridge.importer.formats import format_named

    file = STDIN if str(path) == "-" else Path(path)
    if format == "auto":
        format = _format_of(file)
    layout: ExportFormat | str | None = source_format
    if source_format != "auto":
        try:
            layout = format_named(source_format)
        except ValueError as error:
            raise ImportSetupError(str(error)) from None
    if sheet is not None and format != "xlsx":
        raise ImportSetupError(f"{file.name} is not an Excel workbook: it has no sheets")
    if encoding is not None and format in ("xlsx", "jsonl"):
        kind = "an Excel workbook" if format == "xlsx" else "JSON Lines (always UTF-8)"
        raise ImportSetupError(f"{file.name} is {kind}: its encoding is not chosen")
    if header_row is not None and format in ("vcard", "jsonl"):
        raise ImportSetupError(
            f"{file.name} has no header row: it applies to CSV files and workbooks"
        )
    if source_format != "auto" and format in ("vcard", "jsonl"):
        raise ImportSetupError(
            f"{file.name} has no header: an export layout applies to CSV files and workbooks"
        )
    if format == "jsonl":
        if mapping:
            raise ImportSetupError(
                f"{advice.column_mapping} applies to CSV files and workbooks, not JSON Lines"
            )
        return JsonlSource(file)
    if format == "xlsx":
        from clientbridge.importer.readers.xlsx import XlsxSource

        return XlsxSource(
            file,
            mapping=mapping,
            ignore_unknown_columns=ignore_unknown_columns,
            source_format=layout,
            sheet=sheet,
            advice=advice,
            header_row=header_row,
        )
    if format == "vcard":
        from clientbridge.importer.readers.vcard import VcardSource

        return VcardSource(file, encoding=encoding)
    return CsvSource(
        file,
        mapping=mapping,
        ignore_unknown_columns=ignore_unknown_columns,
        delimiter=delimiter,
        encoding=encoding,
        source_format=layout,
        advice=advice,
        header_row=header_row,
    )
