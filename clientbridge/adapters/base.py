"""The `Adapter` base class: a provider as data plus a few small hooks.

An adapter declares:

* ``settings_spec`` — what it is configured with (`Setting`, in `clientbridge.settings`);
* ``fields`` — how neutral fields become wire fields (`FieldRule`, in `.fields`): required
  fields, length limits and value checks live on the rule, so validation is generic;
* ``capabilities`` — leads, bulk size, look-ups, invite status (`Capabilities`);
* ``status_key`` / ``status_table`` / ``invite_table`` — where a record holds the
  provider's status word, and that word normalised;
* ``error_table`` — HTTP status → exception class (read by `.responses`).

An adapter never does I/O: it builds `HttpRequest` values and reads `HttpResponse`
values, and a driver sends them. A create is a *plan* (`.plans`): a generator that yields
requests, receives responses and returns one outcome per client. This module keeps the
class that ties those together; the payload builder, the plan types and the error
mapping each live in their own module, re-exported here for adapter authors.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote

import attrs

from clientbridge.adapters.fields import (
    NEUTRAL_FIELDS,
    Check,
    FieldProblem,
    FieldRule,
    Picked,
    Picker,
    address_part,
    build_payload,
    dropped_fields,
    first_name_or_split,
    first_of,
    last_name_or_split,
    person_name,
    split_name,
    take,
    unique_errors,
)
from clientbridge.adapters.lookups import LookupPlanning
from clientbridge.adapters.plans import FindPlan, Lookup, LookupPlan, Outcome, Plan, Prepared
from clientbridge.adapters.responses import (
    DEFAULT_ERROR_TABLE,
    READ_ERRORS,
    parse_timestamp,
    text_or_none,
)
from clientbridge.errors import (
    FieldError,
    UnsupportedFeatureError,
    ValidationError,
)
from clientbridge.model import Client, FrozenMapping
from clientbridge.result import ClientStatus, CreateResult, InviteStatus
from clientbridge.secrets import Secret
from clientbridge.settings import Setting, UnsupportedMode, check_base_url
from clientbridge.wire import HeaderValue, HttpRequest, HttpResponse, JSONValue

__all__ = [
    "DEFAULT_ERROR_TABLE",
    "NEUTRAL_FIELDS",
    "Adapter",
    "Capabilities",
    "Check",
    "FieldProblem",
    "FieldRule",
    "FindPlan",
    "Lookup",
    "LookupPlan",
    "Outcome",
    "Picked",
    "Picker",
    "Plan",
    "Prepared",
    "Setting",
    "UnsupportedMode",
    "address_part",
    "check_base_url",
    "first_name_or_split",
    "first_of",
    "last_name_or_split",
    "parse_timestamp",
    "person_name",
    "split_name",
    "take",
    "text_or_none",
]


@attrs.frozen(kw_only=True)
class Capabilities:
    """What a provider can do, as data (the docs' capability matrix reads it)."""

    leads: bool = False
    #: clients per create request (1 = one request per client)
    bulk_size: int = 1
    #: ids looked up before a create (e.g. ``("company_id", "client_role_id")``)
    lookups: tuple[str, ...] = ()
    invite_status: bool = False
    #: the provider can be asked whether a client exists (`Adapter.find_existing`)
    find_existing: bool = False
    #: the provider refuses a second client with the same email (a create of one that
    #: exists raises `DuplicateClientError`), so a create whose outcome is unknown can be
    #: sent again to find out: it creates the client or answers that it exists
    unique_email: bool = False


class Adapter(LookupPlanning):
    """Base class of every adapter. Subclasses declare data and override small hooks."""

    #: the registry name: lower case, one word (what `connect` and config files use)
    name: ClassVar[str]
    #: the provider's own name for people, spelled as the provider spells it
    display_name: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    settings_spec: ClassVar[tuple[Setting, ...]] = ()
    fields: ClassVar[tuple[FieldRule, ...]] = ()
    capabilities: ClassVar[Capabilities] = Capabilities()
    #: the record key holding the provider's status word (None: records have none, and a
    #: created client is active, with no invite status); read by `record_status`
    status_key: ClassVar[str | None] = None
    #: provider status word → normalised status (anything else is UNKNOWN)
    status_table: ClassVar[Mapping[str, ClientStatus]] = {}
    #: provider status word → normalised invite status (anything else is UNKNOWN; an
    #: empty table means the provider reports no invite status)
    invite_table: ClassVar[Mapping[str, InviteStatus]] = {}

    def __init__(self, settings: Mapping[str, object]) -> None:
        self.settings = dict(settings)
        #: look-up results, kept for the connection's lifetime
        self.cache: dict[str, str] = {}
        self._urls: dict[tuple[str, ...], str] = {}

    # ----------------------------------------------------------------- settings

    def setting(self, name: str) -> Any:
        return self.settings.get(name)

    def secret(self, name: str) -> Secret:
        value = self.settings[name]
        assert isinstance(value, Secret)
        return value

    def secrets(self) -> tuple[Secret, ...]:
        return tuple(value for value in self.settings.values() if isinstance(value, Secret))

    def bearer(self, setting_name: str) -> Secret:
        """The secret setting ``setting_name`` as an ``Authorization: Bearer`` value."""
        return Secret(f"Bearer {self.secret(setting_name).reveal()}")

    def auth_headers(self) -> Mapping[str, HeaderValue]:
        """The headers that carry the credential (override; settings never change, so
        `json_headers` reads them once)."""
        return {}

    @functools.cached_property
    def json_headers(self) -> Mapping[str, HeaderValue]:
        """`auth_headers` plus ``Content-Type: application/json``, built once."""
        return FrozenMapping({**self.auth_headers(), "Content-Type": "application/json"})

    def post_json(self, url: str, body: JSONValue) -> HttpRequest:
        """A ``POST`` of ``body`` as JSON to ``url``, with `json_headers`."""
        return HttpRequest(method="POST", url=url, headers=self.json_headers, json=body)

    def url(self, *segments: str) -> str:
        """``base_url`` joined with path segments; a segment is percent-encoded."""
        url = self._urls.get(segments)
        if url is None:
            base = str(self.settings["base_url"])
            url = base + "".join("/" + quote(segment, safe="{}") for segment in segments)
            self._urls[segments] = url
        return url

    # ----------------------------------------------------------------- validation hooks

    def field_rules(self) -> tuple[FieldRule, ...]:
        """The rules this instance applies: ``fields`` unless a setting changes a rule
        (override; e.g. a phone rule reading national numbers in a configured region)."""
        return self.fields

    def validate_client(self, client: Client) -> list[FieldError]:
        """Rules that span several fields (override; the field rules run first)."""
        return []

    def warnings_for(self, client: Client) -> list[str]:
        """Warnings about values that were sent but may surprise the caller."""
        return []

    # ----------------------------------------------------------------- preparation

    def prepare(self, index: int, client: Client, on_unsupported: UnsupportedMode) -> Prepared:
        """Validate ``client`` and build its payload. Pure; raises `ValidationError`, or
        `UnsupportedFeatureError` for a dropped field under ``on_unsupported="error"``."""
        payload = build_payload(self.field_rules(), client, self.display_name)
        errors = [*payload.errors, *self.validate_client(client)]
        if errors:
            raise ValidationError.from_errors(self.display_name, tuple(unique_errors(errors)))
        dropped = self.dropped_fields(client, payload.sent)
        if dropped and on_unsupported == "error":
            raise self.unsupported(dropped)
        warnings = payload.warnings
        if on_unsupported == "warn":
            warnings.extend(self.dropped_warning(field) for field in dropped)
        warnings.extend(self.warnings_for(client))
        extras = client.extras.get(self.name)
        wire_fields = payload.wire_fields
        if extras:
            payload.body.update(extras)
            wire_fields["extras"] = tuple(extras)
        given = set(client.given_fields())
        return Prepared(
            index=index,
            client=client,
            payload=payload.body,
            dropped_fields=dropped,
            warnings=tuple(warnings),
            wire_fields={
                field: wires for field, wires in wire_fields.items() if field.split(".")[0] in given
            },
        )

    def dropped_fields(self, client: Client, sent: set[str]) -> tuple[str, ...]:
        """The caller's fields that did not reach the wire, in the model's order."""
        return dropped_fields(client, sent | {"lead"} if self.capabilities.leads else sent)

    def unsupported(self, dropped: tuple[str, ...]) -> UnsupportedFeatureError:
        """The error for fields this provider cannot take, under ``on_unsupported="error"``."""
        return UnsupportedFeatureError(
            f"{self.display_name} does not support {', '.join(dropped)}; remove "
            f"{'it' if len(dropped) == 1 else 'them'} from the client or connect with "
            'on_unsupported="warn"',
            provider=self.name,
            fields=dropped,
        )

    def dropped_reason(self, field: str) -> str:
        """Why ``field`` (one of `dropped_fields`) is not sent, as one clause naming the
        provider, for summaries that count the rows ("<provider> has no phone on create")."""
        if field == "lead":
            return f"{self.display_name} has no leads: the records were created as normal clients"
        return f"{self.display_name} has no {field} on create"

    def dropped_warning(self, field: str) -> str:
        if field == "lead":
            return (
                f"lead is not supported by {self.name}; the record was created as a normal client"
            )
        return f"{field} is not supported by {self.name} and was not sent"

    # ----------------------------------------------------------------- plans

    def batch_key(self, client: Client) -> Hashable:
        """Clients with the same key may share one bulk request (override to split)."""
        return None

    def duplicate_key(self, client: Client) -> str | None:
        """What the provider refuses a second client for: the email, case-folded, where
        ``capabilities.unique_email``; None where nothing is refused (or no email given).

        Two creates with the same key are never sent together: the refusal settles the
        second only once the first has finished (sent together, both might pass the check).
        """
        if not self.capabilities.unique_email or not client.email:
            return None
        return client.email.strip().casefold()

    def build_create_request(
        self, batch: Sequence[Prepared], resolved: Mapping[str, str]
    ) -> HttpRequest:
        """The request that creates ``batch`` (one client unless ``bulk_size`` > 1)."""
        raise NotImplementedError

    def parse_create_response(
        self, response: HttpResponse, batch: Sequence[Prepared]
    ) -> list[Outcome]:
        """One outcome per client of ``batch``. The default reads one record."""
        body = self.json_body(response)
        record = self.created_record(body)
        return [self.result_from_record(record, batch[0])]

    def created_record(self, body: JSONValue) -> Mapping[str, JSONValue]:
        """The created record inside a success body (override when it is wrapped)."""
        if not isinstance(body, dict):  # decoded JSON: a dict, not any Mapping
            raise self.unexpected("the response is not a JSON object")
        return body

    def parse_record(self, record: Mapping[str, JSONValue]) -> Client:
        """The neutral client as the provider stored it (override)."""
        raise NotImplementedError

    def record_status(
        self, record: Mapping[str, JSONValue]
    ) -> tuple[ClientStatus, InviteStatus | None, str | None]:
        """Normalised status, invite status and the provider's own status word: the word
        under ``status_key`` read through ``status_table`` and ``invite_table`` (override
        when the status is not one word)."""
        if self.status_key is None:
            return ClientStatus.ACTIVE, None, None
        word = text_or_none(record.get(self.status_key))
        status = self.status_table.get(word or "", ClientStatus.UNKNOWN)
        invite = (
            self.invite_table.get(word or "", InviteStatus.UNKNOWN) if self.invite_table else None
        )
        return status, invite, word

    def record_warnings(self, record: Mapping[str, JSONValue]) -> list[str]:
        """Warnings the provider's answer calls for (override)."""
        return []

    def result_from_record(
        self,
        record: Mapping[str, JSONValue],
        prepared: Prepared,
        *,
        id_key: str = "id",
        raw: Mapping[str, JSONValue] | None = None,
    ) -> CreateResult:
        """A `CreateResult` from one created record (shared by every adapter); ``raw`` is
        what the result keeps as the provider's answer when it is not ``record`` itself."""
        record_id = text_or_none(record.get(id_key))
        if not record_id:
            raise self.unexpected(f"the created record has no {id_key!r}")
        try:
            status, invite, provider_status = self.record_status(record)
            client = self.parse_record(record)
        except READ_ERRORS as error:
            raise self.unexpected(f"the created record could not be read ({error})") from None
        return CreateResult(
            provider=self.name,
            id=record_id,
            status=status,
            invite=invite,
            provider_status=provider_status,
            client=client,
            created_at=parse_timestamp(record.get("createdAt") or record.get("created_at")),
            warnings=(*prepared.warnings, *self.record_warnings(record)),
            dropped_fields=prepared.dropped_fields,
            raw=record if raw is None else raw,
        )

    def plan_create(self, batch: Sequence[Prepared]) -> Plan:
        """The plan for one create request: look-ups first (cached), then the create."""
        resolved = yield from self.plan_lookups(batch)
        response = yield self.build_create_request(batch, resolved)
        if not response.is_success:
            raise self.error_from_response(response, answered_create=True)
        try:
            return self.parse_create_response(response, batch)
        except READ_ERRORS as error:
            # A success we cannot read: the clients may exist, so never a plain crash.
            raise self.unexpected(f"the response could not be read ({error})", response) from None

    def find_existing(self, batch: Sequence[Prepared]) -> FindPlan:
        """A read-only plan returning, for each client of ``batch``, the provider's records
        that match what a create of it sends (override when ``capabilities.find_existing``).

        The importer runs it for rows whose create may have happened (an earlier run was
        killed, or got a 500): a single match not claimed by another row means the client
        was created. Raise `ClientBridgeError` subclasses only, like a create plan.
        """
        raise NotImplementedError(f"{self.display_name} cannot be asked whether a client exists")

    def preview_requests(self, batch: Sequence[Prepared]) -> list[HttpRequest]:
        """Every request a create of ``batch`` would send, placeholders for look-ups."""
        requests: list[HttpRequest] = []
        resolved: dict[str, str] = {}
        for lookup in self.lookups(batch):
            value = self.cache.get(lookup.key)
            if value is None:
                requests.append(lookup.request)
                value = "{" + lookup.key + "}"
            resolved[lookup.key] = value
        requests.append(self.build_create_request(batch, resolved))
        return requests

    def credential_check(self) -> HttpRequest | None:
        """A harmless read-only request that proves the credential works, or None when the
        provider documents none (``clientbridge check`` then says it cannot check)."""
        return None

    def neutral_field(self, wire_field: str) -> str:
        """The neutral name of a wire field, or the wire name when there is none."""
        for rule in self.field_rules():
            if rule.wire == wire_field:
                return rule.error_label
        return wire_field
