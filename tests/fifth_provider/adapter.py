"""Quillbook: ``POST /v1/clients`` with a name and an email, a bearer token."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from clientbridge.adapters.base import (
    Adapter,
    FieldRule,
    Prepared,
    Setting,
    person_name,
    take,
    text_or_none,
)
from clientbridge.adapters.checks import valid_email
from clientbridge.model import Client
from clientbridge.wire import HeaderValue, HttpRequest, JSONValue

API_KEY = "sandbox-quillbook-key"


class QuillbookAdapter(Adapter):
    name = "quillbook"
    display_name = "Quillbook"
    settings_spec = (
        Setting(
            name="api_key",
            description="API key (sent as a bearer token)",
            required=True,
            secret=True,
            sandbox_default=API_KEY,
        ),
        Setting(
            name="base_url",
            description="API root",
            default="https://api.quillbook.example/v1",
            url=True,
        ),
    )
    fields = (
        FieldRule(
            wire="name",
            neutral=("name", "first_name", "last_name"),
            pick=person_name,
            required=True,
            max_length=200,
        ),
        FieldRule(wire="email", neutral=("email",), pick=take("email"), check=valid_email),
    )

    def auth_headers(self) -> Mapping[str, HeaderValue]:
        return {"Authorization": self.bearer("api_key")}

    def build_create_request(
        self, batch: Sequence[Prepared], resolved: Mapping[str, str]
    ) -> HttpRequest:
        return self.post_json(self.url("clients"), batch[0].payload)

    def parse_record(self, record: Mapping[str, JSONValue]) -> Client:
        return Client(
            name=text_or_none(record.get("name")), email=text_or_none(record.get("email"))
        )
