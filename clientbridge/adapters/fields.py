"""Field rules: how neutral fields become wire fields, and the pure payload builder.

An adapter declares one `FieldRule` per wire field: where its value comes from (a
*picker*), whether it is required, its length limit and value check. `build_payload`
applies the rules to a `Client` and returns the payload, the neutral fields that reached
the wire and the problems found; `dropped_fields` says which of the caller's fields did
not reach it. No I/O, no adapter state: the `Adapter` class calls these.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

import attrs

from clientbridge.errors import FieldError
from clientbridge.model import Address, Client
from clientbridge.wire import JSONValue

__all__ = [
    "ADDRESS_PARTS",
    "NEUTRAL_FIELDS",
    "Check",
    "FieldProblem",
    "FieldRule",
    "Payload",
    "Picked",
    "Picker",
    "address_part",
    "build_payload",
    "dropped_fields",
    "first_name_or_split",
    "first_of",
    "last_name_or_split",
    "person_name",
    "split_name",
    "take",
]

#: Given fields that are never reported as dropped: ``external_id`` is the caller's own
#: key and ``extras`` is keyed per adapter on purpose.
NEVER_DROPPED = frozenset({"external_id", "extras"})
#: The neutral fields an adapter may send or drop, in the model's (documentation) order.
NEUTRAL_FIELDS: tuple[str, ...] = tuple(
    field.name for field in attrs.fields(Client) if field.name not in NEVER_DROPPED
)

#: The parts of an `Address`, each counted on its own when an address is sent.
ADDRESS_PARTS: tuple[str, ...] = tuple(field.name for field in attrs.fields(Address))

#: Control characters no client value needs (tab, CR and LF are text): NUL and the like
#: make providers fail, sometimes after storing the record (an unknown outcome).
_BINARY_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FieldProblem(Exception):
    """Raised by a `FieldRule` picker when the value cannot be sent (e.g. a bad phone).

    ``field`` names the neutral field at fault when it is not the rule's own (a phone
    read in the region of an address country that names no country: ``address.country``).
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class Picked(NamedTuple):
    """A value for the wire and the neutral fields it came from."""

    value: JSONValue
    sources: tuple[str, ...]
    warnings: tuple[str, ...] = ()


Picker = Callable[[Client], "Picked | None"]
Check = Callable[[Any], "str | None"]


@attrs.frozen(kw_only=True)
class FieldRule:
    """How one wire field is filled from the neutral model, and what it must satisfy.

    ``wire`` may be dotted (``"address.line_1"``) to build nested objects. ``neutral``
    lists the neutral fields that may feed it (for the docs' mapping tables);
    ``label`` names the field in `FieldError` (defaults to ``neutral[0]``).
    """

    wire: str
    neutral: tuple[str, ...]
    pick: Picker
    required: bool = False
    max_length: int | None = None
    check: Check | None = None
    label: str | None = None
    #: the message when a required value is missing (default: "is required by ...")
    required_message: str = ""
    note: str = ""

    @property
    def error_label(self) -> str:
        return self.label or self.neutral[0]


def take(field: str) -> Picker:
    """The value of one neutral field, as is."""

    def pick(client: Client) -> Picked | None:
        value = getattr(client, field)
        return None if value is None else Picked(value, (field,))

    return pick


def person_name(client: Client) -> Picked | None:
    """The display name (``name``, which defaults to "first last")."""
    if client.name is None:
        return None
    if client.name != client.full_name:
        # A display name of its own: the first and last names are not in it.
        return Picked(client.name, ("name",))
    return Picked(client.name, ("name", "first_name", "last_name"))


def split_name(name: str) -> tuple[str, str | None]:
    """A display name split at its last space: ("Ada King", "Lovelace"); one word is a
    first name alone."""
    first, _, last = name.strip().rpartition(" ")
    return (first.strip(), last) if first.strip() else (last, None)


def _given_name_split(client: Client) -> tuple[str, str | None] | None:
    """``name`` split at its last space, when the caller gave it (not merely derived)."""
    if client.name is None or client.name == client.full_name:
        return None
    return split_name(client.name)


def first_name_or_split(warning: str) -> Picker:
    """``first_name``, else ``name`` up to its last space (with ``warning``), for a
    provider that needs a first and a last name."""

    def pick(client: Client) -> Picked | None:
        if client.first_name is not None:
            return Picked(client.first_name, ("first_name",))
        split = _given_name_split(client)
        return None if split is None else Picked(split[0], ("name",), (warning,))

    return pick


def last_name_or_split(warning: str) -> Picker:
    """``last_name``, else the last word of ``name`` (with ``warning`` once per client:
    `first_name_or_split` gives it when it split the name too)."""

    def pick(client: Client) -> Picked | None:
        if client.last_name is not None:
            return Picked(client.last_name, ("last_name",))
        split = _given_name_split(client)
        if split is None or split[1] is None:
            return None
        warnings = (warning,) if client.first_name is not None else ()
        return Picked(split[1], ("name",), warnings)

    return pick


def first_of(*pickers: Picker) -> Picker:
    """The first picker that finds a value."""

    def pick(client: Client) -> Picked | None:
        for picker in pickers:
            picked = picker(client)
            if picked is not None:
                return picked
        return None

    return pick


def address_part(part: str) -> Picker:
    """One attribute of ``client.address``."""

    def pick(client: Client) -> Picked | None:
        if client.address is None:
            return None
        value = getattr(client.address, part)
        return None if value is None else Picked(value, (f"address.{part}", "address"))

    return pick


