"""Excel workbooks (.xlsx): the first sheet, or a named one, streamed row by row.

openpyxl reads the workbook in read-only mode (rows are parsed as they are asked for, not
held). Values are written as the user sees them in Excel: whole numbers without ``.0``
(a phone number stored as a number is not a float), numbers formatted with leading zeros
keep them, dates are ISO dates, booleans TRUE/FALSE.
"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Container, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clientbridge.importer.advice import LIBRARY_ADVICE, Advice
from clientbridge.importer.errors import ImportSetupError
from clientbridge.importer.layout import HeaderLayout
from clientbridge.importer.source import Source, SourceRow, _describe, _digest, read_row

if TYPE_CHECKING:
    from clientbridge.importer.formats import ExportFormat

__all__ = ["XlsxSource", "cell_text"]

_EXTRA = "files"


#: Shared strings held in memory; a larger table is moved to a temporary database.
MAX_STRINGS_IN_MEMORY = 100_000


class SpilledStrings:
    """A workbook's shared-string table in a temporary SQLite database, read by index.

    Excel writes every distinct text of a workbook once, in a table the cells point
    into: for a million rows that is millions of strings, which openpyxl holds in a
    list even in read-only mode. Past `MAX_STRINGS_IN_MEMORY` they go to disk instead,
    so memory stays flat whatever the size of the sheet.
    """

    def __init__(self, first: list[str]) -> None:
        import sqlite3

        self._db = sqlite3.connect("")  # "": a private temporary file, deleted on close
        self._db.execute("CREATE TABLE strings (id INTEGER PRIMARY KEY, text TEXT)")
        self._count = 0
        #: a sheet repeats texts (a company, a town): the recent ones are kept at hand
        self._cached = functools.lru_cache(maxsize=4096)(self._lookup)
        self.extend(first)

    def extend(self, texts: list[str]) -> None:
        start = self._count
        self._db.executemany("INSERT INTO strings VALUES (?, ?)", enumerate(texts, start=start))
        self._count += len(texts)

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: int) -> str:
        return self._cached(index)

    def _lookup(self, index: int) -> str:
        row = self._db.execute("SELECT text FROM strings WHERE id = ?", (index,)).fetchone()
        if row is None:
            raise IndexError(index)
        return str(row[0])

    def close(self) -> None:
        self._db.close()


def _read_strings(source: Any) -> list[str] | SpilledStrings:
    """openpyxl's shared-string reading, moving a large table to disk as it goes."""
    from xml.etree.ElementTree import iterparse

    from openpyxl.cell.text import Text
    from openpyxl.xml.constants import SHEET_MAIN_NS

    tag = f"{{{SHEET_MAIN_NS}}}si"
    strings: list[str] = []
    spilled: SpilledStrings | None = None
    events = iterparse(source, events=("start", "end"))
    _, root = next(events)
    for event, node in events:
        if event == "end" and node.tag == tag:
            strings.append(Text.from_tree(node).content.replace("x005F_", ""))
            # Cleared elements stay children of the table (openpyxl's reader keeps them
            # all): the table itself is emptied so its size does not matter.
            root.clear()
            if len(strings) >= MAX_STRINGS_IN_MEMORY:
                if spilled is None:
                    spilled = SpilledStrings(strings)
                else:
                    spilled.extend(strings)
                strings = []
    if spilled is None:
        return strings
    spilled.extend(strings)
    return spilled


def _load(binary: Any, path: Path) -> Any:
    try:
        from openpyxl.reader.excel import SHARED_STRINGS, ExcelReader
    except ImportError:  # pragma: no cover - installed with the "files" extra
        raise ImportSetupError(
            f"reading {path.name} needs openpyxl: pip install 'clientbridge[{_EXTRA}]'"
        ) from None
    from zipfile import BadZipFile

    class Reader(ExcelReader):  # type: ignore[misc]
        # openpyxl's own read_strings, but with the table on disk when it is large
        def read_strings(self) -> None:
            part = self.package.find(SHARED_STRINGS)
            if part is not None:
                with self.archive.open(part.PartName[1:]) as source:
                    self.shared_strings = _read_strings(source)

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


