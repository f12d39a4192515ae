"""Excel workbooks (.xlsx): the first sheet, or a named one, streamed row by row.

openpyxl reads the workbook in read-only mode (rows are parsed as they are asked for, not
held). Values are written as the user sees them in Excel: whole numbers without ``.0``
(a phone number stored as a number is not a float), numbers formatted with leading zeros
keep them, dates are ISO dates, booleans TRUE/FALSE.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
from collections.abc import Callable, Container, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clientbridge.importer.errors import LIBRARY_ADVICE, Advice, ImportSetupError
from clientbridge.importer.reading.delimited import _describe
from clientbridge.importer.reading.frame import MAX_HEADER_SCAN, find_header, without_footer
from clientbridge.importer.reading.source import (
    Source,
    SourceRow,
    _digest,
    long_value_error,
    read_row,
)
from clientbridge.importer.reading.xlsx_xml import MAX_ROW_TEXT, stated_rows

if TYPE_CHECKING:
    from clientbridge.importer.formats import ExportFormat

__all__ = ["XlsxSource", "cell_text"]

_EXTRA = "files"


#: Shared strings held in memory; a larger table is moved to a temporary database.
MAX_STRINGS_IN_MEMORY = 100_000
#: ... and characters of shared strings held in memory.
MAX_STRING_CHARS_IN_MEMORY = 16 << 20
#: Strings a spilled table keeps at hand, and the longest one it keeps.
_CACHED_STRINGS = 4096
_CACHED_LENGTH = 1024
#: Bytes a workbook part other than a sheet or the shared strings may hold (styles,
#: the workbook's index, relationships): openpyxl reads those whole.
MAX_PART_SIZE = 32 << 20


class SpilledStrings:
    """A workbook's shared-string table in a temporary SQLite database, read by index.

    Excel writes every distinct text of a workbook once, in a table the cells point
    into: for a million rows that is millions of strings, which openpyxl holds in a
    list even in read-only mode. Past `MAX_STRINGS_IN_MEMORY` strings (or
    `MAX_STRING_CHARS_IN_MEMORY` characters) they go to disk instead, so memory stays flat
    whatever the size of the sheet.
    """

    def __init__(self, first: list[str]) -> None:
        import sqlite3

        self._db = sqlite3.connect("")  # "": a private temporary file, deleted on close
        self._db.execute("CREATE TABLE strings (id INTEGER PRIMARY KEY, text TEXT)")
        self._count = 0
        #: a sheet repeats texts (a company, a town): the recent short ones are kept at hand
        self._cache: dict[int, str] = {}
        self.extend(first)

    def extend(self, texts: list[str]) -> None:
        start = self._count
        self._db.executemany("INSERT INTO strings VALUES (?, ?)", enumerate(texts, start=start))
        self._count += len(texts)

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: int) -> str:
        cached = self._cache.get(index)
        if cached is not None:
            return cached
        row = self._db.execute("SELECT text FROM strings WHERE id = ?", (index,)).fetchone()
        if row is None:
            raise IndexError(index)
        text = str(row[0])
        if len(text) <= _CACHED_LENGTH:
            if len(self._cache) >= _CACHED_STRINGS:
                self._cache.pop(next(iter(self._cache)))
            self._cache[index] = text
        return text

    def close(self) -> None:
        self._db.close()


def _read_strings(source: Any) -> list[str] | SpilledStrings:
    """The shared-string table (read with caps), moved to disk as it grows large."""
    from clientbridge.importer.reading.xlsx_xml import parse_shared_strings

    strings: list[str] = []
    chars = 0
    spilled: SpilledStrings | None = None
    for text in parse_shared_strings(source):
        strings.append(text)
        chars += len(text)
        if len(strings) >= MAX_STRINGS_IN_MEMORY or chars >= MAX_STRING_CHARS_IN_MEMORY:
            if spilled is None:
                spilled = SpilledStrings(strings)
            else:
                spilled.extend(strings)
            strings = []
            chars = 0
    if spilled is None:
        return strings
    spilled.extend(strings)
    return spilled


def _check_parts(binary: Any, path: Path) -> None:
    """Refuse a workbook whose parts openpyxl reads whole are too large (a zip bomb)."""
    import zipfile

    try:
        with zipfile.ZipFile(binary) as archive:
            for info in archive.infolist():
                name = info.filename.lower()
                streamed = name.startswith("xl/worksheets/sheet") or name.endswith(
                    "sharedstrings.xml"
                )
                if (
                    not streamed
                    and name.endswith((".xml", ".rels"))
                    and (info.file_size > MAX_PART_SIZE)
                ):
                    raise ImportSetupError(
                        f"{path} cannot be read: its part {info.filename} holds "
                        f"{info.file_size:,} bytes once uncompressed (at most "
                        f"{MAX_PART_SIZE >> 20} MiB is read)"
                    )
    except zipfile.BadZipFile as error:
        raise ImportSetupError(f"{path} is not an Excel workbook (.xlsx): {error}") from None
    finally:
        binary.seek(0)


def _load(binary: Any, path: Path) -> Any:
    try:
        from openpyxl.reader.excel import SHARED_STRINGS, ExcelReader
    except ImportError:  # pragma: no cover - installed with the "files" extra
        raise ImportSetupError(
            f"reading {path.name} needs openpyxl: pip install 'clientbridge[{_EXTRA}]'"
        ) from None
    from zipfile import BadZipFile

    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    class Sheet(ReadOnlyWorksheet):  # type: ignore[misc]
        # openpyxl reads a sheet's size when it opens it, parsing the whole sheet into
        # memory when it states none; the size is read by `stated_rows`, with a cap
        def _get_size(self) -> None:
            pass

    class Reader(ExcelReader):  # type: ignore[misc]
        # openpyxl's own read_strings, but with the table read with caps (on disk when
        # it is large)
        def read_strings(self) -> None:
            part = self.package.find(SHARED_STRINGS)
            if part is not None:
                with self.archive.open(part.PartName[1:]) as source:
                    self.shared_strings = _read_strings(source)

        # openpyxl's read-only read_worksheets, with `Sheet` (chart sheets hold no rows)
        def read_worksheets(self) -> None:
            for sheet, rel in self.parser.find_sheets():
                if rel.target not in self.valid_files or "chartsheet" in rel.Type:
                    continue
                worksheet = Sheet(self.wb, sheet.name, rel.target, self.shared_strings)
                worksheet.sheet_state = sheet.state
                self.wb._sheets.append(worksheet)

    _check_parts(binary, path)
    try:
        reader = Reader(binary, read_only=True, data_only=True, keep_links=False)
        reader.read()
    except (BadZipFile, KeyError, OSError, ValueError) as error:
        raise ImportSetupError(f"{path} is not an Excel workbook (.xlsx): {error}") from None
    workbook = reader.wb
    workbook._clientbridge_strings = reader.shared_strings
    return workbook


def cell_text(value: object, number_format: str | None = None) -> str:
    """A cell's value as the user sees it in Excel (as text)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, int | float):
        fmt = (number_format or "").strip()
        if fmt.endswith("%"):
            return f"{value * 100:g}%"
        if isinstance(value, int) or value.is_integer():
            text = str(int(value))
            # "00000000000" keeps a phone number's leading zero in Excel; so here.
            if fmt and set(fmt) == {"0"}:
                text = text.zfill(len(fmt))
            return text
        return repr(value)
    return str(value)


