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
from clientbridge.importer.reading.source import MAX_VALUE

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


class _LocalNames(dict[str, str]):
    """Element names without their namespace prefix (``x:row`` is ``row``), remembered
    for the few names a document uses (at most `_NAMES`)."""

    def __missing__(self, name: str) -> str:
        local = name.rpartition(":")[2]
        if len(self) < _NAMES:
            self[name] = local
        return local


_NAMES = 256


def _drive(
    source: IO[bytes],
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None],
    text: Callable[[str], None],
    what: str,
) -> Iterator[None]:
    """Feed ``source`` to expat a piece at a time, yielding after each piece. The
    handlers get raw element names (see `_LocalNames`); text comes in pieces of at most
    `_CHUNK` characters."""
    from xml.parsers import expat

    parser = expat.ParserCreate()
    parser.buffer_text = True  # one call a text, in pieces of at most buffer_size
    parser.buffer_size = _CHUNK

    def refuse(*_: object) -> None:
        raise _Refused("it declares a document type (entities are not read)")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    fed = 0
    try:
        while True:
            chunk = source.read(_CHUNK)
            parser.Parse(chunk, not chunk)
            if not chunk:
                break
            fed += len(chunk)
            # what expat holds unparsed: one token (a tag, an attribute) being read
            if fed - parser.CurrentByteIndex > MAX_TOKEN:
                raise _Refused(f"it holds an XML token of more than {MAX_TOKEN >> 20} MiB")
            yield None
    except _Refused as error:
        raise ImportSetupError(f"the workbook's {what} cannot be read: {error}") from None
    except expat.ExpatError as error:
        raise ImportSetupError(f"the workbook's {what} is not well-formed XML: {error}") from None
    yield None


def _capped(parts: list[str], length: int, data: str) -> int:
    """Add ``data`` to ``parts`` (``length`` characters so far), keeping at most
    `MAX_VALUE` + 1 characters; returns the new length."""
    room = MAX_VALUE + 1 - length
    if room <= 0:
        return length
    kept = data if len(data) <= room else data[:room]
    parts.append(kept)
    return length + len(kept)


def parse_shared_strings(source: IO[bytes]) -> Iterator[str]:
    """The shared-string table's texts, in order (rich text runs joined, phonetic runs
    left out, each capped at `MAX_VALUE` + 1 characters)."""
    names = _LocalNames()
    done: list[str] = []
    parts: list[str] = []
    length = 0
    inside = False  # in an <si>
    depth_t = 0
    phonetic = 0

    def start(raw: str, _: dict[str, str]) -> None:
        nonlocal inside, depth_t, phonetic, length
        name = names[raw]
        if name == "t":
            depth_t += 1
        elif name == "si":
            inside, length = True, 0
            parts.clear()
        elif name == "rPh":
            phonetic += 1

    def end(raw: str) -> None:
        nonlocal inside, depth_t, phonetic
        name = names[raw]
        if name == "t":
            depth_t -= 1
        elif name == "si" and inside:
            done.append("".join(parts).replace("x005F_", ""))
            inside = False
        elif name == "rPh":
            phonetic -= 1

    def text(data: str) -> None:
        nonlocal length
        if inside and depth_t > 0 and not phonetic:
            length = _capped(parts, length, data)

    for _ in _drive(source, start, end, text, "shared strings"):
        yield from done
        done.clear()


def parse_sheet(
    source: IO[bytes], convert: Callable[[int, int, str, str, int], Any]
) -> Iterator[SheetRow]:
    """A sheet's rows that have cells. ``convert(row, column, type, text, style)`` turns a
    cell's type (``t``), text and style index into its value."""
    names = _LocalNames()
    done: list[SheetRow] = []
    row = 0
    cells: dict[int, Any] | None = None
    column = 0
    problem: str | None = None
    used = 0  # characters of the row's cells kept
    # the cell being read: its column, type, style, text
    in_cell = False
    kind = "n"
    style = 0
    parts: list[str] = []
    length = 0
    value = 0  # inside <v>
    inline = 0  # inside <is>
    depth_t = 0
    phonetic = 0

    def start(raw: str, attributes: dict[str, str]) -> None:
        nonlocal row, cells, column, problem, used, in_cell, kind, style, length
        nonlocal value, inline, depth_t, phonetic
        name = names[raw]
        if name == "c":
            if cells is None:
                return
            reference = _COLUMN.match(attributes.get("r", ""))
            column = _column_number(reference.group(1)) if reference else column + 1
            kind = attributes.get("t", "n")
            number = attributes.get("s", "0")
            style = int(number) if number.isdigit() else 0
            in_cell, length = True, 0
            parts.clear()
        elif name == "v":
            value += 1
        elif name == "t":
            depth_t += 1
        elif name == "row":
            number = attributes.get("r", "")
            row = int(number) if number.isdigit() else row + 1
            cells, column, used, problem = {}, 0, 0, None
        elif name == "is":
            inline += 1
        elif name == "rPh":
            phonetic += 1

    def end(raw: str) -> None:
        nonlocal cells, problem, in_cell, value, inline, depth_t, phonetic
        name = names[raw]
        if name == "c":
            if not in_cell or cells is None:
                return
            in_cell = False
            if column > MAX_COLUMNS:
                problem = f"the row has cells past column {MAX_COLUMNS:,}"
            elif length or kind == "inlineStr":
                cells[column] = convert(row, column, kind, "".join(parts), style)
        elif name == "v":
            value -= 1
        elif name == "t":
            depth_t -= 1
        elif name == "row":
            if cells is not None:
                done.append((row, cells, problem))
            cells = None
        elif name == "is":
            inline -= 1
        elif name == "rPh":
            phonetic -= 1

    def text(data: str) -> None:
        nonlocal used, length, problem
        if not in_cell or not (value or (inline and depth_t and not phonetic)):
            return
        if used >= MAX_ROW_TEXT:
            problem = f"the row holds more than {MAX_ROW_TEXT // 1024} KiB of text"
            return
        before = length
        length = _capped(parts, length, data)
        used += length - before

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
