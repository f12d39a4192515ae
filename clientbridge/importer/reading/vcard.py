"""vCard files (.vcf, versions 3.0 and 4.0): one client per card, streamed.

The file is split into cards line by line (each card's row is the line its
``BEGIN:VCARD`` is on) and each card is parsed with vobject, so memory does not grow
with the file. The encoding is decided for the whole file first, as for CSV.
"""

from __future__ import annotations

import io
import re
from collections.abc import Container, Iterator
from pathlib import Path
from typing import Any

from clientbridge.importer.errors import ImportSetupError, RowError
from clientbridge.importer.formats.vcard import VCARD
from clientbridge.importer.reading.layout import ReadRow, read_values, target_slot
from clientbridge.importer.reading.source import (
    MAX_VALUE,
    Source,
    SourceRow,
    _digest,
    long_value_error,
)

__all__ = ["VcardSource", "card_values"]

_BEGIN = re.compile(r"\s*BEGIN\s*:\s*VCARD\s*$", re.IGNORECASE)
_END = re.compile(r"\s*END\s*:\s*VCARD\s*$", re.IGNORECASE)
_VERSION = re.compile(r"^VERSION:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
#: Characters of one card read at most (a photo included); a longer card fails unread.
MAX_CARD = 8 << 20
#: Properties (lines, once unfolded) of one card read at most; a card with more fails
#: unread (vobject would hold them all).
MAX_PROPERTIES = 1_000
#: Characters of one physical line read at once.
_MAX_LINE = 1 << 16
#: Properties that hold binary data (a photo), allowed past `MAX_VALUE` up to `MAX_CARD`.
_BINARY = frozenset({"PHOTO", "LOGO", "SOUND", "KEY"})
_PRODID = re.compile(r"^PRODID:(.*)$", re.IGNORECASE | re.MULTILINE)


def _types(prop: Any) -> set[str]:
    """A property's TYPE parameters (and PREF), lower case: {"work", "pref"}."""
    types: set[str] = set()
    for name, values in prop.params.items():
        if name.upper() == "TYPE":
            for value in values:
                types.update(part.strip().lower() for part in value.split(","))
        elif name.upper() == "PREF":
            types.add("pref")
    return types


def _text(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value if item)
    return str(value or "")


def company_rule(card: Any) -> str | None:
    """Why a card is an organisation's rather than a person's, or None: Apple marks one
    ``X-ABShowAs:COMPANY``; a card with an ORG and no name parts (no N, or an empty one)
    is one too."""
    contents = card.contents
    shown_as = contents.get("x-abshowas")
    if shown_as and str(shown_as[0].value).strip().upper() == "COMPANY":
        return "the card is marked X-ABShowAs:COMPANY"
    if "org" not in contents:
        return None
    if "n" in contents:
        name = card.n.value
        parts = (name.given, name.family, name.additional)
        if any(_text(part).strip() for part in parts):
            return None
    return "the card has an ORG and no name (N)"


def card_values(card: Any) -> list[tuple[Any, str]]:
    """A card's values as the layout's ``(slot, text)`` pairs (see `formats.vcard`); an
    organisation's card (`company_rule`) gives its FN as the company name, not a person's."""
    columns = VCARD.columns
    values: list[tuple[Any, str]] = []
    company = company_rule(card) is not None

    def put(column: str, text: object, number: str = "") -> None:
        slot = target_slot(columns[column], number, column)
        values.append((slot, _text(text)))

    contents = card.contents
    if "fn" in contents and not company:
        put("FN", card.fn.value)
    if company and "org" not in contents and "fn" in contents:
        put("ORG", card.fn.value)
    if "n" in contents and not company:
        name = card.n.value
        put(
            "N (given)",
            " ".join(part for part in (_text(name.given), _text(name.additional)) if part),
        )
        put("N (family)", name.family)
        put("N (prefix)", name.prefix)
    if "org" in contents:
        org = card.org.value
        put("ORG", org[0] if isinstance(org, list | tuple) and org else org)
    for column, key in (("TITLE", "title"), ("UID", "uid"), ("NOTE", "note"), ("URL", "url")):
        if key in contents:
            put(column, contents[key][0].value)
    if "bday" in contents:
        put("BDAY", contents["bday"][0].value)
    if "categories" in contents:
        put("CATEGORIES", contents["categories"][0].value)
    for number, email in enumerate(contents.get("email", []), start=1):
        slot = target_slot(
            "email*primary" if "pref" in _types(email) else "email*", str(number), ""
        )
        values.append((slot, _text(email.value)))
    for number, tel in enumerate(contents.get("tel", []), start=1):
        types = _types(tel)
        channel = "fax" if "fax" in types else "other" if "pager" in types else "phone"
        primary = "pref" in types or "cell" in types
        target = f"{channel}*primary" if primary else f"{channel}*"
        values.append((target_slot(target, str(number), ""), _text(tel.value).removeprefix("tel:")))
    for number, adr in enumerate(contents.get("adr", []), start=1):
        address = adr.value
        group = str(number)
        label = next((t for t in _types(adr) if t not in {"pref", "intl", "postal", "parcel"}), "")
        values.append((target_slot("address.{n}.label", group, ""), label))
        put("ADR (street)", address.street, group)
        put("ADR (extended)", address.extended, group)
        put("ADR (PO box)", address.box, group)
        put("ADR (locality)", address.city, group)
        put("ADR (region)", address.region, group)
        put("ADR (postal code)", address.code, group)
        put("ADR (country)", address.country, group)
    return values


class VcardSource(Source):
    """A .vcf file of one or more vCards."""

    layout = _digest(b"vcard")

    def __init__(self, path: Path, *, encoding: str | None = None) -> None:
        from clientbridge.importer.reading.encodings import describe

        super().__init__(path)
        try:
            try:
                import vobject  # noqa: F401 - checked before the first card
            except ImportError:  # pragma: no cover - installed with the "files" extra
                raise ImportSetupError(
                    f"reading {path.name} needs vobject: pip install 'clientbridge[files]'"
                ) from None
            self.encoding = self._decide_encoding(encoding)
            head = self._head(1 << 16).decode(self.encoding, "replace")
            if "BEGIN:VCARD" not in head.upper().replace(" ", ""):
                raise ImportSetupError(f"{path} holds no vCard (no BEGIN:VCARD line)")
        except BaseException:
            self.close()
            raise
        version = _VERSION.search(head)
        prodid = _PRODID.search(head)
        made_by = " by Apple" if prodid and "apple" in prodid.group(1).lower() else ""
        self.description = (
            f"vCard {version.group(1) if version else ''}{made_by}, {describe(self.encoding)}"
        )
        self._encoding = self.encoding

    def reopen(self) -> VcardSource:
        self._check_rereadable()
        return VcardSource(self.path, encoding=self._encoding)

    def _cards(self) -> Iterator[tuple[int, str, str | None]]:
        """``(line, card text, why it cannot be read or None)`` for each card, read with
        caps: a property longer than `MAX_VALUE` once unfolded (a photo or key aside, up
        to `MAX_CARD`), a card of more than `MAX_PROPERTIES` properties or longer than
        `MAX_CARD`, fails its card unread."""
        text = io.TextIOWrapper(self._binary, encoding=self._encoding, newline="")
        start = 0
        lines: list[str] = []
        size = 0
        prop = ""  # the property the current (unfolded) line belongs to
        prop_size = 0
        properties = 0
        problem: str | None = None
        number = 0
        after_newline = True
        while True:
            whole = after_newline
            line = text.readline(_MAX_LINE)
            if not line:
                break
            after_newline = line.endswith(("\n", "\r"))
            if whole:
                number += 1
            if number == 1:
                line = line.lstrip("\ufeff")
            if not lines:
                if _BEGIN.match(line):
                    start, lines, size = number, [line], len(line)
                    problem, prop, prop_size, properties = None, "", 0, 0
                continue
            if _END.match(line):
                lines.append(line)
                yield start, "".join(lines), problem
                lines = []
                continue
            if not whole:  # the rest of a physical line longer than one read
                prop_size += len(line.rstrip("\r\n"))
            elif line[:1] in (" ", "\t"):
                prop_size += len(line.rstrip("\r\n")) - 1
            else:
                prop = line.split(":", 1)[0].split(";", 1)[0].strip().upper()
                prop_size = len(line.rstrip("\r\n"))
                properties += 1
                if problem is None and properties > MAX_PROPERTIES:
                    problem = f"the card has more than {MAX_PROPERTIES:,} properties"
            binary = prop.rpartition(".")[2] in _BINARY
            if problem is None and prop_size > (MAX_CARD if binary else MAX_VALUE + len(prop) + 1):
                problem = (
                    f"its {prop} holds a value longer than "
                    f"{(MAX_CARD if binary else MAX_VALUE) // 1024} KiB (the most a value may hold)"
                )
            if problem is None and size + len(line) > MAX_CARD:
                problem = f"the card is longer than {MAX_CARD >> 20} MiB"
            if problem is None:
                lines.append(line)
                size += len(line)
        text.detach()
        if lines:
            yield start, "".join(lines), problem

    def rows(self, only: Container[int] | None = None) -> Iterator[SourceRow]:
        import vobject

        for line, block, problem in self._cards():
            if only is not None and line not in only:
                continue
            digest = _digest(block.encode("utf-8", "surrogatepass"))
            if problem is not None:
                yield SourceRow(line, digest, None, f"the card cannot be read: {problem}")
                continue
            try:
                card = vobject.readOne(block)
                values = card_values(card)
                too_long = long_value_error(
                    (slot.name if slot is not None else "a value", text) for slot, text in values
                )
                if too_long is not None:
                    raise RowError(too_long)
                rule = company_rule(card)
                said = (f"the card is an organisation's ({rule})",) if rule else ()
                read: ReadRow = read_values(values, said)
            except RowError as error:
                yield SourceRow(line, digest, None, str(error))
                continue
            except Exception as error:  # vobject raises its own ParseError and ValueErrors
                yield SourceRow(line, digest, None, f"the card cannot be read: {error}")
                continue
            yield SourceRow(line, digest, read.client, notes=read.notes)
