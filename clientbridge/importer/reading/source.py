"""Streaming readers: CSV, JSONL, Excel and vCard files as rows, one at a time, in
constant memory (the Excel and vCard readers are in `clientbridge.importer.reading`).

Each row carries the line it starts on (the report's ``row``), a digest of its content
(the journal notices a changed row) and either a `Client` or the reason it is not one.
A row that cannot be read is a row-level failure; the rest of the file is still read.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import stat
import sys
from collections.abc import Container, Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

import attrs

from clientbridge.importer.errors import Advice, ImportSetupError, RowError
from clientbridge.importer.reading.frame import (
    ReadNotes,
)
from clientbridge.importer.reading.layout import HeaderLayout
from clientbridge.importer.reading.vocabulary import client_from_document
from clientbridge.model import Client

if TYPE_CHECKING:
    from clientbridge.importer.formats import ExportFormat

__all__ = [
    "MAX_LINE",
    "MAX_VALUE",
    "JsonlSource",
    "Source",
    "SourceRow",
    "long_document_value",
    "long_value_error",
]


_NOT_UTF8 = re.compile("[\udc80-\udcff]")


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
    #: the row's identity in the journal (`clientbridge.importer.rows.schema`); set by an
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


def _check_utf16(head: bytes, path: Path) -> None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportSetupError(
            f"{path} is UTF-16 text; save it as UTF-8 (in Excel: CSV UTF-8) and try again"
        )


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
        """The encoding of the whole file (of a stream: of its first bytes); raises
        `ImportSetupError` saying what to do when no encoding reads it."""
        from clientbridge.importer.reading.encodings import (
            EncodingError,
            decide_encoding,
            decide_prefix_encoding,
        )

        try:
            if self.rereadable:
                return decide_encoding(self._binary, forced)
            complete = len(self._prefix) < PREFIX
            return decide_prefix_encoding(self._prefix, forced, complete=complete)
        except EncodingError as error:
            raise ImportSetupError(
                f"{self.path}: {error}; save it as UTF-8 or name its encoding. Nothing was sent."
            ) from None

    def _read_header(
        self,
        cells: Iterable[str],
        mapping: Mapping[str, str] | None,
        *,
        ignore_unknown_columns: bool,
        source_format: ExportFormat | str | None,
        advice: Advice,
    ) -> HeaderLayout:
        """Understand the header ``cells`` (the columns, their layout, what is not
        imported), noted for the summary; raises `ImportSetupError` naming every problem."""
        self.columns = columns = HeaderLayout.from_header(
            list(cells),
            mapping,
            ignore_unknown=ignore_unknown_columns,
            source_format=source_format,
            advice=advice,
        )
        self.notes.skipped = list(columns.skipped)
        self.notes.layout_title = columns.format.title if columns.format else None
        return columns

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


#: Characters one value may hold: CSV's field limit (128 KiB).
MAX_VALUE = csv.field_size_limit()

#: Bytes of one JSON Lines line read at most; a longer line fails unread.
MAX_LINE = 16 * MAX_VALUE


def long_value_error(values: Iterable[tuple[str, str]]) -> str | None:
    """Why a row fails when one of its ``(name, value)`` pairs is longer than
    `MAX_VALUE`, or None."""
    for name, value in values:
        if len(value) > MAX_VALUE:
            return (
                f"{name} holds a value longer than {MAX_VALUE // 1024} KiB (the most a value "
                "may hold); the row was not sent"
            )
    return None


def long_document_value(document: object) -> str | None:
    """Why a JSON document fails when one of its texts is longer than `MAX_VALUE`, or
    None (its fields are named by their path, e.g. ``address.line1``)."""
    pending: list[tuple[str, object]] = [("", document)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            if len(value) > MAX_VALUE:
                return long_value_error([(path or "the line", value)])
        elif isinstance(value, dict):
            pending.extend(
                (f"{path}.{key}" if path else str(key), item) for key, item in value.items()
            )
        elif isinstance(value, list):
            pending.extend((f"{path}[{index}]", item) for index, item in enumerate(value))
    return None
