"""A header row understood: which column fills what, and how a row becomes a `Client`.

`HeaderLayout` reads a header with a vendor layout (detected from the header, or named)
and the generic vocabulary of `clientbridge.importer.reading.columns`, and reports every problem
with the header at once. A row then becomes a `Client` with the values people write put
right: the first of several emails and phones is the primary one and the others are
extra ``contact_methods`` of their kind, a country name becomes its ISO code, a national
phone number is written in E.164 with the row's country, and a single full name is split
into first and last name (each split is noted for the report).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence

import attrs

from clientbridge.importer.errors import LIBRARY_ADVICE, Advice, ImportSetupError, RowError
from clientbridge.importer.formats import ExportFormat, detect
from clientbridge.importer.reading.frame import SkippedColumn
from clientbridge.importer.reading.values import (
    _organisation_name,
    _place_addresses,
    _place_channels,
    _split_name,
    _split_street,
)
from clientbridge.importer.reading.vocabulary import (
    _FIELD_KIND,
    _KIND_WORDS,
    _WORD_FIELD,
    ADDRESS_COLUMNS,
    CLIENT_COLUMNS,
    client_from_fields,
    header_key,
    known_columns,
    resolve_column,
)
from clientbridge.model import Client

__all__ = ["HeaderLayout", "ReadRow", "read_values", "target_slot"]


_CHANNELS = frozenset({"email", "phone", "fax", "whatsapp", "other"})

_ADDRESS_PARTS = frozenset(
    {
        "line1",
        "line2",
        "line3",
        "number",
        "city",
        "region",
        "postal_code",
        "country",
        "po_box",
        "formatted",
        "spaced",
        "label",
    }
)

#: Fields and address parts an export may write with Excel's leading apostrophe.
_DIGITS = frozenset({"phone", "postal_code", "address_postal_code"})

#: Unknown columns named in a refusal; the others are counted (all are in its ``columns``).
MAX_UNKNOWN_LISTED = 20

#: Google writes several values in one cell, separated by " ::: ".
_MULTI = re.compile(r"\s+:::\s+")


@attrs.frozen
class _Slot:
    """What one column fills."""

    #: "field" (a generic column), "channel", "label" or "address"
    kind: str
    #: the generic column, the channel, or the address part
    name: str
    #: the number or address group the column belongs to
    group: str = ""
    primary: bool = False
    #: from a vendor layout (two columns may then fill one field: the first value wins)
    from_format: bool = False


def target_slot(target: str, number: str, header: str) -> _Slot | None:
    """The slot ``target`` (a layout's target, ``{n}`` being ``number``) describes; a
    numbered single field past the first is kept as ``custom.<header>``."""
    target = target.replace("{n}", number)
    channel, star, rest = target.partition("*")
    if star and channel in _CHANNELS:
        if rest == "label":
            return _Slot("label", channel, group=number, from_format=True)
        return _Slot("channel", channel, group=number, primary=rest == "primary", from_format=True)
    if target.startswith("address."):
        _, group, part = target.split(".", 2)
        if part not in _ADDRESS_PARTS:
            raise ValueError(f"unknown address part {part!r} in {target!r}")
        return _Slot("address", part, group=group, from_format=True)
    column = resolve_column(target)
    if column is None:
        raise ValueError(f"{target!r} is not a column clientbridge knows")
    if number not in ("", "1") and column in (*CLIENT_COLUMNS, *ADDRESS_COLUMNS):
        column = f"custom.{header}"  # the second organisation's name is kept, not merged
    return _Slot("field", column, from_format=True)


class _Vocabulary:
    """A vendor layout's headers, ready to match (plain keys and numbered patterns)."""

    def __init__(self, fmt: ExportFormat | None) -> None:
        self.plain: dict[str, str] = {}
        #: header key → the header as the vendor documents it
        self.names: dict[str, str] = {}
        self.patterns: list[tuple[re.Pattern[str], str]] = []
        if fmt is not None:
            self.names = {header_key(h): h for h in fmt.columns if "{n}" not in h}
            self.plain = {
                header_key(header): target
                for header, target in fmt.columns.items()
                if "{n}" not in header
            }
            self.patterns = fmt.patterns()

    def slot(self, header: str) -> _Slot | bool | None:
        """The slot for ``header``; None when the layout ignores it; False when unknown."""
        key = header_key(header)
        if key in self.plain:
            target = self.plain[key]
            return target_slot(target, "", header) if target else None
        for pattern, target in self.patterns:
            match = pattern.match(key)
            if match:
                return target_slot(target, match.group(1), header) if target else None
        return False

    def spellings(self) -> list[str]:
        return list(self.plain)


@attrs.frozen
class ReadRow:
    """One row as read: the client, and notes for the report (a split name)."""

    client: Client
    notes: tuple[str, ...] = ()


@attrs.frozen
class HeaderLayout:
    """Which column fills what; `read` turns a row of cells into a `ReadRow`."""

    headers: tuple[str, ...]
    slots: tuple[_Slot | None, ...]
    #: the vendor layout the header is read with (None: the generic vocabulary only)
    format: ExportFormat | None = None
    #: the layout was detected from the header (not named by the caller)
    detected: bool = False
    #: the columns that are not imported, and why
    skipped: tuple[SkippedColumn, ...] = ()

    @classmethod
    def from_header(
        cls,
        headers: Sequence[str],
        overrides: Mapping[str, str] | None = None,
        *,
        ignore_unknown: bool = False,
        source_format: ExportFormat | str | None = "auto",
        advice: Advice = LIBRARY_ADVICE,
    ) -> HeaderLayout:
        """Understand ``headers``; raises `ImportSetupError` naming every problem at once
        (its ``columns`` lists the columns at fault as data).

        ``source_format`` is a layout, None for the generic vocabulary only, or ``"auto"``
        to detect it. ``overrides`` maps a header to a column name (``""`` ignores it). A
        detected or named layout's own columns that hold no client data are not imported
        (they are listed in `skipped`), nor, with ``ignore_unknown``, unknown columns.
        """
        detected = source_format == "auto"
        fmt = detect(headers) if isinstance(source_format, str) else source_format
        vocabulary = _Vocabulary(fmt)
        pending = {header_key(h): (h, target) for h, target in (overrides or {}).items()}
        problems: list[str] = []
        faults: list[dict[str, object]] = []
        unknown: list[tuple[int, str]] = []
        slots: list[_Slot | None] = []
        skipped: list[SkippedColumn] = []
        for position, header in enumerate(headers, start=1):
            override = pending.pop(header_key(header), None)
            if override is not None:
                mapped = _override_slot(*override, problems, advice)
                if mapped is None and override[1].strip() in {"", "-"}:
                    skipped.append(SkippedColumn(position, header, "mapped"))
                slots.append(mapped)
                continue
            slot = vocabulary.slot(header)
            if slot is None:
                skipped.append(SkippedColumn(position, header, "layout"))
            elif slot is False:
                column = resolve_column(header)
                slot = None if column is None else _Slot("field", column)
                if column is None:
                    if fmt is not None and fmt.holds_no_client_data(header):
                        skipped.append(SkippedColumn(position, header, "layout"))
                    else:
                        unknown.append((position, header))
                        if ignore_unknown:
                            close = suggestion(header, vocabulary) if header.strip() else None
                            skipped.append(
                                SkippedColumn(position, header, "ignored", looks_like=close)
                            )
            slots.append(slot if isinstance(slot, _Slot) else None)
        if pending:
            names = [header for header, _ in pending.values()]
            problems.append(
                f"{advice.column_mapping} names {', '.join(repr(name) for name in names)}, which "
                f"{'is' if len(names) == 1 else 'are'} not in the file's header"
            )
        problems.extend(_duplicates(headers, slots, advice, faults))
        if unknown and not ignore_unknown:
            problems.append(_unknown_message(unknown, vocabulary, advice, faults))
        if problems:
            where = f" (read as {fmt.title})" if fmt is not None else ""
            raise ImportSetupError(
                f"the header cannot be used{where}:\n  - "
                + "\n  - ".join(problems)
                + "\nNothing was sent.",
                columns=faults,
            )
        return cls(tuple(headers), tuple(slots), fmt, detected and fmt is not None, tuple(skipped))

    @property
    def used(self) -> dict[str, str]:
        """File header → what it fills, for the columns that are read."""
        used = {}
        for header, slot in zip(self.headers, self.slots, strict=True):
            if slot is not None:
                used[header] = slot.name if slot.kind == "field" else f"{slot.kind}:{slot.name}"
        return used

    def read(self, cells: Sequence[str]) -> ReadRow:
        """The client one row describes; raises `RowError`."""
        if len(cells) != len(self.slots):
            raise RowError(
                f"the row has {len(cells)} cells but the header has {len(self.slots)}; "
                "check for a stray delimiter or an unclosed quote"
            )
        return read_values(zip(self.slots, cells, strict=True))


def read_values(values: Iterable[tuple[_Slot | None, str]], notes: Sequence[str] = ()) -> ReadRow:
    """A `ReadRow` from ``(slot, text)`` pairs (the vCard reader builds them too);
    ``notes`` are the reader's own, for the report."""
    fields: dict[str, str] = {}
    extra: list[tuple[str, str]] = []
    channels: list[tuple[bool, int, str, str, str]] = []  # primary, order, channel, group, value
    labels: dict[tuple[str, str], str] = {}
    addresses: dict[str, dict[str, str]] = {}
    for order, (slot, text) in enumerate(values):
        value = text.strip() if text else ""
        if slot is None or not value:
            continue
        if value.startswith("'") and (slot.kind == "channel" or slot.name in _DIGITS):
            value = value[1:].strip()  # Excel's mark of a number kept as text ('0117...)
        if slot.kind == "field":
            if slot.name.startswith("contact."):
                extra.append((slot.name, value))
            elif slot.name not in fields:
                fields[slot.name] = value
        elif slot.kind == "label":
            labels[(slot.name, slot.group)] = value
        elif slot.kind == "channel":
            for part in _MULTI.split(value):
                channels.append((slot.primary, order, slot.name, slot.group, part))
        else:
            addresses.setdefault(slot.group, {}).setdefault(slot.name, value)
    _place_addresses(fields, addresses)
    _split_street(fields)
    _place_channels(fields, extra, channels, labels, fields.get("address_country"))
    organisation = _organisation_name(fields)
    said = (*notes, *organisation, *(() if organisation else _split_name(fields)))
    return ReadRow(client_from_fields([*fields.items(), *extra]), said)


def _override_slot(header: str, override: str, problems: list[str], advice: Advice) -> _Slot | None:
    if override.strip() in {"", "-"}:
        return None
    column = resolve_column(override)
    if column is None:
        problems.append(
            f"{advice.column_mapping} {header}={override}: {override!r} is not a column "
            "clientbridge knows; "
            f"use one of {', '.join(known_columns())}, or leave it empty to ignore the column"
        )
        return None
    return _Slot("field", column)


def _duplicates(
    headers: Sequence[str],
    slots: Sequence[_Slot | None],
    advice: Advice,
    faults: list[dict[str, object]],
) -> list[str]:
    """Two generic columns for one field (a layout's may share one: the first value wins),
    one line per field however many columns repeat it."""
    filling: dict[str, list[tuple[int, str]]] = {}
    for position, (header, slot) in enumerate(zip(headers, slots, strict=True), start=1):
        if slot is None or slot.kind != "field" or slot.from_format:
            continue
        if slot.name.startswith("contact."):
            continue
        filling.setdefault(slot.name, []).append((position, header))
    problems = []
    for field, columns in filling.items():
        if len(columns) < 2:
            continue
        for position, header in columns:
            faults.append(
                {"position": position, "header": header, "problem": "duplicate", "field": field}
            )
        names = {header_key(header) for _, header in columns}
        last = columns[-1][1]
        remedy = (
            f"ignore one ({advice.ignore_column.format(header=last)}) or map it to another field"
        )
        if len(columns) == 2 and len(names) == 2:
            problems.append(f"columns {columns[0][1]!r} and {last!r} both fill {field}; {remedy}")
            continue
        positions = _listed([str(position) for position, _ in columns])
        if len(names) == 1:
            problems.append(
                f"column {columns[0][1]!r} appears {len(columns):,} times (columns {positions}) "
                f"and each would fill {field}; keep one"
            )
        else:
            shown = _listed([repr(header) for _, header in columns])
            problems.append(f"{len(columns):,} columns fill {field}: {shown}; keep one")
    return problems


def _listed(items: Sequence[str], limit: int = 10) -> str:
    """``items`` joined, the first ``limit`` of them, then how many more."""
    shown = ", ".join(items[:limit])
    more = len(items) - limit
    return f"{shown} and {more:,} more" if more > 0 else shown


def _kind_word(header: str) -> str | None:
    """The last word of ``header`` that says what kind of field it is about."""
    words: list[str] = re.findall(r"[a-z]+(?:-mail)?", header.lower())
    return next((word for word in reversed(words) if word in _KIND_WORDS), None)


def _header_kind(header: str) -> str | None:
    word = _kind_word(header)
    return None if word is None else _KIND_WORDS[word]


def suggestion(header: str, vocabulary: _Vocabulary | None = None) -> str | None:
    """A known name ``header`` is a near-miss of, or None.

    A close spelling is offered (a typo, a missing letter), never a field of another kind
    than the header's own words say ("Business Phone" is not a company); else the field
    the header's last telling word names ("Address Zip": ``address_postal_code``).
    """
    from clientbridge.importer.reading.vocabulary import _INDEX

    key = header_key(header)
    if not key:
        return None
    spellings: dict[str, str] = {}
    if vocabulary is not None:
        spellings.update((key, target) for key, target in vocabulary.plain.items() if target)
    for spelling, field in _INDEX.items():
        spellings.setdefault(spelling, field)
    close = difflib.get_close_matches(key, list(spellings), n=3, cutoff=0.8)
    kind = _header_kind(header)
    for spelling in close:
        target = spellings[spelling]
        column: str | None = resolve_column(target) if "*" not in target else target
        field_kind = _FIELD_KIND.get(column or "", None)
        if target.startswith(("email*",)):
            field_kind = "email"
        elif target.startswith(("phone*", "fax*", "whatsapp*", "other*")):
            field_kind = "phone"
        if kind is not None and field_kind is not None and kind != field_kind:
            continue
        if vocabulary is not None and spelling in vocabulary.names:
            return repr(vocabulary.names[spelling])
        return column
    word = _kind_word(header)
    return None if word is None else _WORD_FIELD.get(word, None)


def _unknown_message(
    unknown: list[tuple[int, str]],
    vocabulary: _Vocabulary,
    advice: Advice,
    faults: list[dict[str, object]],
) -> str:
    described: list[str] = []
    for position, header in unknown:
        close = suggestion(header, vocabulary) if header.strip() else None
        faults.append(
            {"position": position, "header": header, "problem": "unknown", "suggestion": close}
        )
        if len(described) >= MAX_UNKNOWN_LISTED:
            continue
        if not header.strip():
            described.append(f"column {position} (no name)")
            continue
        described.append(f"{header!r}" + (f" (did you mean {close}?)" if close else ""))
    more = len(unknown) - len(described)
    listed = ", ".join(described) + (f" and {more:,} more" if more else "")
    them = "them" if len(unknown) > 1 else "it"
    remedy = advice.map_columns.format(them=them)
    return (
        f"unknown column{'s' if len(unknown) > 1 else ''}: {listed}. "
        f"{remedy[:1].upper()}{remedy[1:]} (FIELD is one of {', '.join(known_columns())}), "
        f"or {advice.ignore_unknown_columns.format(them=them)}"
    )
