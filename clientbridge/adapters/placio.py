"""Placio "workspace v1": a display name and a list of contact methods."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from clientbridge.adapters.base import (
    Adapter,
    FieldProblem,
    FieldRule,
    Picked,
    Prepared,
    Setting,
    first_of,
    person_name,
    take,
    text_or_none,
)
from clientbridge.adapters.checks import (
    DEFAULT_PHONE_REGION,
    client_e164,
    valid_email,
    valid_http_url,
)
from clientbridge.errors import FieldError
from clientbridge.model import Client, ContactKind, ContactMethod
from clientbridge.wire import HeaderValue, HttpRequest, JSONValue

__all__ = ["PlacioAdapter"]

# Placio has no region setting: a phone number without its country code is read in the
# address's country (the address itself is not sent), else as a UK number.


class _Channel(NamedTuple):
    """A contact channel as sent (plain tuples: this runs for every client)."""

    kind: ContactKind
    value: str
    preferred: bool


def _channels(client: Client) -> list[_Channel]:
    """contact_methods, then email, then phone, without repeating a (kind, value)."""
    channels = [_Channel(m.kind, m.value, m.preferred) for m in client.contact_methods]
    if client.email:
        channels.append(_Channel(ContactKind.EMAIL, client.email, False))
    if client.phone:
        try:
            phone = client_e164(client, client.phone, DEFAULT_PHONE_REGION)
        except FieldProblem:
            phone = None  # validate_client reports it against "phone"
        if phone:
            channels.append(_Channel(ContactKind.PHONE, phone, False))
    unique: list[_Channel] = []
    seen: set[tuple[ContactKind, str]] = set()
    for channel in channels:
        if (channel.kind, channel.value) not in seen:
            seen.add((channel.kind, channel.value))
            unique.append(channel)
    return unique


def _unmarked_preferred(client: Client, channels: list[_Channel]) -> _Channel:
    """The preferred channel when the caller marked none: the primary email
    (`Client.email`), else the first email channel, else the first channel."""
    emails = [channel for channel in channels if channel.kind is ContactKind.EMAIL]
    primary = [channel for channel in emails if channel.value == client.email]
    return (primary or emails or channels)[0]


def _contact_methods(client: Client) -> Picked | None:
    channels = _channels(client)
    if not channels:
        return None
    marked = [channel for channel in channels if channel.preferred]
    if len(marked) > 1:
        raise FieldProblem(f"{len(marked)} channels are marked preferred; Placio accepts one")
    preferred = marked[0] if marked else _unmarked_preferred(client, channels)
    wire = [
        {"type": channel.kind.value, "value": channel.value, "isPreferred": channel is preferred}
        for channel in channels
    ]
    sources = tuple(
        field
        for field, given in (
            ("contact_methods", client.contact_methods),
            ("email", client.email),
            ("phone", client.phone),
        )
        if given
    )
    return Picked(wire, sources)


def _primary(methods: Sequence[ContactMethod], kind: ContactKind) -> str | None:
    """The preferred channel of ``kind`` in a stored record, else its first."""
    found = [method for method in methods if method.kind is kind]
    found.sort(key=lambda method: not method.preferred)  # stable: the rest keep their order
    return found[0].value if found else None


def _custom_fields(client: Client) -> Picked | None:
    if not client.custom_fields:
        return None
    wire = [{"fieldKey": key, "value": value} for key, value in client.custom_fields.items()]
    return Picked(wire, ("custom_fields",))


class PlacioAdapter(Adapter):
    name = "placio"
    display_name = "Placio"
    aliases = ("workspace-v1",)
    settings_spec = (
        Setting(
            name="token",
            description="JWT with the clients.create permission (sent as a bearer token)",
            required=True,
            secret=True,
            sandbox_default="sandbox-placio-token",
        ),
        Setting(
            name="workspace_id",
            description="the workspace that receives the clients",
            required=True,
            path_segment=True,
            sandbox_default="ws_sandbox",
        ),
        Setting(
            name="base_url",
            description="API root (no public host is documented)",
            required=True,
            url=True,
            sandbox_default="https://placio.sandbox.invalid",
        ),
    )
    fields = (
        FieldRule(
            wire="name",
            neutral=("name", "first_name", "last_name", "company_name"),
            pick=first_of(person_name, take("company_name")),
            required=True,
            note="name, else first + last, else company_name",
        ),
        FieldRule(
            wire="avatarUrl",
            neutral=("avatar_url",),
            pick=take("avatar_url"),
            check=valid_http_url,
        ),
        FieldRule(
            wire="contactMethods",
            neutral=("contact_methods", "email", "phone"),
            pick=_contact_methods,
            required=True,
            label="contact_methods",
            required_message="Placio needs at least one channel: give email, phone or "
            "contact_methods",
            note="contact_methods + email + phone (E.164); exactly one preferred",
        ),
        FieldRule(
            wire="customFields",
            neutral=("custom_fields",),
            pick=_custom_fields,
            note='[{"fieldKey": key, "value": value}]',
        ),
    )

    def validate_client(self, client: Client) -> list[FieldError]:
        errors = []
        if client.email is not None:
            problem = valid_email(client.email)
            if problem:
                errors.append(FieldError("email", problem))
        if client.phone is not None:
            try:
                client_e164(client, client.phone, DEFAULT_PHONE_REGION)
            except FieldProblem as error:
                errors.append(FieldError(error.field or "phone", str(error)))
        for position, method in enumerate(client.contact_methods):
            if not method.value:
                errors.append(FieldError(f"contact_methods[{position}]", "value is empty"))
        return errors

    def auth_headers(self) -> Mapping[str, HeaderValue]:
        return {"Authorization": self.bearer("token")}

    def build_create_request(
        self, batch: Sequence[Prepared], resolved: Mapping[str, str]
    ) -> HttpRequest:
        url = self.url("v1", "workspace", str(self.setting("workspace_id")), "clients")
        return self.post_json(url, batch[0].payload)

    def created_record(self, body: JSONValue) -> Mapping[str, JSONValue]:
        record = body.get("client") if isinstance(body, dict) else None
        if not isinstance(record, dict):
            raise self.unexpected('the response has no "client" object')
        return record

    def parse_record(self, record: Mapping[str, JSONValue]) -> Client:
        methods = []
        for item in record.get("contactMethods") or ():
            if not isinstance(item, dict):
                continue
            kind, value = text_or_none(item.get("type")), text_or_none(item.get("value"))
            if not value:
                continue
            try:
                contact_kind = ContactKind(kind or "other")
            except ValueError:
                contact_kind = ContactKind.OTHER
            methods.append(
                ContactMethod(
                    kind=contact_kind, value=value, preferred=item.get("isPreferred") is True
                )
            )
        custom = {}
        for item in record.get("customFields") or ():
            if isinstance(item, dict):
                key, value = text_or_none(item.get("fieldKey")), text_or_none(item.get("value"))
                if key and value is not None:
                    custom[key] = value
        return Client(
            name=text_or_none(record.get("name")),
            email=_primary(methods, ContactKind.EMAIL),
            phone=_primary(methods, ContactKind.PHONE),
            contact_methods=tuple(methods),
            avatar_url=text_or_none(record.get("avatarUrl")),
            custom_fields=custom,
        )
