"""Coverage: for one client, what each connection does with each field the client sets.

Read from the connections' `Preview`s (no I/O): the wire fields a neutral field becomes,
or that it is dropped. The question every team sending clients to several back-offices
asks before go-live.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from clientbridge.model import Client
from clientbridge.wire import Preview

__all__ = ["DROPPED", "FieldCoverage", "field_coverage"]

#: The cell of a field a connection does not send.
DROPPED = "dropped"


@attrs.frozen(kw_only=True)
class FieldCoverage:
    """One neutral field the client sets, and per connection the wire fields it becomes
    (``None`` when dropped; empty when it is used without a wire field of its own, as
    ``external_id``, a lead sent to a lead endpoint or an address part sent with the
    rest of the address)."""

    field: str
    wire: Mapping[str, tuple[str, ...] | None]


def _cell(field: str, view: Preview) -> tuple[str, ...] | None:
    dropped = set(view.dropped_fields)
    if field in dropped or field.split(".")[0] in dropped:
        return None
    if field in view.wire_fields:
        return view.wire_fields[field]
    return ()  # e.g. an address part that reached the wire with the rest of the address


def field_coverage(client: Client, views: Mapping[str, Preview]) -> list[FieldCoverage]:
    """A row per field ``client`` sets (the address, then each part of it set), in the
    model's order, with a cell per connection of ``views``."""
    fields: list[str] = []
    for field in client.given_fields():
        fields.append(field)
        if field == "address" and client.address is not None:
            fields.extend(
                f"address.{part.name}"
                for part in attrs.fields(type(client.address))
                if getattr(client.address, part.name) is not None
            )
    for view in views.values():
        for field in view.dropped_fields:
            if field not in fields:
                fields.append(field)
    rows = [
        FieldCoverage(field=field, wire={name: _cell(field, view) for name, view in views.items()})
        for field in fields
    ]
    # A field no connection sends nor drops (``external_id``, the caller's own key) says
    # nothing about coverage.
    return [row for row in rows if not views or any(wire != () for wire in row.wire.values())]
