"""Field rules: how neutral `Client` fields become wire fields, and the pure payload builder.

A `FieldRule` names a wire field, the picker that fills it from a `Client` and what the
value must satisfy. `build_payload` applies an adapter's rules to one client and
returns the payload, the neutral fields it sent and the problems it found;
`dropped_fields` works out which of the caller's fields were not sent. Nothing here
knows an adapter class, a request or a response.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import attrs

from clientbridge.errors import FieldError
from clientbridge.model import Client
from clientbridge.wire import JSONValue

__all__ = [
    "DEFAULT_REGION",
    "NEUTRAL_FIELDS",
    "Built",
    "FieldProblem",
    "FieldRule",
    "Picked",
    "Picker",
    "address_part",
    "build_payload",
    "dropped_fields",
    "first_of",
    "person_name",
    "take",
]

#: The region national phone numbers (and addresses without a country) are read in
#: unless a connection's settings say otherwise: every built-in provider is UK-first.
DEFAULT_REGION = "GB"

#: Given fields that are never reported as dropped: ``external_id`` is the caller's own
#: key and ``extras`` is keyed per adapter on purpose.
NEVER_DROPPED = frozenset({"external_id", "extras"})
#: The neutral fields an adapter may send or drop, in the model's (documentation) order.
NEUTRAL_FIELDS: tuple[str, ...] = tuple(
    field.name for field in attrs.fields(Client) if field.name not in NEVER_DROPPED
)

#: make providers fail, sometimes after storing the record (an unknown outcome).
_BINARY_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FieldProblem(Exception):
    """Raised by a `FieldRule` picker when the value cannot be sent (e.g. a bad phone)."""


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
    return Picked(client.name, ("name", "first_name", "last_name"))


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
        return None if value is None else Picked(value, ("address",))

    return pick


# --------------------------------------------------------------------------- payload


class Built(NamedTuple):
    """What `build_payload` made of one client."""

    payload: dict[str, JSONValue]
    #: the neutral fields whose values reached the payload
    sent: set[str]
    warnings: list[str]
    #: one per rule the client's value fails (empty: the payload can be sent)
    errors: list[FieldError]


def build_payload(rules: Iterable[FieldRule], client: Client, provider: str) -> Built:
    """Apply ``rules`` to ``client``; ``provider`` (a display name) is named in messages.

    Pure: a value that fails its rule becomes a `FieldError` in ``errors`` and is left
    out of the payload.
    """
    payload: dict[str, JSONValue] = {}
    errors: list[FieldError] = []
    sent: set[str] = set()
    warnings: list[str] = []
    for rule in rules:
        try:
            picked = rule.pick(client)
        except FieldProblem as problem:
            errors.append(FieldError(rule.error_label, str(problem)))
            continue
        if picked is None or _is_empty(picked.value):
            if rule.required:
                message = rule.required_message or f"is required by {provider}"
                errors.append(FieldError(rule.error_label, message))
            continue
        value = picked.value
        problem_text = _value_problem(rule, value, provider)
        if problem_text is not None:
            errors.append(FieldError(rule.error_label, problem_text))
            continue
        _set_path(payload, rule.wire, value)
        sent.update(picked.sources)
        warnings.extend(picked.warnings)
    return Built(payload, sent, warnings, errors)


def _value_problem(rule: FieldRule, value: JSONValue, provider: str) -> str | None:
    """Why ``value`` cannot be sent in ``rule``'s field, or None when it can."""
    if rule.max_length is not None and isinstance(value, str) and len(value) > rule.max_length:
        return (
            f"is {len(value)} characters; {provider} accepts at most "
            f"{rule.max_length} in {rule.wire}"
        )
    binary = _binary_character(value)
    if binary is not None:
        return (
            f"contains the control character U+{ord(binary):04X}; remove it "
            "(was the value read from a binary or UTF-16 file?)"
        )
    return rule.check(value) if rule.check is not None else None


def dropped_fields(client: Client, sent: set[str], *, leads: bool) -> tuple[str, ...]:
    """The caller's fields that did not reach the wire, in declaration order.

    ``leads``: the provider records ``lead`` some other way than a field (a lead
    endpoint), so it is never dropped.
    """
    return tuple(
        field
        for field in client.given_fields()
        if field not in sent and field not in NEVER_DROPPED and not (leads and field == "lead")
    )


def unique(items: Iterable[FieldError]) -> list[FieldError]:
    """``items`` without repeats, in order."""
    seen: set[FieldError] = set()
    result = []
    for item in items:
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result


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
