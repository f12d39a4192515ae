"""The pure pieces under every adapter: the payload builder and dropped-field accounting."""

from __future__ import annotations

import attrs

import clientbridge as cb
from clientbridge.adapters.fields import (
    NEUTRAL_FIELDS,
    FieldProblem,
    FieldRule,
    Picked,
    build_payload,
    dropped_fields,
    take,
)
from clientbridge.adapters.responses import ResponseReading
from clientbridge.wire import HttpResponse


def _refuse(client: cb.Client) -> Picked | None:
    raise FieldProblem("is not a possible number")


RULES = (
    FieldRule(wire="contact.email", neutral=("email",), pick=take("email"), required=True),
    FieldRule(wire="company", neutral=("company_name",), pick=take("company_name"), max_length=5),
)


def test_the_payload_holds_each_rule_at_its_wire_path() -> None:
    payload = build_payload(RULES, cb.Client(email="a@example.com"), "Acme")
    assert payload.body == {"contact": {"email": "a@example.com"}}
    assert payload.sent == {"email"}
    assert payload.errors == []


def test_every_problem_is_reported_not_only_the_first() -> None:
    payload = build_payload(RULES, cb.Client(company_name="Too long Ltd"), "Acme")
    assert [(error.field, error.message) for error in payload.errors] == [
        ("email", "is required by Acme"),
        ("company_name", "is 12 characters; Acme accepts at most 5 in company"),
    ]
    assert payload.body == {}


def test_a_picker_that_refuses_names_its_field() -> None:
    rule = FieldRule(wire="phone", neutral=("phone",), pick=_refuse)
    payload = build_payload((rule,), cb.Client(phone="+44 7911 123456"), "Acme")
    assert [(error.field, error.message) for error in payload.errors] == [
        ("phone", "is not a possible number")
    ]


def test_a_field_that_reached_the_wire_is_not_dropped() -> None:
    client = cb.Client(email="a@example.com", title="Dr", external_id="x1")
    assert dropped_fields(client, {"email"}) == ("title",)


def test_the_neutral_field_list_is_the_model_without_the_callers_own_keys() -> None:
    model = [field.name for field in attrs.fields(cb.Client)]
    assert tuple(name for name in model if name not in {"external_id", "extras"}) == NEUTRAL_FIELDS


class _Reader(ResponseReading):
    name = "acme"
    display_name = "Acme"


def test_an_unreadable_answer_to_a_create_may_have_created_the_client() -> None:
    error = _Reader().unexpected(
        "the response is not JSON", HttpResponse(status_code=200, content=b"<html>")
    )
    assert error.maybe_created
    assert error.reason == "the response is not JSON"
    assert "may have been created" in str(error)


def test_an_unreadable_answer_to_a_look_up_says_nothing_was_created() -> None:
    error = _Reader().unexpected("no company", maybe_created=False)
    assert not error.maybe_created
    assert "Nothing was created" in str(error)
    assert "may have been created" not in str(error)