def _sheet_rows(worksheet: Any) -> Iterator[tuple[int, list[str], str | None]]:
    """``(row number, cell texts, why the row cannot be read or None)`` for every row of
    a read-only worksheet that has cells, read with caps (`readers.xlsx_xml`). Every row
    in the file is read, whatever row count the file states (some programs write it
    wrong)."""
    from clientbridge.importer.reading.xlsx_xml import parse_sheet

    convert = _converter(worksheet)
    with worksheet._get_source() as source:
        for number, cells, problem in parse_sheet(source, convert):
            texts = [""] * (max(cells) if cells else 0)
            for column, text in cells.items():
                texts[column - 1] = text
            yield number, texts, problem


def _converter(worksheet: Any) -> Callable[[int, int, str, str, int], str]:
    """A cell's text as the user sees it in Excel, from its type, XML text and style."""
    from openpyxl.cell.read_only import ReadOnlyCell
    from openpyxl.utils.datetime import from_excel, from_ISO8601
    from openpyxl.worksheet._reader import _cast_number

    workbook = worksheet.parent
    strings = worksheet._shared_strings
    dates = workbook._date_formats
    durations = workbook._timedelta_formats

    def convert(row: int, column: int, kind: str, text: str, style: int) -> str:
        value: object = text
        try:
            if kind == "n":
                value = _cast_number(text)
                if style in dates:
                    value = from_excel(value, workbook.epoch, timedelta=style in durations)
            elif kind == "s":
                value = strings[int(text)]
            elif kind == "b":
                value = bool(int(text))
            elif kind == "d":
                value = from_ISO8601(text)
        except (ValueError, IndexError, OverflowError, TypeError):
            return text
        number_format = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                number_format = ReadOnlyCell(
                    worksheet, row, column, value, "n", style
                ).number_format
            except (IndexError, KeyError, AttributeError):
                number_format = None
        return cell_text(value, number_format)

    return convert