def _sheet_rows(worksheet: Any) -> Iterator[tuple[int, list[str]]]:
    """``(row number, cell texts)`` for every row of a read-only worksheet that has cells.

    openpyxl's row reader keeps every row it has read (cleared, but still attached to the
    sheet's XML tree): about 80 bytes a row, so a million rows grow by 80 MB. This drives
    its own row parser and drops each row from the tree once read. Every row in the file
    is read, whatever row count the file states (some programs write it wrong).
    """
    from openpyxl.cell.read_only import ReadOnlyCell
    from openpyxl.worksheet._reader import ROW_TAG, WorkSheetParser
    from openpyxl.xml.constants import SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    sheet_data_tag = f"{{{SHEET_MAIN_NS}}}sheetData"
    workbook = worksheet.parent
    with worksheet._get_source() as source:
        parser = WorkSheetParser(
            source,
            worksheet._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        sheet_data = None
        for event, element in iterparse(source, events=("start", "end")):
            if event == "start":
                if element.tag == sheet_data_tag:
                    sheet_data = element
                continue
            if element.tag != ROW_TAG:
                continue
            number, cells = parser.parse_row(element)
            if sheet_data is not None:
                sheet_data.clear()
            texts: list[str] = []
            for cell in cells:
                column = cell["column"]
                texts.extend([""] * (column - 1 - len(texts)))
                read = ReadOnlyCell(
                    worksheet, number, column, cell["value"], cell["data_type"], cell["style_id"]
                )
                texts.append(cell_text(read.value, read.number_format))
            yield number, texts


class XlsxSource(Source):
    """One sheet of an Excel workbook, with a header row."""

    def __init__(
        self,
        path: Path,
        *,
        mapping: Mapping[str, str] | None = None,
        ignore_unknown_columns: bool = False,
        source_format: ExportFormat | str | None = "auto",
        sheet: str | None = None,
        advice: Advice = LIBRARY_ADVICE,
    ) -> None:
        super().__init__(path)
        self._options = {
            "mapping": mapping,
            "ignore_unknown_columns": ignore_unknown_columns,
            "sheet": sheet,
        }
        self._advice = advice
        self._row_number = 0
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
            self._max_row = worksheet.max_row or 0  # as the file says: for progress only
            self._rows = _sheet_rows(worksheet)
            header = self._next_cells()
            if header is None or not any(cell.strip() for cell in header):
                raise ImportSetupError(
                    f"sheet {self.sheet!r} of {path.name} is empty: it needs a header row"
                )
            while header and not header[-1].strip():
                header.pop()
            self.columns = HeaderLayout.from_header(
                [cell.strip() for cell in header],
                mapping,
                ignore_unknown=ignore_unknown_columns,
                source_format=source_format,
                advice=advice,
            )
        except BaseException:
            self.close()
            raise
        self._source_format = source_format
        self.description = _describe(self.columns, None) + f", sheet {self.sheet!r}"
        self.layout = _digest(json.dumps(["xlsx", self.sheet, *header]).encode("utf-8"))

    def _next_cells(self) -> list[str] | None:
        try:
            self._row_number, cells = next(self._rows)
        except StopIteration:
            return None
        return cells

    def reopen(self) -> XlsxSource:
        return XlsxSource(
            self.path,
            mapping=self._options["mapping"],  # type: ignore[arg-type]
            ignore_unknown_columns=bool(self._options["ignore_unknown_columns"]),
            source_format=self.columns.format,
            sheet=self.sheet,
            advice=self._advice,
        )

    def bytes_read(self) -> int:
        """Progress through the sheet, scaled to the file's size (it is compressed)."""
        if not self._max_row:
            return 0
        return min(self.size, self.size * self._row_number // self._max_row)

    def rows(self, only: Container[int] | None = None) -> Iterator[SourceRow]:
        width = len(self.columns.headers)
        while True:
            cells = self._next_cells()
            if cells is None:
                return
            line = self._row_number
            if not any(cell.strip() for cell in cells):
                continue
            if only is not None and line not in only:
                continue
            while len(cells) > width and not cells[-1].strip():
                cells.pop()
            cells.extend([""] * (width - len(cells)))
            digest = _digest("\x1f".join(cells).encode("utf-8", "surrogatepass"))
            yield read_row(self.columns, line, digest, cells)

    def close(self) -> None:
        workbook = getattr(self, "_workbook", None)
        if workbook is not None:
            workbook.close()
            strings = getattr(workbook, "_clientbridge_strings", None)
            if isinstance(strings, SpilledStrings):
                strings.close()
        super().close()
