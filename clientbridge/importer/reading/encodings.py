"""Deciding a text file's encoding before its first row is read.

Spreadsheets and address books save text in more than one encoding: UTF-8 with or
without a byte-order mark, UTF-16 with a mark ("Unicode text" in Excel), and Windows-1252
or Latin-1 (Excel's "CSV" and Outlook's export on Windows). The encoding is decided for
the whole file up front, so a file is either read completely or refused before anything
is sent, never imported up to its first accented name:

1. a byte-order mark names the encoding;
2. otherwise the whole file is checked as UTF-8 (a fast incremental decode);
3. otherwise charset-normalizer judges a sample around the first non-UTF-8 byte, and the
   whole file is checked again in the encoding it names.

charset-normalizer is imported only for files that are not UTF-8.

A stream (standard input, a pipe) cannot be read twice: its encoding is decided the same
way from its first bytes (`decide_prefix_encoding`); a later byte that does not decode
makes its row fail, as a broken byte does in a file.
"""

from __future__ import annotations

import codecs
from typing import IO

__all__ = ["EncodingError", "decide_encoding", "decide_prefix_encoding", "describe"]

#: Bytes read per step when checking a whole file.
CHUNK = 1 << 20
#: Bytes either side of the first undecodable byte shown to the detector.
SAMPLE = 1 << 16

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: How people name the encodings detection can give (Python's names are terse).
_NAMES = {
    "utf_8": "UTF-8",
    "utf_8_sig": "UTF-8 (with BOM)",
    "utf_16": "UTF-16",
    "utf_32": "UTF-32",
    "cp1252": "Windows-1252",
    "latin_1": "Latin-1",
    "iso8859_15": "Latin-9",
    "mac_roman": "Mac Roman",
}
#: Western single-byte encodings, tried in this order when the detector has no opinion.
_WESTERN = ("cp1252", "latin_1")


class EncodingError(ValueError):
    """The file cannot be read as text in the encoding decided (or named) for it."""


def describe(encoding: str) -> str:
    """A readable name for a Python codec name: ``cp1252`` → ``Windows-1252``."""
    name = codecs.lookup(encoding).name.replace("-", "_")
    return _NAMES.get(name, encoding)


def _bom_encoding(head: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    return None


def _first_error(stream: IO[bytes], encoding: str) -> int | None:
    """The offset of the first byte that does not decode, or None when all of it does."""
    stream.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    while True:
        chunk = stream.read(CHUNK)
        try:
            decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as error:
            return offset + max(error.start, 0)
        if not chunk:
            return None
        offset += len(chunk)


def _detected(sample: bytes) -> list[str]:
    """Encodings charset-normalizer finds plausible for ``sample``, best first.

    A short sample of Western text reads the same in many code pages (the detector may
    rank cp775 or cp1250 above cp1252 for "Zoë"): when a Western encoding is among the
    plausible ones it goes first, as it is what Excel and Outlook write on Windows.
    """
    from charset_normalizer import from_bytes

    plausible: list[str] = []
    for match in from_bytes(sample):
        plausible.extend([match.encoding, *match.could_be_from_charset])
    western = [encoding for encoding in _WESTERN if encoding in plausible]
    return [*western, *plausible]


def decide_encoding(stream: IO[bytes], forced: str | None = None) -> str:
    """The encoding every byte of ``stream`` decodes in (a Python codec name).

    With ``forced`` the file is checked in that encoding. Raises `EncodingError` when no
    encoding reads the whole file; ``stream`` is left at its start.
    """
    try:
        if forced is not None:
            try:
                codecs.lookup(forced)
            except LookupError:
                raise EncodingError(f"{forced!r} is not an encoding Python knows") from None
            bad = _first_error(stream, forced)
            if bad is not None:
                raise EncodingError(
                    f"the file is not {describe(forced)} text: the byte at offset {bad:,} "
                    "does not decode"
                )
            return forced
        head = stream.read(4)
        encoding = _bom_encoding(head)
        if encoding is not None:
            bad = _first_error(stream, encoding)
            if bad is not None:
                raise EncodingError(
                    f"the file starts with a {describe(encoding)} byte-order mark but the byte "
                    f"at offset {bad:,} does not decode"
                )
            return encoding
        bad = _first_error(stream, "utf-8")
        if bad is None:
            return "utf-8"
        stream.seek(max(bad - SAMPLE, 0))
        sample = stream.read(2 * SAMPLE)
        candidates = [*_detected(sample), *_WESTERN]
        for candidate in dict.fromkeys(candidates):
            if _first_error(stream, candidate) is None:
                return candidate
        raise EncodingError(  # pragma: no cover - latin-1 decodes any byte
            "the file's encoding cannot be recognised"
        )
    finally:
        stream.seek(0)


def _prefix_error(prefix: bytes, encoding: str, *, complete: bool) -> int | None:
    """The offset of the first byte of ``prefix`` that does not decode (a character cut
    by the end of an incomplete prefix is not an error)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        decoder.decode(prefix, final=complete)
    except UnicodeDecodeError as error:
        return max(error.start, 0)
    return None


def decide_prefix_encoding(prefix: bytes, forced: str | None = None, *, complete: bool) -> str:
    """The encoding of a stream, judged from its first bytes ``prefix`` (``complete``: the
    whole stream). Raises `EncodingError` when no encoding reads them."""
    if forced is not None:
        try:
            codecs.lookup(forced)
        except LookupError:
            raise EncodingError(f"{forced!r} is not an encoding Python knows") from None
        candidates = [forced]
    else:
        bom = _bom_encoding(prefix[:4])
        if bom is not None:
            candidates = [bom]
        else:
            first = _prefix_error(prefix, "utf-8", complete=complete)
            if first is None:
                return "utf-8"
            sample = prefix[max(first - SAMPLE, 0) : first + SAMPLE]
            candidates = [*_detected(sample), *_WESTERN]
    errors: list[int] = []
    for candidate in dict.fromkeys(candidates):
        error = _prefix_error(prefix, candidate, complete=complete)
        if error is None:
            return candidate
        errors.append(error)
    raise EncodingError(
        f"the input is not {describe(candidates[0])} text: the byte at offset {errors[0]:,} "
        "does not decode"
    )