class XlsxSource(Source):
    """One sheet of an Excel workbook, with a header row (found among its first rows, or
    ``header_row``)."""

    def __init__(
        self,
        path: Path,
        *,
        mapping: Mapping[str, str] | None = None,
        ignore_unknown_columns: bool = False,
        source_format: ExportFormat | str | None = "auto",
        sheet: str | None = None,
        advice: Advice = LIBRARY_ADVICE,
        header_row: int | None = None,
    ) -> None:
        super().__init__(path)
        self._options = {
            "mapping": mapping,
            "ignore_unknown_columns": ignore_unknown_columns,
            "sheet": sheet,
        }
        self._advice = advice
        self._row_number = 0
        #: rows read while looking for the header, after it
        self._ahead: list[tuple[int, list[str], str | None]] = []
        try:
            if not self.rereadable:  # a workbook is a zip archive: its index is at its end
                raise ImportSetupError(
                    f"{path.name} is an Excel workbook read from a stream; save it to a file "
                    "and import the file"
                )
            self._workbook = _load(self._binary, path)
            if sheet is None:
                worksheet = self._workbook.worksheets[0]
            elif sheet in self._workbook.sheetnames:
                worksheet = self._workbook[sheet]
            else:
                names = ", ".join(repr(name) for name in self._workbook.sheetnames)
                raise ImportSetupError(f"{path.name} has no sheet {sheet!r}; its sheets: {names}")
            self.sheet = worksheet.title
            with worksheet._get_source() as source:  # as the file says: for progress only
                self._max_row = stated_rows(source)
            self._rows = _sheet_rows(worksheet)
            header = self._find_header(header_row)
            while header and not header[-1].strip():
                header.pop()
            self._read_header(
                (cell.strip() for cell in header),
                mapping,
                ignore_unknown_columns=ignore_unknown_columns,
                source_format=source_format,
                advice=advice,
            )
        except BaseException:
            self.close()
            raise
        self._source_format = source_format
        self.description = _describe(self.columns, None, self.notes) + f", sheet {self.sheet!r}"
        self.layout = _digest(json.dumps(["xlsx", self.sheet, *header]).encode("utf-8"))

    def _find_header(self, forced: int | None) -> list[str]:
        """The header's cells: row ``forced``, or the row `find_header` picks among the
        first ones (the rows after it are kept for `rows`)."""
        first: list[tuple[int, list[str], str | None]] = []
        for row in self._rows:
            first.append(row)
            if forced is None and len(first) >= MAX_HEADER_SCAN:
                break
            if forced is not None and row[0] >= forced:
                break
        if forced is not None:
            index = next((i for i, row in enumerate(first) if row[0] == forced), None)
            if index is None or not any(cell.strip() for cell in first[index][1]):
                raise ImportSetupError(
                    f"sheet {self.sheet!r} of {self.path.name} has no header on row {forced}: "
                    "that row is empty"
                )
        else:
            found = find_header([cells for _, cells, _ in first])
            if found is None:
                raise ImportSetupError(
                    f"sheet {self.sheet!r} of {self.path.name} is empty: it needs a header row"
                )
            index = found
        number, header, problem = first[index]
        if problem is not None:
            raise ImportSetupError(
                f"the header of sheet {self.sheet!r} of {self.path.name} cannot be read: {problem}"
            )
        self._row_number = number
        self.notes.header_row = number
        self.notes.header_forced = forced is not None
        self._ahead = first[index + 1 :]
        return header

    def _next_row(self) -> tuple[int, list[str], str | None] | None:
        if self._ahead:
            row = self._ahead.pop(0)
        else:
            try:
                row = next(self._rows)
            except StopIteration:
                return None
        self._row_number = row[0]
        return row

    def reopen(self) -> XlsxSource:
        return XlsxSource(
            self.path,
            mapping=self._options["mapping"],  # type: ignore[arg-type]
            ignore_unknown_columns=bool(self._options["ignore_unknown_columns"]),
            source_format=self.columns.format,
            sheet=self.sheet,
            advice=self._advice,
            header_row=self.notes.header_row,
        )

    def bytes_read(self) -> int:
        """Progress through the sheet, scaled to the file's size (it is compressed)."""
        if not self._max_row:
            return 0
        return min(self.size, self.size * self._row_number // self._max_row)

    def rows(self, only: Container[int] | None = None) -> Iterator[SourceRow]:
        return without_footer(self._records(only), self.notes.add_footer)

    def _records(
        self, only: Container[int] | None
    ) -> Iterator[tuple[int, list[str], Callable[[], SourceRow | None]]]:
        while True:
            read = self._next_row()
            if read is None:
                return
            line, cells, problem = read
            if problem is None and not any(cell.strip() for cell in cells):
                continue
            if only is not None and line not in only:
                yield line, cells, _nothing
                continue
            yield line, cells, functools.partial(self._row, line, cells, problem)

    def _row(self, line: int, cells: list[str], problem: str | None) -> SourceRow:
        width = len(self.columns.headers)
        headers = self.columns.headers
        named = (
            (headers[i] if i < width else f"column {i + 1}", cell) for i, cell in enumerate(cells)
        )
        problem = problem or long_value_error(named)
        if problem is None and sum(len(cell) for cell in cells) > MAX_ROW_TEXT:
            problem = f"the row holds more than {MAX_ROW_TEXT // 1024} KiB of text"
        if problem is not None:
            lengths = ",".join(str(len(cell)) for cell in cells)
            digest = hashlib.blake2b(f"{line}:{lengths}".encode(), digest_size=16).hexdigest()
            return SourceRow(line=line, digest=digest, client=None, error=problem)
        while len(cells) > width and not cells[-1].strip():
            cells.pop()
        cells.extend([""] * (width - len(cells)))
        digest = _digest("\x1f".join(cells).encode("utf-8", "surrogatepass"))
        return read_row(self.columns, line, digest, cells, self.notes)

    def close(self) -> None:
        workbook = getattr(self, "_workbook", None)
        if workbook is not None:
            workbook.close()
            strings = getattr(workbook, "_clientbridge_strings", None)
            if isinstance(strings, SpilledStrings):
                strings.close()
        super().close()


def _nothing() -> None:
    return None