class Payload(NamedTuple):
    """What the field rules made of one client: the wire payload, the neutral fields
    that reached it, warnings about values sent, and the problems that stop a send."""

    body: dict[str, JSONValue]
    sent: set[str]
    warnings: list[str]
    errors: list[FieldError]
    #: each neutral field that reached the wire -> the wire fields it fills
    wire_fields: dict[str, tuple[str, ...]]


def build_payload(rules: Sequence[FieldRule], client: Client, provider: str) -> Payload:
    """Apply ``rules`` to ``client``. Pure; ``provider`` (a display name) words errors."""
    body: dict[str, JSONValue] = {}
    errors: list[FieldError] = []
    sent: set[str] = set()
    warnings: list[str] = []
    wire_fields: dict[str, tuple[str, ...]] = {}
    for rule in rules:
        try:
            picked = rule.pick(client)
        except FieldProblem as refused:
            errors.append(FieldError(refused.field or rule.error_label, str(refused)))
            continue
        value = None if picked is None else picked.value
        problem: str | None = None
        # Text, the common value, is checked inline (this runs for every field of a create).
        if type(value) is str:
            if not value:
                value = None
            elif rule.max_length is not None and len(value) > rule.max_length:
                problem = _too_long(rule, value, provider)
            else:
                binary = _BINARY_CHARACTERS.search(value)
                if binary is not None:
                    problem = _binary_problem(binary.group())
                elif rule.check is not None:
                    problem = rule.check(value)
        elif value is not None:
            if _is_empty(value):
                value = None
            else:
                problem = _value_problem(rule, value, provider)
        if picked is None or value is None:
            if rule.required:
                message = rule.required_message or f"is required by {provider}"
                errors.append(FieldError(rule.error_label, message))
            continue
        if problem is not None:
            # Named for the field the value came from (company_name, not the rule's name).
            label = picked.sources[0] if picked.sources else rule.error_label
            errors.append(FieldError(label, problem))
            continue
        wire = rule.wire
        if "." in wire:
            _set_path(body, wire, value)
        else:
            body[wire] = value
        sources = picked.sources
        sent.update(sources)
        for source in sources:
            wire_fields[source] = (*wire_fields.get(source, ()), wire)
        if picked.warnings:
            warnings.extend(picked.warnings)
    return Payload(body, sent, warnings, errors, wire_fields)


def _value_problem(rule: FieldRule, value: JSONValue, provider: str) -> str | None:
    """Why ``value`` cannot be sent as ``rule.wire`` (too long, binary, refused by the
    rule's check), or None."""
    if rule.max_length is not None and isinstance(value, str) and len(value) > rule.max_length:
        return _too_long(rule, value, provider)
    binary = _binary_character(value)
    if binary is not None:
        return _binary_problem(binary)
    return rule.check(value) if rule.check is not None else None


def _too_long(rule: FieldRule, value: str, provider: str) -> str:
    return (
        f"is {len(value)} characters; {provider} accepts at most {rule.max_length} in {rule.wire}"
    )


def _binary_problem(character: str) -> str:
    return (
        f"contains the control character U+{ord(character):04X}; remove it "
        "(was the value read from a binary or UTF-16 file?)"
    )


def dropped_fields(client: Client, sent: Iterable[str]) -> tuple[str, ...]:
    """The caller's fields that did not reach the wire, in the model's order.

    The parts of an address count on their own: when the address reached the wire
    without a part the caller set, that part is listed as ``address.<part>``; when no
    part reached it, only ``address`` is. (An adapter whose pickers name no part, only
    ``address``, sends the address whole.)
    """
    handled = set(sent) | NEVER_DROPPED
    dropped: list[str] = []
    for field in client.given_fields():
        if field not in handled:
            dropped.append(field)
        elif field == "address" and client.address is not None:
            dropped.extend(_dropped_address_parts(client.address, handled))
    return tuple(dropped)


def _dropped_address_parts(address: Address, handled: set[str]) -> list[str]:
    parts = [f"address.{part}" for part in ADDRESS_PARTS if getattr(address, part)]
    if not any(part in handled for part in parts):
        return []
    return [part for part in parts if part not in handled]


def unique_errors(items: Iterable[FieldError]) -> list[FieldError]:
    """``items`` without repeats, in order."""
    return list(dict.fromkeys(items))


def _binary_character(value: object) -> str | None:
    """The first control character (other than tab, CR, LF) in the strings of ``value``."""
    # Concrete types, not ABCs: payload values are plain JSON, and this runs per field.
    if isinstance(value, str):
        found = _BINARY_CHARACTERS.search(value)
        return found.group() if found else None
    items: Iterable[object]
    if isinstance(value, dict):
        items = value.values()
    elif isinstance(value, list | tuple):
        items = value
    else:
        return None
    for item in items:
        character = _binary_character(item)
        if character is not None:
            return character
    return None


def _is_empty(value: JSONValue) -> bool:
    return value is None or (isinstance(value, str | list | tuple) and not value)


def _set_path(payload: dict[str, JSONValue], path: str, value: JSONValue) -> None:
    if "." not in path:
        payload[path] = value
        return
    *parents, leaf = path.split(".")
    target = payload
    for parent in parents:
        target = target.setdefault(parent, {})
    target[leaf] = value
