"""The pure pieces an adapter is built from: the payload builder, dropped-field
accounting, and a look-up answer that cannot be read (nothing was created)."""

from __future__ import annotations

import attrs
import pytest

import clientbridge as cb
from clientbridge.adapters.base import NEUTRAL_FIELDS, Adapter, FieldRule, Lookup, Prepared, take
from clientbridge.adapters.fields import build_payload, dropped_fields
from clientbridge.errors import UnexpectedResponseError
from clientbridge.wire import HttpRequest, HttpResponse

RULES = (
    FieldRule(wire="person.name", neutral=("name",), pick=take("name"), required=True),
    FieldRule(wire="email", neutral=("email",), pick=take("email"), max_length=12),
)


def test_the_payload_builder_nests_dotted_wire_fields_and_records_what_it_sent() -> None:
    built = build_payload(RULES, cb.Client(name="Ada Lovelace", email="a@b.io"), "Acme")
    assert built.payload == {"person": {"name": "Ada Lovelace"}, "email": "a@b.io"}
    assert built.sent == {"name", "email"}
    assert built.errors == []


def test_the_payload_builder_reports_problems_instead_of_sending_the_value() -> None:
    built = build_payload(RULES, cb.Client(email="much-too-long@example.com"), "Acme")
    assert built.payload == {}
    assert [(error.field, error.message) for error in built.errors] == [
        ("name", "is required by Acme"),
        ("email", "is 25 characters; Acme accepts at most 12 in email"),
    ]


def test_the_payload_builder_refuses_binary_control_characters() -> None:
    built = build_payload(RULES, cb.Client(name="Ada\x00"), "Acme")
    assert "U+0000" in built.errors[0].message
    assert "person" not in built.payload


def test_dropped_fields_are_the_given_fields_not_sent_in_model_order() -> None:
    client = cb.Client(name="Ada", title="Dr", lead=True, external_id="r1", source="web")
    assert dropped_fields(client, {"name"}, leads=False) == ("title", "source", "lead")
    # A provider with a lead endpoint never drops `lead`; external_id is never dropped.
    assert dropped_fields(client, {"name"}, leads=True) == ("title", "source")


def test_the_neutral_field_list_follows_the_model() -> None:
    model_fields = [field.name for field in attrs.fields(cb.Client)]
    assert list(NEUTRAL_FIELDS) == [f for f in model_fields if f not in {"external_id", "extras"}]


class _LookingUp(Adapter):
    name = "lookingup"
    display_name = "LookingUp"

    def lookups(self, batch: object) -> list[Lookup]:
        request = HttpRequest(method="GET", url="https://lookingup.example/ids")
        return [Lookup(key="team_id", request=request, parse=self.parse_team)]

    def parse_team(self, response: HttpResponse) -> str:
        body = self.json_body(response)  # raises as if it answered a create
        return str(body)


def test_a_look_up_answer_that_cannot_be_read_says_nothing_was_created() -> None:
    adapter = _LookingUp({})
    plan = adapter.plan_lookups([Prepared(index=0, client=cb.Client(name="A"), payload={})])
    next(plan)
    with pytest.raises(UnexpectedResponseError) as caught:
        plan.send(HttpResponse(status_code=200, content=b"<html>", headers={}))
    assert caught.value.maybe_created is False
    assert "Nothing was created" in str(caught.value)
    assert "may have been created" not in str(caught.value)
    assert "is not JSON" in str(caught.value)
