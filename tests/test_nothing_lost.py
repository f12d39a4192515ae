"""The README's promise, by property: a value the caller set reaches the wire in some form,
or it is listed in ``dropped_fields`` — for every registered adapter, every neutral field
and every part of an address."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import clientbridge as cb
from clientbridge.adapters.fields import ADDRESS_PARTS, NEUTRAL_FIELDS

#: One recognisable value per field, so its arrival on the wire can be seen.
ADDRESS_VALUES = {
    "line1": "1 Zebra Street",
    "line2": "Floor Quartz",
    "line3": "Wing Jasper",
    "city": "Londinium",
    "region": "Greater Zed",
    "postal_code": "SW1A 1AA",
    "country": "FR",  # not GB: no provider can imply it
    "uprn": "100023336956",
}
VALUES: dict[str, object] = {
    "name": "Countess Augusta",
    "phone": "+44 7911 123456",
    "company_name": "Engines Zed Ltd",
    "title": "Dr",
    "contact_methods": (
        cb.ContactMethod(kind=cb.ContactKind.PHONE, value="+44 20 7946 0000"),
        cb.ContactMethod(kind=cb.ContactKind.WHATSAPP, value="+44 7700 900123"),
    ),
    "avatar_url": "https://example.com/zed.png",
    "source": "referral-zed",
    "lead": True,
    "custom_fields": {"tier": "gold-zed"},
}
REQUIRED = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _on_wire(value: object, wire: str) -> bool:
    if isinstance(value, str):
        if value.startswith("+"):  # a phone number, sent in some notation
            return _digits(value)[2:] in _digits(wire)
        return re.search(rf"\b{re.escape(value)}\b", wire) is not None
    if isinstance(value, tuple):
        return all(_on_wire(method.value, wire) for method in value)
    if isinstance(value, Mapping):
        return all(_on_wire(item, wire) for item in value.values())
    raise AssertionError(value)


optional_fields = st.sets(st.sampled_from(sorted(VALUES)))
address_parts = st.none() | st.sets(st.sampled_from(sorted(set(ADDRESS_PARTS) - {"line1"})))


def test_every_neutral_field_is_covered_here() -> None:
    assert set(NEUTRAL_FIELDS) == set(VALUES) | set(REQUIRED) | {"address"}
    assert set(ADDRESS_PARTS) == set(ADDRESS_VALUES)


@pytest.mark.parametrize("provider", cb.providers())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields=optional_fields, parts=address_parts)
def test_a_value_the_caller_set_is_sent_or_listed_as_dropped(
    provider: str, fields: set[str], parts: set[str] | None
) -> None:
    values: dict[str, object] = {**REQUIRED, **{field: VALUES[field] for field in fields}}
    if parts is not None:
        chosen = {"line1", "postal_code", *parts}
        values["address"] = cb.Address(**{part: ADDRESS_VALUES[part] for part in chosen})
    client = cb.Client(**values)  # type: ignore[arg-type]
    with cb.connect(provider, sandbox=True, on_unsupported="ignore") as conn:
        try:
            prepared = conn.adapter.prepare(0, client, "ignore")
        except cb.ValidationError:
            # A client this provider refuses sends nothing, so nothing is lost; but it
            # checks nothing either: hypothesis draws another (and fails if none passes).
            reject()
        requests = conn.adapter.preview_requests([prepared])
        leads = conn.capabilities.leads
    wire = " ".join(f"{request.url} {json.dumps(request.json)}" for request in requests)
    dropped = set(prepared.dropped_fields)
    for field in client.given_fields():
        if field in dropped or field in {"external_id", "extras"}:
            continue
        if field == "lead":
            assert leads, "lead was neither honoured nor listed as dropped"
        elif field == "name":  # the person's name, as first/last or as a display name
            assert _on_wire(client.name, wire) or (
                _on_wire("Ada", wire) and _on_wire("Lovelace", wire)
            ), "name"
        elif field == "address":
            assert client.address is not None
            for part in ADDRESS_PARTS:
                value = getattr(client.address, part)
                if value and f"address.{part}" not in dropped:
                    assert _on_wire(value, wire), f"address.{part} was lost without a word"
        else:
            assert _on_wire(getattr(client, field), wire), f"{field} was lost without a word"
