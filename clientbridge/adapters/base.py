"""The sans-I/O adapter interface and the generic work every adapter shares.

An adapter is data plus a few small hooks:

* ``settings`` — what it is configured with (`Setting`);
* ``fields`` — how neutral fields become wire fields (`FieldRule`): required fields,
  length limits and value checks live on the rule, so validation is generic;
* ``capabilities`` — leads, bulk size, look-ups, invite status (`Capabilities`);
* ``status_key`` / ``status_table`` / ``invite_table`` — where a record holds the
  provider's status word, and that word normalised;
* ``error_table`` — HTTP status → exception class.

The generic code here validates a `Client`, builds its payload, works out which of the
caller's fields were not sent, runs look-ups and turns error responses into exceptions.
An adapter never does I/O: it builds `HttpRequest` values and reads `HttpResponse`
values, and a driver sends them. A create is a *plan*: a generator that yields
requests, receives responses and returns one outcome per client.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Generator, Hashable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, Literal, NamedTuple
from urllib.parse import quote, urlsplit

import attrs

from clientbridge.errors import (
    RETRYABLE_STATUSES,
    AuthenticationError,
    ClientBridgeError,
    ConfigurationError,
    DuplicateClientError,
    FieldError,
    NotFoundError,
    PermissionDeniedError,
    ProviderError,
    ProviderUnavailableError,
    ProviderValidationError,
    RateLimitedError,
    UnexpectedResponseError,
    UnsupportedFeatureError,
    ValidationError,
)
from clientbridge.model import Client, FrozenMapping
from clientbridge.result import ClientStatus, CreateResult, InviteStatus
from clientbridge.secrets import Secret, redact_text, redact_value
from clientbridge.wire import HeaderValue, HttpRequest, HttpResponse, JSONValue

__all__ = [
    "NEUTRAL_FIELDS",
    "Adapter",
    "Capabilities",
    "FieldProblem",
    "FieldRule",
    "FindPlan",
    "Lookup",
    "LookupPlan",
    "Outcome",
    "Picked",
    "Plan",
    "Prepared",
    "Setting",
    "UnsupportedMode",
]

Outcome = CreateResult | ClientBridgeError
Plan = Generator[HttpRequest, HttpResponse, list[Outcome]]
#: A read-only plan that returns the looked-up values a create needs, by key.
LookupPlan = Generator[HttpRequest, HttpResponse, dict[str, str]]
#: A read-only plan that returns, per client, the provider's records matching it.
FindPlan = Generator[HttpRequest, HttpResponse, list[list[CreateResult]]]
UnsupportedMode = Literal["warn", "error", "ignore"]

#: The neutral fields an adapter may send or drop, in documentation order.
NEUTRAL_FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "name",
    "email",
    "phone",
    "company_name",
    "title",
    "address",
    "contact_methods",
    "avatar_url",
    "source",
    "lead",
    "custom_fields",
)
#: Given fields that are never reported as dropped: ``external_id`` is the caller's own
#: key and ``extras`` is keyed per adapter on purpose.
_NEVER_DROPPED = frozenset({"external_id", "extras"})

#: What reading an unexpected JSON shape raises; turned into `UnexpectedResponseError`.
_READ_ERRORS = (KeyError, IndexError, TypeError, ValueError, AttributeError)

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
#: Control characters no client value needs (tab, CR and LF are text): NUL and the like
#: make providers fail, sometimes after storing the record (an unknown outcome).
_BINARY_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: What a value sent in an HTTP header may hold: visible ASCII and spaces (RFC 9110).
_HEADER_SAFE = re.compile(r"[\x20-\x7e]*")


# --------------------------------------------------------------------------- settings


@attrs.frozen(kw_only=True)
class Setting:
    """One setting an adapter accepts (``api_key``, ``base_url``...)."""

    name: str
    description: str
    required: bool = False
    secret: bool = False
    kind: type = str
    default: object = None
    #: used instead of ``default`` with ``sandbox=True`` (credentials, ids, base URL)
    sandbox_default: object = None
    choices: tuple[str, ...] = ()
    #: the value goes into a URL path segment: percent-encoded, and ``/`` or ``..`` refused
    path_segment: bool = False
    #: the value is a base URL: absolute http(s), ``http`` only for loopback hosts
    url: bool = False
    #: the value is sent in an HTTP header (credentials always are): ASCII only
    header: bool = False

    def convert(self, value: object, where: str) -> object:
        """Check and convert a raw value; ``where`` names its origin for errors."""
        if self.kind is bool:
            return _to_bool_setting(value, where)
        if self.kind is int:
            return _to_int_setting(value, where)
        text = value.reveal() if isinstance(value, Secret) else value
        if not isinstance(text, str):
            raise ConfigurationError(f"{where} must be a string, not {type(text).__name__}")
        text = text.strip()
        if not text:
            raise ConfigurationError(f"{where} is empty; give a value or leave it out")
        if _CONTROL_CHARACTERS.search(text):
            raise ConfigurationError(
                f"{where} contains a control character (CR, LF, NUL...); remove it"
            )
        if (self.header or self.secret) and not _HEADER_SAFE.fullmatch(text):
            raise ConfigurationError(
                f"{where} contains a character that cannot be sent in an HTTP header (only "
                "ASCII letters, digits and punctuation can); check that it was copied whole"
            )
        if self.choices and text not in self.choices:
            raise ConfigurationError(f"{where} must be one of {', '.join(self.choices)}")
        if self.path_segment and ("/" in text or text in {".", ".."}):
            raise ConfigurationError(f"{where} must not contain '/' or be '.' or '..'")
        if self.url:
            text = check_base_url(text, where)
        return Secret(text) if self.secret else text


def _to_bool_setting(value: object, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "1", "yes", "on"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"false", "0", "no", "off"}:
        return False
    raise ConfigurationError(f"{where} must be true or false, not {value!r}")


def _to_int_setting(value: object, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise ConfigurationError(f"{where} must be a whole number, not {value!r}")


def _binary_character(value: object) -> str | None:
    """The first control character (other than tab, CR, LF) in the strings of ``value``."""
    # Concrete types, not ABCs: payload values are plain JSON, and this runs per field.
    if isinstance(value, str):
        found = _BINARY_CHARACTERS.search(value)
        return found.group() if found else None
    items: Iterable[object]
    if isinstance(value, dict):
        items = value.values()
    elif isinstance(value, list | tuple):
        items = value
    else:
        return None
    for item in items:
        character = _binary_character(item)
        if character is not None:
            return character
    return None


def _is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1); not a name like 127.example."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _shown_url(url: str) -> str:
    """``url`` for an error message: what comes before an ``@`` may be a password, so it
    is masked (even in a URL too malformed to split into its parts)."""
    if "@" not in url:
        return url
    scheme, separator, _ = url.partition("://")
    prefix = scheme + separator if separator else ""
    return f"{prefix}***@{url.rpartition('@')[2]}"


def check_base_url(url: str, where: str) -> str:
    """An absolute http(s) URL without a trailing slash; plain http only to loopback."""
    try:
        parts = urlsplit(url)
        hostname, _ = parts.hostname, parts.port  # both raise on a malformed host or port
    except ValueError:
        raise ConfigurationError(
            f"{where} must be an absolute http(s) URL with a valid host and port, "
            f"not {_shown_url(url)!r}"
        ) from None
    if parts.scheme not in {"http", "https"} or not hostname:
        raise ConfigurationError(
            f"{where} must be an absolute http(s) URL, not {_shown_url(url)!r}"
        )
    if parts.username or parts.password:
        raise ConfigurationError(f"{where} must not carry credentials in the URL")
    if parts.scheme == "http" and not _is_loopback(hostname):
        raise ConfigurationError(
            f"{where} uses plain http to {hostname}; use https (plain http is "
            "allowed only for localhost/127.0.0.1, e.g. the sandbox server)"
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(f"{where} must not have a query string or fragment")
    return url.rstrip("/")


# --------------------------------------------------------------------------- fields


class FieldProblem(Exception):
    """Raised by a `FieldRule` picker when the value cannot be sent (e.g. a bad phone)."""


class Picked(NamedTuple):
    """A value for the wire and the neutral fields it came from."""

    value: JSONValue
    sources: tuple[str, ...]
    warnings: tuple[str, ...] = ()


Picker = Callable[[Client], "Picked | None"]
Check = Callable[[Any], "str | None"]


@attrs.frozen(kw_only=True)
class FieldRule:
    """How one wire field is filled from the neutral model, and what it must satisfy.

    ``wire`` may be dotted (``"address.line_1"``) to build nested objects. ``neutral``
    lists the neutral fields that may feed it (for the docs' mapping tables);
    ``label`` names the field in `FieldError` (defaults to ``neutral[0]``).
    """

    wire: str
    neutral: tuple[str, ...]
    pick: Picker
    required: bool = False
    max_length: int | None = None
    check: Check | None = None
    label: str | None = None
    #: the message when a required value is missing (default: "is required by ...")
    required_message: str = ""
    note: str = ""

    @property
    def error_label(self) -> str:
        return self.label or self.neutral[0]


def take(field: str) -> Picker:
    """The value of one neutral field, as is."""

    def pick(client: Client) -> Picked | None:
        value = getattr(client, field)
        return None if value is None else Picked(value, (field,))

    return pick


def person_name(client: Client) -> Picked | None:
    """The display name (``name``, which defaults to "first last")."""
    if client.name is None:
        return None
    return Picked(client.name, ("name", "first_name", "last_name"))


def first_of(*pickers: Picker) -> Picker:
    """The first picker that finds a value."""

    def pick(client: Client) -> Picked | None:
        for picker in pickers:
            picked = picker(client)
            if picked is not None:
                return picked
        return None

    return pick


def address_part(part: str) -> Picker:
    """One attribute of ``client.address``."""

    def pick(client: Client) -> Picked | None:
        if client.address is None:
            return None
        value = getattr(client.address, part)
        return None if value is None else Picked(value, ("address",))

    return pick


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


@attrs.frozen(kw_only=True)
class Lookup:
    """A value fetched from the provider before a create, cached on the connection."""

    key: str
    request: HttpRequest
    parse: Callable[[HttpResponse], str]


@attrs.frozen(kw_only=True)
class Prepared:
    """A validated client with its wire payload and what was not sent."""

    index: int
    client: Client
    payload: dict[str, JSONValue]
    dropped_fields: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    #: each neutral field that reached the wire -> the wire fields it fills
    wire_fields: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict, repr=False)


# --------------------------------------------------------------------------- errors

_ERROR_ADVICE: Mapping[type[ProviderError], str] = {
    AuthenticationError: "check the credential setting (it is missing, wrong or expired)",
    PermissionDeniedError: "give the credential the permission the provider asks for",
    NotFoundError: "check the base_url and the ids in your settings",
    ProviderValidationError: "fix the fields the provider names and retry",
    DuplicateClientError: "the client already exists; look it up instead of creating it",
    RateLimitedError: "slow down or retry after the delay the provider gave",
    ProviderUnavailableError: "the provider failed; check whether the client was created "
    "before retrying",
    UnexpectedResponseError: "the client may have been created; check before retrying",
}
#: The advice of an `UnexpectedResponseError` that answered a look-up, not a create.
_NOTHING_CREATED_ADVICE = "Nothing was created; check the settings and try again"

#: The HTTP meaning of each status every provider page documents the same way.
DEFAULT_ERROR_TABLE: Mapping[int, type[ProviderError]] = {
    400: ProviderValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: DuplicateClientError,
    422: ProviderValidationError,
    429: RateLimitedError,
}

_MESSAGE_KEYS = ("message", "error_description", "detail", "error", "title", "reason")


def parse_timestamp(value: object) -> datetime | None:
    """An ISO-8601 timestamp (``Z`` accepted), or None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def text_or_none(value: object) -> str | None:
    """A JSON value as text for the neutral model (numbers become text, other types None)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


# --------------------------------------------------------------------------- adapter


class Adapter:
    """Base class of every adapter. Subclasses declare data and override small hooks."""

    #: the registry name, e.g. ``"roostedhr"``
    name: ClassVar[str]
    #: the provider's own name for people, e.g. ``"RoostedHR"``
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
    error_table: ClassVar[Mapping[int, type[ProviderError]]] = DEFAULT_ERROR_TABLE
    #: response keys holding personal data: masked in errors, logged only at DEBUG
    sensitive_keys: ClassVar[frozenset[str]] = frozenset()

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
        """Validate ``client`` and build its payload. Pure; raises `ValidationError`."""
        payload: dict[str, JSONValue] = {}
        errors: list[FieldError] = []
        sent: set[str] = set()
        warnings: list[str] = []
        wire_fields: dict[str, tuple[str, ...]] = {}
        for rule in self.field_rules():
            try:
                picked = rule.pick(client)
            except FieldProblem as problem:
                errors.append(FieldError(rule.error_label, str(problem)))
                continue
            if picked is None or _is_empty(picked.value):
                if rule.required:
                    message = rule.required_message or f"is required by {self.display_name}"
                    errors.append(FieldError(rule.error_label, message))
                continue
            value = picked.value
            too_long = (
                rule.max_length is not None
                and isinstance(value, str)
                and len(value) > rule.max_length
            )
            if too_long:
                errors.append(
                    FieldError(
                        rule.error_label,
                        f"is {len(value)} characters; {self.display_name} accepts at most "
                        f"{rule.max_length} in {rule.wire}",
                    )
                )
                continue
            binary = _binary_character(value)
            if binary is not None:
                errors.append(
                    FieldError(
                        rule.error_label,
                        f"contains the control character U+{ord(binary):04X}; remove it "
                        "(was the value read from a binary or UTF-16 file?)",
                    )
                )
                continue
            check_message = rule.check(value) if rule.check is not None else None
            if check_message is not None:
                errors.append(FieldError(rule.error_label, check_message))
                continue
            _set_path(payload, rule.wire, value)
            sent.update(picked.sources)
            for source in picked.sources:
                wire_fields[source] = (*wire_fields.get(source, ()), rule.wire)
            warnings.extend(picked.warnings)
        errors.extend(self.validate_client(client))
        if errors:
            raise ValidationError.from_errors(self.display_name, tuple(_unique(errors)))

        dropped = self.dropped_fields(client, sent)
        if dropped and on_unsupported == "error":
            raise UnsupportedFeatureError(
                f"{self.display_name} does not support {', '.join(dropped)}; remove "
                f"{'it' if len(dropped) == 1 else 'them'} from the client or connect with "
                'on_unsupported="warn"',
                provider=self.name,
                fields=dropped,
            )
        if on_unsupported == "warn":
            warnings.extend(self.dropped_warning(field) for field in dropped)
        warnings.extend(self.warnings_for(client))
        extras = client.extras.get(self.name)
        if extras:
            payload.update(extras)
            wire_fields["extras"] = tuple(extras)
        return Prepared(
            index=index,
            client=client,
            payload=payload,
            dropped_fields=dropped,
            warnings=tuple(warnings),
            wire_fields={f: wire_fields[f] for f in client.given_fields() if f in wire_fields},
        )

    def dropped_fields(self, client: Client, sent: set[str]) -> tuple[str, ...]:
        """The caller's fields that did not reach the wire, in declaration order."""
        handled = set(sent)
        if self.capabilities.leads:
            handled.add("lead")
        return tuple(
            field
            for field in client.given_fields()
            if field not in handled and field not in _NEVER_DROPPED
        )

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

    def lookups(self, batch: Sequence[Prepared]) -> list[Lookup]:
        """Values to fetch before creating ``batch`` (override; cached per connection)."""
        return []

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
        except _READ_ERRORS as error:
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
        except _READ_ERRORS as error:
            # A success we cannot read: the clients may exist, so never a plain crash.
            raise self.unexpected(f"the response could not be read ({error})", response) from None

    def plan_lookups(self, batch: Sequence[Prepared]) -> LookupPlan:
        """The plan that looks up what ``batch`` needs (each value once per connection:
        cached), returning the values by key. Creates nothing."""
        resolved: dict[str, str] = {}
        for lookup in self.lookups(batch):
            value = self.cache.get(lookup.key)
            if value is None:
                response = yield lookup.request
                if not response.is_success:
                    raise self.error_from_response(response)
                try:
                    value = lookup.parse(response)
                except UnexpectedResponseError as error:
                    # A look-up creates nothing, whatever the reader that raised assumed.
                    raise _nothing_created(error) from None
                except _READ_ERRORS as error:
                    raise self.unexpected(
                        f"the {lookup.key} look-up could not be read ({error})",
                        response,
                        maybe_created=False,
                    ) from None
                self._check_looked_up(lookup.key, value, response)
                self.cache[lookup.key] = value
            resolved[lookup.key] = value
        return resolved

    def _check_looked_up(self, key: str, value: str, response: HttpResponse) -> None:
        """A looked-up id goes into headers and URL paths: refuse what could break out of
        them (CR/LF, non-ASCII, ``/``, ``.``, ``..``) before anything is created."""
        if value in {".", ".."} or "/" in value or not _HEADER_SAFE.fullmatch(value):
            shown = value if len(value) <= 40 else value[:40] + "..."
            raise self.unexpected(
                f"the {key} look-up answered {shown!r}, which cannot be used in a request",
                response,
                maybe_created=False,
            )

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

    # ----------------------------------------------------------------- responses

    def json_body(self, response: HttpResponse) -> JSONValue:
        try:
            return response.json()
        except ValueError:
            raise self.unexpected(
                f"the response (HTTP {response.status_code}) is not JSON", response
            ) from None

    def unexpected(
        self, what: str, response: HttpResponse | None = None, *, maybe_created: bool = True
    ) -> UnexpectedResponseError:
        advice = (
            _ERROR_ADVICE[UnexpectedResponseError] if maybe_created else _NOTHING_CREATED_ADVICE
        )
        return UnexpectedResponseError(
            f"{self.display_name} answered in a way clientbridge cannot read: {what}. {advice}.",
            provider=self.name,
            status_code=response.status_code if response is not None else None,
            maybe_created=maybe_created,
        )

    def redact(self, value: JSONValue) -> JSONValue:
        """A body with credentials and personal data masked."""
        return redact_value(value, self.secrets(), self.sensitive_keys)

    def error_class(self, response: HttpResponse, body: JSONValue) -> type[ProviderError]:
        """The exception class for an error response (override for body-based rules)."""
        status = response.status_code
        if status in self.error_table:
            return self.error_table[status]
        if status >= 500:
            return ProviderUnavailableError
        return ProviderError

    def error_details(self, body: JSONValue) -> tuple[str | None, tuple[FieldError, ...]]:
        """The provider's message and field errors from an error body (override)."""
        if isinstance(body, str):
            return body[:300] or None, ()
        if not isinstance(body, dict):
            return None, ()
        message = next((body[key] for key in _MESSAGE_KEYS if isinstance(body.get(key), str)), None)
        field_errors: list[FieldError] = []
        errors = body.get("errors")
        if isinstance(errors, dict):
            for field, problem in errors.items():
                text = problem[0] if isinstance(problem, list) and problem else problem
                field_errors.append(FieldError(self.neutral_field(str(field)), str(text)))
        elif isinstance(errors, list):
            for item in errors:
                if isinstance(item, dict):
                    field = item.get("field") or item.get("fieldName") or item.get("path")
                    text = item.get("message") or item.get("msg") or ""
                    field_errors.append(FieldError(self.neutral_field(str(field)), str(text)))
        field = body.get("fieldName") or body.get("field")
        if isinstance(field, str) and message:
            field_errors.append(FieldError(self.neutral_field(field), message))
        return message, tuple(field_errors)

    def neutral_field(self, wire_field: str) -> str:
        """The neutral name of a wire field, or the wire name when there is none."""
        for rule in self.field_rules():
            if rule.wire == wire_field:
                return rule.error_label
        return wire_field

    def error_from_response(
        self, response: HttpResponse, *, answered_create: bool = False
    ) -> ProviderError:
        """The pinned exception for an error response, its body redacted.

        ``answered_create``: the response answered a create, so a ``303 See Other`` (which
        usually points at a record just stored) leaves its outcome unknown.
        """
        try:
            body: JSONValue = response.json()
        except ValueError:
            body = response.content.decode("utf-8", "replace")[:1000]
        body = self.redact(body)
        cls = self.error_class(response, body)
        provider_message, field_errors = self.error_details(body)
        status = response.status_code
        # "…: Invalid API key. Check the credential setting (…)." whatever the provider's
        # punctuation.
        said = f": {provider_message.rstrip(' .')}" if provider_message else ""
        advice = next(
            (text for kind, text in _ERROR_ADVICE.items() if issubclass(cls, kind)),
            "see the provider's answer in .body",
        )
        advice = advice[:1].upper() + advice[1:]
        if 300 <= status < 400:
            advice = (
                f"It redirects to {response.header('location') or 'another address'}, and "
                "clientbridge follows no redirect (a create must not be sent elsewhere): "
                "check base_url"
            )
            if status == 303 and answered_create:
                cls = UnexpectedResponseError
                advice += (
                    "; a 303 to a create usually means the client was stored, so check "
                    "whether it exists before retrying"
                )
        message = redact_text(
            f"{self.display_name} answered HTTP {status}{said}. {advice}.", self.secrets()
        )
        kwargs: dict[str, Any] = {
            "provider": self.name,
            "status_code": status,
            "body": body,
            "retryable": status in RETRYABLE_STATUSES,
            "errors": field_errors,
        }
        if cls is RateLimitedError:
            return RateLimitedError(message, retry_after=response.retry_after(), **kwargs)
        return cls(message, **kwargs)


def _nothing_created(error: UnexpectedResponseError) -> UnexpectedResponseError:
    """``error``, raised reading a look-up answer, saying that nothing was created."""
    if not error.maybe_created:
        return error
    message = error.message.replace(_ERROR_ADVICE[UnexpectedResponseError], _NOTHING_CREATED_ADVICE)
    return UnexpectedResponseError(
        message,
        provider=error.provider,
        status_code=error.status_code,
        body=error.body,
        maybe_created=False,
    )


def _is_empty(value: JSONValue) -> bool:
    return value is None or (isinstance(value, str | list | tuple) and not value)


def _set_path(payload: dict[str, JSONValue], path: str, value: JSONValue) -> None:
    if "." not in path:
        payload[path] = value
        return
    *parents, leaf = path.split(".")
    target = payload
    for parent in parents:
        target = target.setdefault(parent, {})
    target[leaf] = value


def _unique(items: Iterable[FieldError]) -> list[FieldError]:
    seen: set[FieldError] = set()
    unique = []
    for item in items:
        if item not in seen:
            seen.add(item)
            unique.append(item)
    return unique
