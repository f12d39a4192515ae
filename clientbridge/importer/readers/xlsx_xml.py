"""A workbook's shared strings and a sheet's rows, parsed from their XML with caps.

openpyxl builds each XML element whole before handing it over: a compressed workbook of
1 MB can hold one text of a gigabyte, or a row of millions of cells, and reading it would
take gigabytes. These parsers are driven by expat in small pieces and keep at most
`MAX_VALUE` + 1 characters of a text (a longer value fails its row), at most
`MAX_COLUMNS` cells of a row and `MAX_ROW_TEXT` characters of a row's cells. A document
type declaration (entities) is refused, and so is a single XML token of more than
`MAX_TOKEN` bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import IO, Any

from clientbridge.importer.errors import ImportSetupError
from clientbridge.importer.limits import MAX_VALUE

__all__ = [
    "MAX_COLUMNS",
    "MAX_ROW_TEXT",
    "SheetRow",
    "parse_shared_strings",
    "parse_sheet",
    "stated_rows",
]

#: Excel's widest sheet (column XFD).
MAX_COLUMNS = 16_384
#: Characters of one row's cells held at most; a longer row fails.
MAX_ROW_TEXT = 4 * MAX_VALUE
#: Bytes expat may buffer without reporting anything (one tag or attribute).
MAX_TOKEN = 16 << 20
_CHUNK = 1 << 16
_COLUMN = re.compile(r"([A-Za-z]{1,3})(\d*)")

#: ``(row number, cell values by column (1-based), why the row cannot be read or None)``
SheetRow = tuple[int, dict[int, Any], str | None]


class _Refused(Exception):
    pass


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _drive(
    source: IO[bytes],
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None],
    text: Callable[[str], None],
    what: str,
) -> Iterator[None]:
    """Feed ``source`` to expat a piece at a time, yielding after each piece."""
    from xml.parsers import expat

    parser = expat.ParserCreate()
    parser.buffer_text = False
    seen = [0]

    def refuse(*_: object) -> None:
        raise _Refused("it declares a document type (entities are not read)")

    def on_start(name: str, attributes: dict[str, str]) -> None:
        seen[0] = parser.CurrentByteIndex
        start(_local(name), attributes)

    def on_end(name: str) -> None:
        seen[0] = parser.CurrentByteIndex
        end(_local(name))

    def on_text(data: str) -> None:
        seen[0] = parser.CurrentByteIndex
        text(data)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = on_start
    parser.EndElementHandler = on_end
    parser.CharacterDataHandler = on_text
    fed = 0
    try:
        while True:
            chunk = source.read(_CHUNK)
            parser.Parse(chunk, not chunk)
            if not chunk:
                break
            fed += len(chunk)
            if fed - seen[0] > MAX_TOKEN:
                raise _Refused(f"it holds an XML token of more than {MAX_TOKEN >> 20} MiB")
            yield None
    except _Refused as error:
        raise ImportSetupError(f"the workbook's {what} cannot be read: {error}") from None
    except expat.ExpatError as error:
        raise ImportSetupError(f"the workbook's {what} is not well-formed XML: {error}") from None
    yield None


class _CappedText:
    """Text gathered from pieces, keeping at most `MAX_VALUE` + 1 characters."""

    __slots__ = ("length", "parts")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0

    def add(self, data: str) -> int:
        """Add ``data``; returns how many characters were kept."""
        room = MAX_VALUE + 1 - self.length
        if room <= 0:
            return 0
        kept = data[:room]
        self.parts.append(kept)
        self.length += len(kept)
        return len(kept)

    def text(self) -> str:
        return "".join(self.parts)


def parse_shared_strings(source: IO[bytes]) -> Iterator[str]:
    """The shared-string table's texts, in order (rich text runs joined, phonetic runs
    left out, each capped at `MAX_VALUE` + 1 characters)."""
    done: list[str] = []
    state: dict[str, Any] = {"item": None, "t": 0, "phonetic": 0}

    def start(name: str, _: dict[str, str]) -> None:
        if name == "si":
            state["item"] = _CappedText()
        elif name == "t":
            state["t"] += 1
        elif name == "rPh":
            state["phonetic"] += 1

    def end(name: str) -> None:
        if name == "si" and state["item"] is not None:
            done.append(state["item"].text().replace("x005F_", ""))
            state["item"] = None
        elif name == "t":
            state["t"] -= 1
        elif name == "rPh":
            state["phonetic"] -= 1

    def text(data: str) -> None:
        item = state["item"]
        if item is not None and state["t"] > 0 and not state["phonetic"]:
            item.add(data)

    for _ in _drive(source, start, end, text, "shared strings"):
        yield from done
        done.clear()


def parse_sheet(
    source: IO[bytes], convert: Callable[[int, int, str, str, int], Any]
) -> Iterator[SheetRow]:
    """A sheet's rows that have cells. ``convert(row, column, type, text, style)`` turns a
    cell's type (``t``), text and style index into its value."""
    done: list[SheetRow] = []
    state: dict[str, Any] = {
        "row": 0,
        "cells": None,
        "column": 0,
        "cell": None,
        "value": 0,
        "inline": 0,
        "t": 0,
        "phonetic": 0,
        "used": 0,
        "problem": None,
    }

    def start(name: str, attributes: dict[str, str]) -> None:
        if name == "row":
            number = attributes.get("r", "")
            state["row"] = int(number) if number.isdigit() else state["row"] + 1
            state["cells"] = {}
            state["column"] = 0
            state["used"] = 0
            state["problem"] = None
        elif name == "c" and state["cells"] is not None:
            reference = _COLUMN.match(attributes.get("r", ""))
            column = state["column"] + 1
            if reference is not None:
                column = _column_number(reference.group(1))
            state["column"] = column
            style = attributes.get("s", "0")
            state["cell"] = (
                column,
                attributes.get("t", "n"),
                int(style) if style.isdigit() else 0,
                _CappedText(),
            )
        elif name == "v":
            state["value"] += 1
        elif name == "is":
            state["inline"] += 1
        elif name == "t":
            state["t"] += 1
        elif name == "rPh":
            state["phonetic"] += 1

    def end(name: str) -> None:
        if name == "c":
            cell = state["cell"]
            state["cell"] = None
            cells = state["cells"]
            if cell is None or cells is None:
                return
            column, kind, style, gathered = cell
            if column > MAX_COLUMNS:
                state["problem"] = f"the row has cells past column {MAX_COLUMNS:,}"
                return
            if gathered.length or kind == "inlineStr":
                cells[column] = convert(state["row"], column, kind, gathered.text(), style)
        elif name == "row":
            if state["cells"] is not None:
                done.append((state["row"], state["cells"], state["problem"]))
            state["cells"] = None
        elif name == "v":
            state["value"] -= 1
        elif name == "is":
            state["inline"] -= 1
        elif name == "t":
            state["t"] -= 1
        elif name == "rPh":
            state["phonetic"] -= 1

    def text(data: str) -> None:
        cell = state["cell"]
        if cell is None:
            return
        if state["value"] or (state["inline"] and state["t"] and not state["phonetic"]):
            if state["used"] >= MAX_ROW_TEXT:
                state["problem"] = f"the row holds more than {MAX_ROW_TEXT // 1024} KiB of text"
                return
            state["used"] += cell[3].add(data)

    for _ in _drive(source, start, end, text, "sheet"):
        yield from done
        done.clear()


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Za-z]*\d*:?[A-Za-z]*(\d+)"')


def stated_rows(source: IO[bytes]) -> int:
    """The last row a sheet's ``dimension`` states (0 when it states none), read from
    the sheet's first bytes only (openpyxl parses the whole sheet when there is none)."""
    match = _DIMENSION.search(source.read(_CHUNK))
    return int(match.group(1)) if match else 0


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number
