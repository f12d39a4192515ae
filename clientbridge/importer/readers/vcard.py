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
from clientbridge.importer.layout import ReadRow, read_values, target_slot
from clientbridge.importer.source import Source, SourceRow, _digest

__all__ = ["VcardSource", "card_values"]

_BEGIN = re.compile(r"\s*BEGIN\s*:\s*VCARD\s*$", re.IGNORECASE)
_END = re.compile(r"\s*END\s*:\s*VCARD\s*$", re.IGNORECASE)
_VERSION = re.compile(r"^VERSION:\s*(\S+)", re.IGNORECASE | re.MULTILINE)
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


def card_values(card: Any) -> list[tuple[Any, str]]:
    """A card's values as the layout's ``(slot, text)`` pairs (see `formats.vcard`)."""
    columns = VCARD.columns
    values: list[tuple[Any, str]] = []

    def put(column: str, text: object, number: str = "") -> None:
        slot = target_slot(columns[column], number, column)
        values.append((slot, _text(text)))

    contents = card.contents
    if "fn" in contents:
        put("FN", card.fn.value)
    if "n" in contents:
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
        from clientbridge.importer.encodings import EncodingError, describe

        super().__init__(path)
        try:
            try:
                import vobject  # noqa: F401 - checked before the first card
            except ImportError:  # pragma: no cover - installed with the "files" extra
                raise ImportSetupError(
                    f"reading {path.name} needs vobject: pip install 'clientbridge[files]'"
                ) from None
            try:
                self.encoding = self._decide_encoding(encoding)
            except EncodingError as error:
                raise ImportSetupError(
                    f"{path}: {error}; save it as UTF-8 or name its encoding. Nothing was sent."
                ) from None
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

    def _cards(self) -> Iterator[tuple[int, str]]:
        text = io.TextIOWrapper(self._binary, encoding=self._encoding, newline="")
        start = 0
        lines: list[str] = []
        for number, line in enumerate(text, start=1):
            if number == 1:
                line = line.lstrip("\ufeff")
            if not lines:
                if _BEGIN.match(line):
                    start, lines = number, [line]
                continue
            lines.append(line)
            if _END.match(line):
                yield start, "".join(lines)
                lines = []
        text.detach()
        if lines:
            yield start, "".join(lines)

    def rows(self, only: Container[int] | None = None) -> Iterator[SourceRow]:
        import vobject

        for line, block in self._cards():
            if only is not None and line not in only:
                continue
            digest = _digest(block.encode("utf-8", "surrogatepass"))
            try:
                card = vobject.readOne(block)
                read: ReadRow = read_values(card_values(card))
            except RowError as error:
                yield SourceRow(line, digest, None, str(error))
                continue
            except Exception as error:  # vobject raises its own ParseError and ValueErrors
                yield SourceRow(line, digest, None, f"the card cannot be read: {error}")
                continue
            yield SourceRow(line, digest, read.client, notes=read.notes)
