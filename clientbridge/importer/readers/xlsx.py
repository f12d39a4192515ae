"""Excel workbooks (.xlsx): the first sheet, or a named one, streamed row by row.

openpyxl reads the workbook in read-only mode (rows are parsed as they are asked for, not
held). Values are written as the user sees them in Excel: whole numbers without ``.0``
(a phone number stored as a number is not a float), numbers formatted with leading zeros
keep them, dates are ISO dates, booleans TRUE/FALSE.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Container, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clientbridge.importer.columns import ImportSetupError
from clientbridge.importer.layout import HeaderLayout
from clientbridge.importer.source import Source, SourceRow, _describe, _digest, read_row

if TYPE_CHECKING:
    from clientbridge.importer.formats import ExportFormat

__all__ = ["XlsxSource", "cell_text"]

_EXTRA = "files"


def _load(binary: Any, path: Path) -> Any:
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - installed with the "files" extra
        raise ImportSetupError(
            f"reading {path.name} needs openpyxl: pip install 'clientbridge[{_EXTRA}]'"
        ) from None
    from zipfile import BadZipFile

    try:
        return openpyxl.load_workbook(binary, read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as error:
        raise ImportSetupError(f"{path} is not an Excel workbook (.xlsx): {error}") from None


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
    ) -> None:
        super().__init__(path)
        self._options = {
            "mapping": mapping,
            "ignore_unknown_columns": ignore_unknown_columns,
            "sheet": sheet,
        }
        self._row_number = 0
        try:
            self._workbook = _load(self._binary, path)
            if sheet is None:
                worksheet = self._workbook.worksheets[0]
            elif sheet in self._workbook.sheetnames:
                worksheet = self._workbook[sheet]
            else:
                names = ", ".join(repr(name) for name in self._workbook.sheetnames)
                raise ImportSetupError(f"{path.name} has no sheet {sheet!r}; its sheets: {names}")
            self.sheet = worksheet.title
            self._max_row = worksheet.max_row or 0
            self._rows = worksheet.iter_rows()
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
            )
        except BaseException:
            self.close()
            raise
        self._source_format = source_format
        self.description = _describe(self.columns, None) + f", sheet {self.sheet!r}"
        self.layout = _digest(json.dumps(["xlsx", self.sheet, *header]).encode("utf-8"))

    def _next_cells(self) -> list[str] | None:
        try:
            row = next(self._rows)
        except StopIteration:
            return None
        self._row_number = (
            row[0].row if row and getattr(row[0], "row", None) else (self._row_number + 1)
        )
        return [cell_text(cell.value, getattr(cell, "number_format", None)) for cell in row]

    def reopen(self) -> XlsxSource:
        return XlsxSource(
            self.path,
            mapping=self._options["mapping"],  # type: ignore[arg-type]
            ignore_unknown_columns=bool(self._options["ignore_unknown_columns"]),
            source_format=self.columns.format,
            sheet=self.sheet,
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
        super().close()
