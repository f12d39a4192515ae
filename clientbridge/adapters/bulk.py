"""A bulk create's answer matched to what was sent.

A provider that creates many clients in one request answers with the records it created
and, sometimes, the entries it refused, in an order it does not promise. `match_created`
pairs each sent member with its created record: by email, then by name (each only where
the value is unique on both sides), then, when every remaining member was created, by
position; a refused entry is matched to its member by email. Pure: no adapter state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from clientbridge.adapters.responses import text_or_none
from clientbridge.wire import JSONValue

__all__ = ["Matching", "match_created"]

Item = Mapping[str, JSONValue]


class Matching(NamedTuple):
    """How a bulk answer's records pair with the members sent."""

    #: sent position -> created record position
    matched: dict[int, int]
    #: sent position -> the reason the provider gave for refusing it (None: none given)
    refused: dict[int, str | None]
    #: created record positions no sent member was matched to
    spare: list[int]


def email_key(item: Item) -> str | None:
    """The ``email`` of a member or record, case-folded, or None."""
    email = item.get("email")
    if not isinstance(email, str):
        return None
    return email.strip().casefold() or None


def name_key(item: Item, name_parts: tuple[str, ...]) -> str | None:
    """The ``name`` of a member or record (else its ``name_parts`` joined), spacing and
    case ignored, or None."""
    name = item.get("name")
    if not isinstance(name, str):
        name = " ".join(str(item.get(key) or "") for key in name_parts)
    return " ".join(name.split()).casefold() or None


def _positions(
    items: Sequence[Item], key: Callable[[Item], str | None], taken: set[int]
) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for position, item in enumerate(items):
        value = key(item)
        if position not in taken and value is not None:
            groups[value].append(position)
    return groups


def match_created(
    sent: Sequence[Item],
    created: Sequence[Item],
    refused_entries: Sequence[JSONValue],
    *,
    name_parts: tuple[str, ...],
) -> Matching:
    """Pair ``sent`` members with ``created`` records and ``refused_entries`` (whose
    ``reason`` or ``message`` says why), as described in the module's docstring."""
    matched: dict[int, int] = {}

    def by_name(item: Item) -> str | None:
        return name_key(item, name_parts)

    for key in (email_key, by_name):
        inputs = _positions(sent, key, set(matched))
        for value, records in _positions(created, key, set(matched.values())).items():
            if len(records) == 1 and len(inputs.get(value, ())) == 1:
                matched[inputs[value][0]] = records[0]
    reasons = {
        email_key(entry): text_or_none(entry.get("reason") or entry.get("message"))
        for entry in refused_entries
        if isinstance(entry, dict) and email_key(entry)
    }
    refused = {
        i: reasons[email]
        for i, member in enumerate(sent)
        if i not in matched and (email := email_key(member)) in reasons
    }
    rest = [i for i in range(len(sent)) if i not in matched and i not in refused]
    spare = [r for r in range(len(created)) if r not in matched.values()]
    if len(rest) == len(spare):  # every remaining input was created: match by position
        matched.update(zip(rest, spare, strict=True))
    return Matching(matched, refused, spare)
