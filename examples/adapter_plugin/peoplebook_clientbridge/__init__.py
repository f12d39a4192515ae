"""A clientbridge adapter for the fictional Peoplebook API: a small, complete example."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import clientbridge as cb
from clientbridge.adapters.base import (
    Adapter,
    FieldRule,
    Prepared,
    Setting,
    person_name,
    take,
    text_or_none,
)
from clientbridge.adapters.checks import e164_phone, valid_email
from clientbridge.result import ClientStatus
from clientbridge.secrets import Secret
from clientbridge.wire import HttpRequest, JSONValue

__all__ = ["PeoplebookAdapter"]


class PeoplebookAdapter(Adapter):
    name = "peoplebook"
    display_name = "Peoplebook"
    aliases = ("pb",)
    settings_spec = (
        Setting(
            name="api_key", description="API key (Authorization header)", required=True, secret=True
        ),
        Setting(
            name="base_url",
            description="API root",
            default="https://api.peoplebook.example",
            url=True,
        ),
    )
    fields = (
        FieldRule(
            wire="fullName",
            neutral=("name", "first_name", "last_name"),
            pick=person_name,
            required=True,
            max_length=120,
        ),
        FieldRule(wire="contact.email", neutral=("email",), pick=take("email"), check=valid_email),
        FieldRule(wire="contact.phone", neutral=("phone",), pick=e164_phone(lambda: "GB")),
    )
    status_key = "status"
    status_table = {"live": ClientStatus.ACTIVE, "archived": ClientStatus.CLOSED}

    def auth_headers(self) -> Mapping[str, str | Secret]:
        return {"Authorization": self.secret("api_key")}

    def build_create_request(
        self, batch: Sequence[Prepared], resolved: Mapping[str, str]
    ) -> HttpRequest:
        return self.post_json(self.url("people"), batch[0].payload)

    def parse_record(self, record: Mapping[str, JSONValue]) -> cb.Client:
        contact = record.get("contact")
        contact = contact if isinstance(contact, Mapping) else {}
        return cb.Client(
            name=text_or_none(record.get("fullName")),
            email=text_or_none(contact.get("email")),
            phone=text_or_none(contact.get("phone")),
        )
