"""Streaming readers: CSV and JSONL files as rows, one at a time, in constant memory.

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
from collections.abc import Container, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Literal

import attrs

from clientbridge.importer.columns import (
    ColumnMap,
    ImportSetupError,
    RowError,
    client_from_document,
)
from clientbridge.model import Client

__all__ = ["CsvSource", "JsonlSource", "Source", "SourceRow", "open_source"]

Format = Literal["auto", "csv", "jsonl"]

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


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class Source:
    """A readable input file. Use it as a context manager and iterate `rows`."""

    #: a digest of the file's layout (its header), stored in the journal
    layout: str
    path: Path

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._binary: IO[bytes] = open(path, "rb")  # noqa: SIM115 - closed by close()
        except OSError as error:
            raise ImportSetupError(f"cannot open {path}: {error.strerror or error}") from None
        self.size = os.fstat(self._binary.fileno()).st_size

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


def _check_encoding(head: bytes, path: Path) -> None:
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
    """A CSV file with a header row: UTF-8 with or without BOM, ``,`` ``;`` or tab."""

    def __init__(
        self,
        path: Path,
        *,
        mapping: Mapping[str, str] | None = None,
        ignore_unknown_columns: bool = False,
        delimiter: str | None = None,
    ) -> None:
        super().__init__(path)
        self._mapping = mapping
        self._ignore_unknown_columns = ignore_unknown_columns
        try:
            _check_encoding(self._binary.read(2), path)
            self._binary.seek(0)
            # surrogateescape: a row with broken bytes is reported, not the whole file.
            self._text = io.TextIOWrapper(
                self._binary, encoding="utf-8-sig", errors="surrogateescape", newline=""
            )
            first_line = self._text.readline()
            if not first_line.strip():
                raise ImportSetupError(f"{path} is empty: a CSV file needs a header row")
            self.delimiter = delimiter or _pick_delimiter(first_line)
            self._reader = csv.reader(
                _chain_first(first_line, self._text), delimiter=self.delimiter
            )
            header = next(self._reader)
            if _NOT_UTF8.search("".join(header)):
                raise ImportSetupError(
                    f"the header of {path} is not UTF-8 text; save the file as UTF-8"
                )
            self.columns = ColumnMap.from_header(
                [cell.strip() for cell in header],
                mapping,
                ignore_unknown=ignore_unknown_columns,
            )
        except BaseException:
            self.close()
            raise
        self.layout = _digest(json.dumps(["csv", *header]).encode("utf-8", "surrogateescape"))

    def reopen(self) -> CsvSource:
        return CsvSource(
            self.path,
            mapping=self._mapping,
            ignore_unknown_columns=self._ignore_unknown_columns,
            delimiter=self.delimiter,
        )

    def rows(self, only: Container[int] | None = None) -> Iterator[SourceRow]:
        reader = self._reader
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                if reader.line_num < start:  # nothing consumed: the reader cannot go on
                    raise ImportSetupError(
                        f"{self.path}, line {start}: {error}; the rest cannot be read"
                    ) from None
                if only is None or start in only:
                    yield SourceRow(
                        line=start, digest="", client=None, error=f"unreadable: {error}"
                    )
                continue
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue  # a blank line
            if only is not None and start not in only:
                continue
            joined = "\x1f".join(cells)
            digest = _digest(joined.encode("utf-8", "surrogateescape"))
            if _NOT_UTF8.search(joined):
                yield SourceRow(
                    line=start,
                    digest=digest,
                    client=None,
                    error="the row is not UTF-8 text (save the file as UTF-8)",
                )
                continue
            try:
                client = self.columns.client(cells)
            except RowError as error:
                yield SourceRow(line=start, digest=digest, client=None, error=str(error))
            else:
                yield SourceRow(line=start, digest=digest, client=client)


def _chain_first(first: str, rest: IO[str]) -> Iterator[str]:
    yield first
    yield from rest


class JsonlSource(Source):
    """JSON Lines: one object per line, in the form ``converter.unstructure(client)`` gives."""

    layout = _digest(b"jsonl")

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        try:
            _check_encoding(self._binary.read(2), path)
            self._binary.seek(0)
        except BaseException:
            self.close()
            raise

    def reopen(self) -> JsonlSource:
        return JsonlSource(self.path)

    def rows(self, only: Container[int] | None = None) -> Iterator[SourceRow]:
        for number, raw in enumerate(self._binary, start=1):
            if only is not None and number not in only:
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
            except ValueError as error:
                yield SourceRow(number, digest, None, f"the line is not JSON ({error})")
                continue
            if not isinstance(document, dict):
                yield SourceRow(number, digest, None, "the line is not a JSON object")
                continue
            try:
                client = client_from_document(document)
            except RowError as error:
                yield SourceRow(number, digest, None, f"the line cannot become a client: {error}")
                continue
            yield SourceRow(number, digest, client)


def open_source(
    path: str | os.PathLike[str],
    *,
    format: Format = "auto",
    mapping: Mapping[str, str] | None = None,
    ignore_unknown_columns: bool = False,
    delimiter: str | None = None,
) -> Source:
    """Open ``path`` for streaming; ``format="auto"`` goes by the file name
    (``.jsonl``/``.ndjson`` are JSON Lines, anything else CSV)."""
    file = Path(path)
    if format == "auto":
        format = "jsonl" if file.suffix.lower() in _JSONL_SUFFIXES else "csv"
    if format == "jsonl":
        if mapping:
            raise ImportSetupError("--map and --mapping-file apply to CSV files, not JSON Lines")
        return JsonlSource(file)
    return CsvSource(
        file, mapping=mapping, ignore_unknown_columns=ignore_unknown_columns, delimiter=delimiter
    )
