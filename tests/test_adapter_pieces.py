"""The pure payload builder and dropped-field accounting, beyond tests/test_adapter_fields.py:
length and control-character refusals, and the order and exceptions of dropped fields."""

from __future__ import annotations

import clientbridge as cb
from clientbridge.adapters.base import FieldRule, take
from clientbridge.adapters.fields import build_payload, dropped_fields

RULES = (
    FieldRule(wire="person.name", neutral=("name",), pick=take("name"), required=True),
    FieldRule(wire="email", neutral=("email",), pick=take("email"), max_length=12),
)


def test_a_value_over_its_length_limit_is_reported_and_not_sent() -> None:
    payload = build_payload(RULES, cb.Client(name="Ada", email="much-too-long@example.com"), "Acme")
    assert payload.body == {"person": {"name": "Ada"}}
    assert [(error.field, error.message) for error in payload.errors] == [
        ("email", "is 25 characters; Acme accepts at most 12 in email"),
    ]
    assert "email" not in payload.sent


def test_a_binary_control_character_is_refused() -> None:
    payload = build_payload(RULES, cb.Client(name="Ada\x00"), "Acme")
    assert "U+0000" in payload.errors[0].message
    assert "person" not in payload.body


def test_dropped_fields_follow_the_model_and_never_name_the_callers_own_keys() -> None:
    client = cb.Client(name="Ada", title="Dr", external_id="r1", source="web", lead=True)
    assert dropped_fields(client, {"name"}) == ("title", "source", "lead")
    assert dropped_fields(client, {"name", "title", "source", "lead"}) == ()
